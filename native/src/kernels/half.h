// IEEE half / bfloat16 <-> float conversions shared by the engine and the encoders (portable C++,
// no ISA extensions).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace qins {

inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float bf16_f32(uint16_t h) { return bits_f32(static_cast<uint32_t>(h) << 16); }

inline float half_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0) {
    if (man == 0) return bits_f32(sign);
    const float v = static_cast<float>(man) * 5.9604644775390625e-08f;  // man * 2^-24
    return sign ? -v : v;
  }
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (man << 13));
  return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/** Round-to-nearest-even float -> half (what F16C's vcvtps2ph and NEON's vcvt produce); values
 *  beyond the half range become +-inf, NaN stays NaN. */
inline uint16_t f32_half(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520
  if (ax < 0x38800000u) {                                                // below the smallest normal half
    const float v = bits_f32(ax) * 16777216.0f;                          // value / 2^-24, rounded to nearest even
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(v)));
  }
  const uint32_t rounded = ax + 0xfffu + ((ax >> 13) & 1u);
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

/** Largest finite half. */
constexpr float kHalfMax = 65504.0f;

/** A block scale as half: rounded to nearest even, saturated at the largest finite half (NaN -> 0). */
inline uint16_t scale_half(float s) {
  if (std::isnan(s)) return 0;
  if (s > kHalfMax) s = kHalfMax;
  if (s < -kHalfMax) s = -kHalfMax;
  return f32_half(s);
}

}  // namespace qins
