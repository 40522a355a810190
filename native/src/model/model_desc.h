// Plain description of a model handed over from the TypeScript side (which reads and validates the
// .qins header, src-main/core/qins-format.ts): the normalised ModelSpec, the tensor table, the
// codebooks and the open options. The native side re-checks everything against the mapped file.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qins {

// Element type of the KV cache: float, IEEE half (default), or int8 blocks of 32 with an fp16 scale.
enum class KvType : uint8_t { F32, F16, Q8 };
inline const char* kv_type_name(KvType t) { return t == KvType::F32 ? "f32" : t == KvType::F16 ? "f16" : "q8"; }

struct RopeDesc {
  std::string type = "default";  // default | linear | llama3 | longrope
  double theta = 10000;
  int dim = 0;
  double factor = 1;
  double low_freq_factor = 1;
  double high_freq_factor = 4;
  int original_max_position_embeddings = 0;
  std::vector<double> short_factor, long_factor;
  double attention_factor = 0;  // 0: derive from the positions (longrope)
};

struct SpecDesc {
  std::string architecture;
  int vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_layers = 0;
  int num_heads = 0, num_kv_heads = 0, head_dim = 0;
  double rms_norm_eps = 1e-6;
  RopeDesc rope;
  int max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;
};

struct PartDesc {
  uint64_t offset = 0, bytes = 0;
};

struct TensorDesc {
  std::string name;
  std::vector<int64_t> shape;
  std::string codec;
  uint64_t offset = 0, bytes = 0;
  std::map<std::string, PartDesc> parts;
  int block = 0;
  std::string codebook;
  double scale = 0;
  bool has_scale = false;
};

struct CodebookDesc {
  int bits = 0;
  std::vector<int32_t> ints;
  double denom = 0;
};

struct OpenOptions {
  int threads = 0;                 // 0: physical cores
  int context = 0;                 // 0: min(max_position_embeddings, 4096)
  KvType kv_type = KvType::F16;    // KV cache element type
  std::string kernels = "auto";    // auto | generic | avx2 | avx512 | neon
  bool act_f32 = false;            // coded weights: decode rows and use float activations (slow, exact)
  bool prefault = true;            // read the mapped pages in at open
};

struct ModelDesc {
  std::string path;
  uint64_t file_bytes = 0;  // size the header reader saw; the mapping must have the same size
  SpecDesc spec;
  std::vector<TensorDesc> tensors;
  std::map<std::string, CodebookDesc> codebooks;
  OpenOptions options;
};

}  // namespace qins
