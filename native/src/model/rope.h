// Rotary position embedding (rotate-half convention, as HF transformers) with the default, linear,
// llama3 and longrope frequency schedules. Frequencies and angles are computed in float32 the way
// transformers does, so positions match the reference to the last bit that matters.
#pragma once
#include <string>
#include <vector>

#include "model/model_desc.h"

namespace qins {

class Rope {
 public:
  bool init(const SpecDesc& spec, std::string* err);
  // Longrope: the long factors apply when the sequence (last position + 1) of a call exceeds the
  // original context, as transformers decides per forward call.
  bool use_long(int seq_len) const { return has_long_ && seq_len > original_; }
  // cos/sin (dim / 2 values each, attention factor applied) for one position.
  void angles(int pos, bool long_factors, float* cos_out, float* sin_out) const;
  // Rotates the first dim values of one head in place.
  void apply(float* head, const float* cos, const float* sin) const;
  int dim() const { return dim_; }
  float attention_factor() const { return attention_; }

 private:
  int dim_ = 0;
  int original_ = 0;
  bool has_long_ = false;
  float attention_ = 1.f;
  std::vector<float> inv_short_, inv_long_;
};

}  // namespace qins
