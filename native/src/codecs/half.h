// IEEE half and bfloat16 conversions used by the encoders (portable C++, no ISA extensions).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace qins::codecs {

inline float bits_to_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t f32_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float bf16_to_f32(uint16_t h) { return bits_to_f32(static_cast<uint32_t>(h) << 16); }

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0) {
    if (man == 0) return bits_to_f32(sign);
    // subnormal: man * 2^-24
    const float v = static_cast<float>(man) * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  if (exp == 31) return bits_to_f32(sign | 0x7f800000u | (man << 13));
  return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/** Round-to-nearest-even float → half; values beyond the half range become ±inf, NaN stays NaN. */
inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_to_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520 → inf
  if (ax < 0x38800000u) {                                                // below the smallest normal half
    // subnormal half: value / 2^-24, rounded to nearest even
    const float v = bits_to_f32(ax) * 16777216.0f;
    const float r = std::nearbyint(v);
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(r));
  }
  const uint32_t rounded = ax + 0xfffu + ((ax >> 13) & 1u);
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

/** Largest finite half. */
constexpr float kHalfMax = 65504.0f;

/** Rounds a block scale to half, saturating at the largest finite half (NaN → 0). */
inline uint16_t scale_to_f16(float s) {
  if (std::isnan(s)) return 0;
  if (s > kHalfMax) s = kHalfMax;
  if (s < -kHalfMax) s = -kHalfMax;
  return f32_to_f16(s);
}

}  // namespace qins::codecs
