#include "model/rope.h"

#include <cmath>

namespace qins {

namespace {
// base ** (2i / dim) in float32 as torch computes it.
std::vector<float> base_powers(double theta, int dim) {
  std::vector<float> out(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(dim);
    out[i] = static_cast<float>(std::pow(theta, static_cast<double>(e)));
  }
  return out;
}
}  // namespace

bool Rope::init(const SpecDesc& spec, std::string* err) {
  const RopeDesc& r = spec.rope;
  dim_ = r.dim > 0 ? r.dim : spec.head_dim;
  if (dim_ % 2 != 0 || dim_ > spec.head_dim) {
    *err = "rope dim must be even and at most head_dim";
    return false;
  }
  if (!(r.theta > 0)) {
    *err = "rope theta must be positive";
    return false;
  }
  const std::vector<float> pw = base_powers(r.theta, dim_);
  const int half = dim_ / 2;
  inv_short_.assign(half, 0.f);
  for (int i = 0; i < half; ++i) inv_short_[i] = 1.0f / pw[i];
  attention_ = 1.f;
  has_long_ = false;
  if (r.type == "default") {
  } else if (r.type == "linear") {
    if (!(r.factor > 0)) {
      *err = "linear rope needs a positive factor";
      return false;
    }
    for (float& v : inv_short_) v = v / static_cast<float>(r.factor);
  } else if (r.type == "llama3") {
    const double factor = r.factor, lo = r.low_freq_factor, hi = r.high_freq_factor;
    const double orig = r.original_max_position_embeddings;
    if (!(factor > 0) || !(orig > 0) || !(hi > lo)) {
      *err = "llama3 rope needs factor, low/high_freq_factor (high > low) and original_max_position_embeddings";
      return false;
    }
    const float low_wl = static_cast<float>(orig / lo), high_wl = static_cast<float>(orig / hi);
    for (int i = 0; i < half; ++i) {
      const float inv = inv_short_[i];
      const float wl = static_cast<float>(6.283185307179586) / inv;
      float out = wl > low_wl ? inv / static_cast<float>(factor) : inv;
      if (!(wl < high_wl) && !(wl > low_wl)) {
        const float smooth = (static_cast<float>(orig) / wl - static_cast<float>(lo)) / static_cast<float>(hi - lo);
        out = (1.f - smooth) * out / static_cast<float>(factor) + smooth * out;
      }
      inv_short_[i] = out;
    }
  } else if (r.type == "longrope") {
    original_ = r.original_max_position_embeddings;
    if (original_ <= 0 || static_cast<int>(r.short_factor.size()) != half || static_cast<int>(r.long_factor.size()) != half) {
      *err = "longrope needs original_max_position_embeddings and short/long factors of rope dim / 2 entries";
      return false;
    }
    inv_long_.assign(half, 0.f);
    for (int i = 0; i < half; ++i) {
      inv_short_[i] = 1.0f / (static_cast<float>(r.short_factor[i]) * pw[i]);
      inv_long_[i] = 1.0f / (static_cast<float>(r.long_factor[i]) * pw[i]);
    }
    has_long_ = true;
    if (r.attention_factor > 0) {
      attention_ = static_cast<float>(r.attention_factor);
    } else {
      const double scale = static_cast<double>(spec.max_position_embeddings) / original_;
      attention_ = scale <= 1.0 ? 1.f : static_cast<float>(std::sqrt(1.0 + std::log(scale) / std::log(static_cast<double>(original_))));
    }
  } else {
    *err = "unsupported rope type " + r.type;
    return false;
  }
  return true;
}

void Rope::angles(int pos, bool long_factors, float* cos_out, float* sin_out) const {
  const std::vector<float>& inv = long_factors && has_long_ ? inv_long_ : inv_short_;
  const float p = static_cast<float>(pos);
  for (size_t i = 0; i < inv.size(); ++i) {
    const float a = p * inv[i];  // float32 product, as transformers' inv_freq @ position_ids
    cos_out[i] = static_cast<float>(std::cos(static_cast<double>(a))) * attention_;
    sin_out[i] = static_cast<float>(std::sin(static_cast<double>(a))) * attention_;
  }
}

void Rope::apply(float* x, const float* c, const float* s) const {
  const int half = dim_ / 2;
  for (int i = 0; i < half; ++i) {
    const float a = x[i], b = x[i + half];
    x[i] = a * c[i] - b * s[i];
    x[i + half] = b * c[i] + a * s[i];
  }
}

}  // namespace qins
