// A loaded decoder (phi3 / llama / mistral / qwen2): weight views into the mapped .qins file, the KV
// cache, scratch buffers and the thread pool; forward() runs a batch of tokens.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "model/mapped_file.h"
#include "model/model_desc.h"
#include "model/rope.h"
#include "model/thread_pool.h"

namespace qins {

struct LayerWeights {
  const float* attn_norm = nullptr;
  WeightView qkv;
  const float* qkv_bias = nullptr;
  WeightView o;
  const float* mlp_norm = nullptr;
  WeightView gate_up;
  WeightView down;
};

struct ModelInfo {
  const char* kernels;
  int threads;
  int context;
  KvType kv_type;
  bool act_f32;
  uint64_t weight_bytes;  // bytes of weights read per token (layers, final norm, logits matrix)
  uint64_t kv_bytes;      // bytes reserved for the KV cache
  uint64_t mapped_bytes;  // size of the mapped file
};

class Model {
 public:
  // Maps the file, checks the tensor table against the spec and the file, builds the views.
  static std::unique_ptr<Model> open(const ModelDesc& desc, std::string* err);
  ~Model();

  // Runs tokens[0..n) at positions pos..pos+n-1 (cache entries >= pos are overwritten). Writes
  // vocab logits of the last token, or of every token (n x vocab) with all_logits.
  bool forward(const int32_t* tokens, int n, int pos, bool all_logits, float* out, std::string* err);

  ModelInfo info() const;
  const MappedFile& file() const { return file_; }
  int vocab() const { return spec_.vocab_size; }
  int context() const { return context_; }

 private:
  Model() = default;
  bool load(const ModelDesc& desc, std::string* err);
  void run_batch(const int32_t* tokens, int n, int pos, bool long_rope, bool logits_all, bool logits_last, float* out);
  // y[t][r] = W x_t for T tokens, rows split over the pool.
  void matmul(const WeightView& w, const float* x, size_t ldx, int T, float* y, size_t ldy);
  void attention(int layer, int n, int pos);
  void rmsnorm(const float* x, const float* w, float* out, int T);

  SpecDesc spec_;
  MappedFile file_;
  const KernelSet* ks_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  Rope rope_;
  KvType kv_type_ = KvType::F16;
  size_t kv_row_bytes_ = 0;  // one position of one KV head, K or V
  bool act_f32_ = false;
  int context_ = 0;
  int kv_dim_ = 0;
  int qkv_rows_ = 0;

  WeightView embed_, lm_head_;
  const float* final_norm_ = nullptr;
  std::vector<LayerWeights> layers_;
  std::vector<std::unique_ptr<Codebook8>> cb8_;
  std::vector<std::unique_ptr<Codebook4>> cb4_;
  std::vector<std::unique_ptr<SeedTable>> seed_;
  uint64_t weight_bytes_ = 0;

  // KV cache: per layer, context x kv_dim values for K then V (float or half).
  void* kv_ = nullptr;
  size_t kv_bytes_ = 0;

  // Scratch for up to kMaxBatch tokens.
  std::vector<float> x_, xn_, qkv_, att_, tmp_, gu_, act_, scores_, rope_cs_;
  std::vector<int8_t> aq_;
  std::vector<int16_t> aq16_;
  std::vector<int16_t> xp_;  // token-major activation pairs (GemmLayout::Pairs8)
  std::vector<int8_t> xq_;   // token-major activation quads (GemmLayout::Quads4)  // int16 activations for kernel sets with q16_order
  std::vector<float> ad_;
  std::vector<int32_t> as_;
  std::vector<int8_t> xt_;  // GEMM activations (transpose_acts)
  std::vector<int32_t> ct_;
  std::vector<float> dt_;
  std::vector<float> rowbuf_;  // act_f32 mode: one decoded row per thread
  int max_cols_ = 0;

  // QINS_PROFILE=1: wall time per stage, printed to stderr when the model is released.
  bool profile_ = false;
  double prof_[6] = {0, 0, 0, 0, 0, 0};  // quantize, matmul (gemv), matmul (gemm), attention, other, total
  long prof_calls_ = 0, prof_tokens_ = 0;
};

}  // namespace qins
