#include "model/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#if !defined(_WIN32)
#include <sys/mman.h>
#endif

#include "kernels/half.h"
#include "model/cpu_info.h"

namespace qins {

namespace {

// Tokens processed together (prefill is split into batches of this size; each batch reuses every
// decoded weight block across its tokens).
constexpr int kMaxBatch = 64;
// Token tile and row block of one kernel call: a tile's activations stay in L1 while the block's
// weight rows are reused from L2.
constexpr int kTokenTile = 4;
constexpr int kRowBlock = 16;

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

bool is_cb8(const std::string& c) { return c == "qins8" || c == "q8"; }
bool is_cb4(const std::string& c) { return c == "qins4" || c == "q4"; }

// Builds views over the mapped file, checking every size against the spec and the file.
class Loader {
 public:
  Loader(const ModelDesc& d, const MappedFile& f, std::vector<std::unique_ptr<Codebook8>>& cb8,
         std::vector<std::unique_ptr<Codebook4>>& cb4, std::vector<std::unique_ptr<SeedTable>>& seed)
      : desc_(d), file_(f), cb8_(cb8), cb4_(cb4), seed_(seed) {
    for (const TensorDesc& t : d.tensors) by_name_[t.name] = &t;
  }

  bool duplicate_names(std::string* err) const {
    if (by_name_.size() != desc_.tensors.size()) {
      *err = "the tensor table names a tensor twice";
      return true;
    }
    return false;
  }

  const TensorDesc* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }

  bool part(const TensorDesc& t, const char* name, uint64_t expect, const uint8_t** out, std::string* err) const {
    auto it = t.parts.find(name);
    if (it == t.parts.end()) {
      *err = "tensor " + t.name + " (" + t.codec + ") has no '" + name + "' part";
      return false;
    }
    const PartDesc& p = it->second;
    if (p.bytes != expect) {
      *err = "tensor " + t.name + " part '" + name + "' has " + std::to_string(p.bytes) + " bytes, expected " +
             std::to_string(expect) + " for shape " + shape_str(t.shape) + " and codec " + t.codec;
      return false;
    }
    if (p.offset > file_.size() || p.bytes > file_.size() - p.offset) {
      *err = "tensor " + t.name + " part '" + name + "' lies beyond the end of the file (" + std::to_string(file_.size()) +
             " bytes): truncated file?";
      return false;
    }
    if (p.offset % 4 != 0) {
      *err = "tensor " + t.name + " part '" + name + "' is not aligned";
      return false;
    }
    *out = file_.data() + p.offset;
    return true;
  }

  bool vec(const std::string& name, int n, const float** out, std::string* err, uint64_t* bytes) const {
    const TensorDesc* t = find(name);
    if (!t) {
      *err = "missing tensor " + name;
      return false;
    }
    if (t->shape.size() != 1 || t->shape[0] != n) {
      *err = "tensor " + name + " has shape " + shape_str(t->shape) + ", expected [" + std::to_string(n) + "]";
      return false;
    }
    if (t->codec != "f32") {
      *err = "tensor " + name + ": 1-D tensors must be stored as f32, found " + t->codec;
      return false;
    }
    const uint8_t* p = nullptr;
    if (!part(*t, "data", static_cast<uint64_t>(n) * 4, &p, err)) return false;
    *out = reinterpret_cast<const float*>(p);
    if (bytes) *bytes += static_cast<uint64_t>(n) * 4;
    return true;
  }

  bool matrix(const std::string& name, int rows, int cols, WeightView* v, std::string* err, uint64_t* bytes) {
    const TensorDesc* t = find(name);
    if (!t) {
      *err = "missing tensor " + name;
      return false;
    }
    if (t->shape.size() != 2 || t->shape[0] != rows || t->shape[1] != cols) {
      *err = "tensor " + name + " has shape " + shape_str(t->shape) + ", expected [" + std::to_string(rows) + ", " +
             std::to_string(cols) + "]";
      return false;
    }
    *v = WeightView();
    v->rows = rows;
    v->cols = cols;
    v->cols_p = cols;
    const uint64_t R = static_cast<uint64_t>(rows), C = static_cast<uint64_t>(cols);
    const uint8_t* p = nullptr;
    uint64_t used = 0;
    if (t->codec == "f32" || t->codec == "bf16") {
      const uint64_t esz = t->codec == "f32" ? 4 : 2;
      if (!part(*t, "data", R * C * esz, &p, err)) return false;
      v->kind = t->codec == "f32" ? WeightKind::F32 : WeightKind::BF16;
      v->data = p;
      used = R * C * esz;
    } else if (is_cb8(t->codec) || is_cb4(t->codec)) {
      const bool eight = is_cb8(t->codec);
      if (t->block != kBlock) {
        *err = "tensor " + name + " uses block size " + std::to_string(t->block) + "; this engine supports " + std::to_string(kBlock);
        return false;
      }
      v->cols_p = (cols + kBlock - 1) / kBlock * kBlock;
      const uint64_t CP = static_cast<uint64_t>(v->cols_p);
      const uint64_t code_bytes = eight ? R * CP : R * CP / 2;
      const uint64_t scale_bytes = R * (CP / kBlock) * 2;
      if (!part(*t, "codes", code_bytes, &p, err)) return false;
      v->codes = p;
      if (!part(*t, "scales", scale_bytes, &p, err)) return false;
      v->scales = reinterpret_cast<const uint16_t*>(p);
      used = code_bytes + scale_bytes;
      auto cbit = desc_.codebooks.find(t->codebook);
      if (t->codebook.empty() || cbit == desc_.codebooks.end()) {
        *err = "tensor " + name + " names no known codebook";
        return false;
      }
      const CodebookDesc& cb = cbit->second;
      if (cb.bits != (eight ? 8 : 4)) {
        *err = "tensor " + name + " (" + t->codec + ") uses codebook " + t->codebook + " with " + std::to_string(cb.bits) + " bits";
        return false;
      }
      const char* why = "";
      if (eight) {
        auto it = cb8_index_.find(t->codebook);
        if (it == cb8_index_.end()) {
          auto c = std::make_unique<Codebook8>();
          if (!prepare_codebook8(cb.ints.data(), static_cast<int>(cb.ints.size()), cb.denom, c.get(), &why)) {
            *err = "codebook " + t->codebook + ": " + why;
            return false;
          }
          it = cb8_index_.emplace(t->codebook, c.get()).first;
          cb8_.push_back(std::move(c));
        }
        v->kind = WeightKind::CB8;
        v->cb8 = it->second;
      } else {
        auto it = cb4_index_.find(t->codebook);
        if (it == cb4_index_.end()) {
          auto c = std::make_unique<Codebook4>();
          if (!prepare_codebook4(cb.ints.data(), static_cast<int>(cb.ints.size()), cb.denom, c.get(), &why)) {
            *err = "codebook " + t->codebook + ": " + why;
            return false;
          }
          it = cb4_index_.emplace(t->codebook, c.get()).first;
          cb4_.push_back(std::move(c));
        }
        v->kind = WeightKind::CB4;
        v->cb4 = it->second;
      }
    } else if (t->codec == "qins-seed") {
      if (!t->has_scale || !(t->scale > 0) || !std::isfinite(t->scale)) {
        *err = "tensor " + name + " (qins-seed) needs a positive per-tensor scale";
        return false;
      }
      if (!part(*t, "codes", R * C, &p, err)) return false;
      v->codes = p;
      if (!part(*t, "signs", R * ((C + 7) / 8), &p, err)) return false;
      v->signs = p;
      used = R * C + R * ((C + 7) / 8);
      auto s = std::make_unique<SeedTable>();
      prepare_seed_table(static_cast<float>(t->scale), s.get());
      v->kind = WeightKind::Seed;
      v->seed = s.get();
      seed_.push_back(std::move(s));
    } else {
      *err = "tensor " + name + " uses codec '" + t->codec + "', which this engine does not support";
      return false;
    }
    if (bytes) *bytes += used;
    return true;
  }

 private:
  const ModelDesc& desc_;
  const MappedFile& file_;
  std::map<std::string, const TensorDesc*> by_name_;
  std::map<std::string, Codebook8*> cb8_index_;
  std::map<std::string, Codebook4*> cb4_index_;
  std::vector<std::unique_ptr<Codebook8>>& cb8_;
  std::vector<std::unique_ptr<Codebook4>>& cb4_;
  std::vector<std::unique_ptr<SeedTable>>& seed_;
};

bool pick_kernels(const std::string& requested, const KernelSet** out, std::string* err) {
  Isa isa;
  if (!choose_isa(requested, &isa, err)) return false;
  *out = &kernels(isa);
  return true;
}

}  // namespace

namespace {
using Clock = std::chrono::steady_clock;
inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

Model::~Model() {
  if (profile_ && prof_calls_ > 0) {
    std::fprintf(stderr,
                 "qins profile: %ld forward calls, %ld tokens, %.3f s: quantize %.3f s, gemv %.3f s, gemm %.3f s, attention %.3f s, "
                 "other %.3f s\n",
                 prof_calls_, prof_tokens_, prof_[5], prof_[0], prof_[1], prof_[2], prof_[3], prof_[5] - prof_[0] - prof_[1] - prof_[2] - prof_[3]);
  }
#if defined(_WIN32)
  std::free(kv_);
#else
  if (kv_) munmap(kv_, kv_bytes_);
#endif
}

std::unique_ptr<Model> Model::open(const ModelDesc& desc, std::string* err) {
  std::unique_ptr<Model> m(new Model());
  if (!m->load(desc, err)) return nullptr;
  return m;
}

bool Model::load(const ModelDesc& desc, std::string* err) {
  spec_ = desc.spec;
  const SpecDesc& s = spec_;
  if (s.architecture != "phi3" && s.architecture != "llama" && s.architecture != "mistral" && s.architecture != "qwen2") {
    *err = "unsupported architecture '" + s.architecture + "'";
    return false;
  }
  if (s.vocab_size <= 0 || s.hidden_size <= 0 || s.intermediate_size <= 0 || s.num_layers <= 0 || s.num_heads <= 0 ||
      s.num_kv_heads <= 0 || s.head_dim <= 0 || s.max_position_embeddings <= 0) {
    *err = "model sizes must be positive";
    return false;
  }
  if (s.num_heads % s.num_kv_heads != 0) {
    *err = "num_heads must be a multiple of num_kv_heads";
    return false;
  }
  if (!(s.rms_norm_eps > 0)) {
    *err = "rms_norm_eps must be positive";
    return false;
  }
  if (!rope_.init(s, err)) return false;
  if (!pick_kernels(desc.options.kernels, &ks_, err)) return false;
  act_f32_ = desc.options.act_f32;
  {
    const char* p = std::getenv("QINS_PROFILE");
    profile_ = p && *p && std::strcmp(p, "0") != 0;
  }
  kv_type_ = desc.options.kv_type;

  if (!file_.open(desc.path, desc.options.prefault, err)) return false;
  if (desc.file_bytes != 0 && file_.size() != desc.file_bytes) {
    *err = "file size changed since its header was read (" + std::to_string(desc.file_bytes) + " -> " +
           std::to_string(file_.size()) + " bytes)";
    return false;
  }
  for (const TensorDesc& t : desc.tensors) {
    if (t.offset > file_.size() || t.bytes > file_.size() - t.offset) {
      *err = "tensor " + t.name + " lies beyond the end of the file (" + std::to_string(file_.size()) + " bytes): truncated file?";
      return false;
    }
  }

  Loader L(desc, file_, cb8_, cb4_, seed_);
  if (L.duplicate_names(err)) return false;
  const int H = s.hidden_size, I = s.intermediate_size, hd = s.head_dim;
  kv_dim_ = s.num_kv_heads * hd;
  qkv_rows_ = (s.num_heads + 2 * s.num_kv_heads) * hd;
  const int q_dim = s.num_heads * hd;
  if (!L.matrix("embed", s.vocab_size, H, &embed_, err, nullptr)) return false;
  layers_.resize(s.num_layers);
  uint64_t wb = 0;
  for (int l = 0; l < s.num_layers; ++l) {
    LayerWeights& lw = layers_[l];
    const std::string p = "layers." + std::to_string(l) + ".";
    if (!L.vec(p + "attn_norm", H, &lw.attn_norm, err, &wb)) return false;
    if (!L.matrix(p + "qkv", qkv_rows_, H, &lw.qkv, err, &wb)) return false;
    if (s.qkv_bias) {
      if (!L.vec(p + "qkv_bias", qkv_rows_, &lw.qkv_bias, err, &wb)) return false;
    }
    if (!L.matrix(p + "o", H, q_dim, &lw.o, err, &wb)) return false;
    if (!L.vec(p + "mlp_norm", H, &lw.mlp_norm, err, &wb)) return false;
    if (!L.matrix(p + "gate_up", 2 * I, H, &lw.gate_up, err, &wb)) return false;
    if (!L.matrix(p + "down", H, I, &lw.down, err, &wb)) return false;
  }
  if (!L.vec("norm", H, &final_norm_, err, &wb)) return false;
  if (s.tie_word_embeddings) {
    if (L.find("lm_head")) {
      *err = "the model ties its embeddings but the file also has an lm_head tensor";
      return false;
    }
    lm_head_ = embed_;
    uint64_t eb = 0;
    WeightView tmp;
    if (!L.matrix("embed", s.vocab_size, H, &tmp, err, &eb)) return false;
    wb += eb;
  } else {
    if (!L.matrix("lm_head", s.vocab_size, H, &lm_head_, err, &wb)) return false;
  }
  weight_bytes_ = wb;

  context_ = desc.options.context > 0 ? desc.options.context : std::min(s.max_position_embeddings, 4096);
  if (context_ > s.max_position_embeddings) {
    *err = "context length " + std::to_string(context_) + " exceeds the model's max_position_embeddings (" +
           std::to_string(s.max_position_embeddings) + ")";
    return false;
  }
  kv_row_bytes_ = kv_type_ == KvType::Q8 ? static_cast<size_t>(kv_q8_row_bytes(hd)) : static_cast<size_t>(hd) * (kv_type_ == KvType::F16 ? 2 : 4);
  kv_bytes_ = static_cast<size_t>(s.num_layers) * 2 * context_ * s.num_kv_heads * kv_row_bytes_;
  // An anonymous mapping: zero pages, committed as the cache fills (malloc may hand back a reused
  // heap block holding old bytes, which a call that skips positions would read as keys).
#if defined(_WIN32)
  kv_ = std::calloc(1, kv_bytes_);
#else
  kv_ = mmap(nullptr, kv_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (kv_ == MAP_FAILED) kv_ = nullptr;
#endif
  if (!kv_) {
    *err = "cannot reserve " + std::to_string(kv_bytes_ >> 20) + " MiB for the KV cache; use a shorter context length";
    return false;
  }

  int threads = desc.options.threads > 0 ? desc.options.threads : physical_cores();
  threads = std::max(1, std::min(threads, 256));
  pool_ = std::make_unique<ThreadPool>(threads);

  max_cols_ = std::max({H, q_dim, I});
  const size_t B = kMaxBatch;
  x_.assign(B * H, 0.f);
  xn_.assign(B * H, 0.f);
  qkv_.assign(B * qkv_rows_, 0.f);
  att_.assign(B * q_dim, 0.f);
  tmp_.assign(B * H, 0.f);
  gu_.assign(B * 2 * I, 0.f);
  act_.assign(B * I, 0.f);
  scores_.assign(static_cast<size_t>(threads) * context_, 0.f);
  rope_cs_.assign(B * rope_.dim(), 0.f);
  const int nb = (max_cols_ + kBlock - 1) / kBlock;
  aq_.assign(B * nb * kBlock + B * q4_order_bytes(nb), 0);
  aq16_.assign(B * nb * kBlock, 0);
  ad_.assign(B * nb, 0.f);
  as_.assign(B * nb, 0);
  const size_t gb = static_cast<size_t>(gemm_groups(kMaxBatch)) * nb;
  xt_.assign(gb * 8 * kGemmGroup * 4, 0);
  ct_.assign(gb * kGemmGroup, 0);
  dt_.assign(std::max({gb * kGemmGroup, static_cast<size_t>(pair_groups(kMaxBatch)) * nb * kPairGroup,
                       static_cast<size_t>(quad_groups(kMaxBatch)) * nb * kQuadGroup}),
             0.f);
  xp_.assign(static_cast<size_t>(pair_groups(kMaxBatch)) * nb * 256, 0);
  xq_.assign(static_cast<size_t>(quad_groups(kMaxBatch)) * nb * 128, 0);
  rowbuf_.assign(static_cast<size_t>(threads) * max_cols_, 0.f);
  return true;
}

ModelInfo Model::info() const {
  ModelInfo i;
  i.kernels = ks_->name;
  i.threads = pool_->size();
  i.context = context_;
  i.kv_type = kv_type_;
  i.act_f32 = act_f32_;
  i.weight_bytes = weight_bytes_;
  i.kv_bytes = kv_bytes_;
  i.mapped_bytes = file_.size();
  return i;
}

bool Model::forward(const int32_t* tokens, int n, int pos, bool all_logits, float* out, std::string* err) {
  if (n <= 0) {
    *err = "forward needs at least one token";
    return false;
  }
  if (pos < 0 || static_cast<int64_t>(pos) + n > context_) {
    *err = "positions " + std::to_string(pos) + ".." + std::to_string(static_cast<int64_t>(pos) + n - 1) +
           " exceed the context length of " + std::to_string(context_) + " tokens";
    return false;
  }
  for (int i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= spec_.vocab_size) {
      *err = "token id " + std::to_string(tokens[i]) + " is outside the vocabulary (0.." + std::to_string(spec_.vocab_size - 1) + ")";
      return false;
    }
  }
  const bool long_rope = rope_.use_long(pos + n);
  const auto t_total = Clock::now();
  for (int start = 0; start < n; start += kMaxBatch) {
    const int b = std::min(kMaxBatch, n - start);
    const bool last = start + b == n;
    float* dst = all_logits ? out + static_cast<size_t>(start) * spec_.vocab_size : out;
    run_batch(tokens + start, b, pos + start, long_rope, all_logits, last && !all_logits, dst);
  }
  if (profile_) {
    prof_[5] += since(t_total);
    ++prof_calls_;
    prof_tokens_ += n;
  }
  return true;
}

void Model::rmsnorm(const float* x, const float* w, float* out, int T) {
  const int H = spec_.hidden_size;
  const float eps = static_cast<float>(spec_.rms_norm_eps);
  for (int t = 0; t < T; ++t) {
    const float* xt = x + static_cast<size_t>(t) * H;
    float* ot = out + static_cast<size_t>(t) * H;
    double ss = 0;
    for (int i = 0; i < H; ++i) ss += static_cast<double>(xt[i]) * xt[i];
    const float var = static_cast<float>(ss / H);
    const float r = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < H; ++i) ot[i] = w[i] * (xt[i] * r);
  }
}

void Model::matmul(const WeightView& w, const float* x, size_t ldx, int T, float* y, size_t ldy) {
  const int threads = pool_->size();
  const int rows = w.rows;
  // Row chunks: a few per thread for balance, whole row blocks.
  int chunk = (rows + threads * 4 - 1) / (threads * 4);
  chunk = std::max(kRowBlock, (chunk + kRowBlock - 1) / kRowBlock * kRowBlock);
  const int tasks = (rows + chunk - 1) / chunk;

  if (w.coded() && act_f32_) {
    // Exact mode: decode each row to floats, float dot products (for accuracy comparisons).
    pool_->parallel_for(tasks, [&](int task, int thread) {
      float* row = rowbuf_.data() + static_cast<size_t>(thread) * max_cols_;
      const int r0 = task * chunk, r1 = std::min(rows, r0 + chunk);
      for (int r = r0; r < r1; ++r) {
        ks_->decode_row(w, r, row);
        for (int t = 0; t < T; ++t) y[static_cast<size_t>(t) * ldy + r] = ks_->dot_f32(row, x + static_cast<size_t>(t) * ldx, w.cols);
      }
    });
    return;
  }

  Acts a;
  a.T = T;
  a.x = x;
  a.ldx = ldx;
  auto tm0 = Clock::now();
  if (w.coded()) {
    const int nb = (w.cols + kBlock - 1) / kBlock;
    int8_t* q = aq_.data();
    int8_t* q4 = aq_.data() + static_cast<size_t>(kMaxBatch) * nb * kBlock;
    float* d = ad_.data();
    int32_t* s = as_.data();
    const bool need_q4 = w.kind == WeightKind::CB4 && ks_->q4_order;
    const bool need_q16 = w.kind == WeightKind::CB8 && w.cb8->segments && ks_->q16_order != Q16Order::None;
    int16_t* q16 = aq16_.data();
    pool_->parallel_for(T, [&](int t, int) {
      quantize_acts(x + static_cast<size_t>(t) * ldx, ldx, w.cols, 1, q + static_cast<size_t>(t) * nb * kBlock, d + static_cast<size_t>(t) * nb,
                    s + static_cast<size_t>(t) * nb);
      if (need_q4) reorder_q4(q + static_cast<size_t>(t) * nb * kBlock, 1, nb, q4 + q4_order_bytes(nb) * t);
      if (need_q16) widen_q16(q + static_cast<size_t>(t) * nb * kBlock, 1, nb, ks_->q16_order, q16 + static_cast<size_t>(t) * nb * kBlock);
    });
    if (profile_) {
      prof_[0] += since(tm0);
      tm0 = Clock::now();
    }
    a.q = q;
    a.d = d;
    a.s = s;
    a.nb = nb;
    a.q4 = need_q4 ? q4 : nullptr;
    a.q16 = need_q16 ? q16 : nullptr;
    if (ks_->gemm && T >= ks_->gemm_min_tokens) {
      // Prefill: token-major activations, weight rows decoded once per call and reused by every token.
      if (ks_->gemm_layout == GemmLayout::Pairs8) {
        transpose_acts_pairs(q, d, T, nb, xp_.data(), dt_.data());
        a.xp = xp_.data();
      } else if (ks_->gemm_layout == GemmLayout::Quads4) {
        transpose_acts_quads(q, d, T, nb, xq_.data(), dt_.data());
        a.xq = xq_.data();
      } else {
        transpose_acts(q, d, s, T, nb, xt_.data(), ct_.data(), dt_.data());
        a.xt = xt_.data();
        a.ct = ct_.data();
      }
      a.dt = dt_.data();
      constexpr int kGemmRows = 48;  // a multiple of the GEMM row tiles (3 and 4)
      int gchunk = (rows + threads * 2 - 1) / (threads * 2);
      gchunk = std::max(kGemmRows, (gchunk + kGemmRows - 1) / kGemmRows * kGemmRows);
      const int gtasks = (rows + gchunk - 1) / gchunk;
      const KernelSet* ks = ks_;
      pool_->parallel_for(gtasks, [&](int task, int) {
        const int r0 = task * gchunk, r1 = std::min(rows, r0 + gchunk);
        ks->gemm(w, a, r0, r1, y, ldy);
      });
      if (profile_) prof_[2] += since(tm0);
      return;
    }
  }
  const KernelSet* ks = ks_;
  pool_->parallel_for(tasks, [&](int task, int) {
    const int r0 = task * chunk, r1 = std::min(rows, r0 + chunk);
    if (T <= kTokenTile) {
      ks->matmul(w, a, r0, r1, y, ldy);
      return;
    }
    for (int rb = r0; rb < r1; rb += kRowBlock) {
      const int re = std::min(r1, rb + kRowBlock);
      for (int t0 = 0; t0 < T; t0 += kTokenTile) {
        Acts sub = a;
        sub.T = std::min(kTokenTile, T - t0);
        sub.x = a.x + static_cast<size_t>(t0) * a.ldx;
        if (a.q) {
          sub.q = a.q + static_cast<size_t>(t0) * a.nb * kBlock;
          sub.d = a.d + static_cast<size_t>(t0) * a.nb;
          sub.s = a.s + static_cast<size_t>(t0) * a.nb;
          if (a.q4) sub.q4 = a.q4 + q4_order_bytes(a.nb) * t0;
          if (a.q16) sub.q16 = a.q16 + static_cast<size_t>(t0) * a.nb * kBlock;
        }
        ks->matmul(w, sub, rb, re, y + static_cast<size_t>(t0) * ldy, ldy);
      }
    }
  });
  if (profile_) prof_[1] += since(tm0);
}

// KV cache layout: per layer, K then V; within each, per KV head, context rows of one position
// (head_dim values as f32, f16, or a q8 row: see quantize_kv_q8), so a head's keys are contiguous
// and attention streams them.
void Model::attention(int layer, int n, int pos) {
  const int Hn = spec_.num_heads, KVn = spec_.num_kv_heads, hd = spec_.head_dim;
  const int group = Hn / KVn;
  const size_t head_bytes = static_cast<size_t>(context_) * kv_row_bytes_;
  const size_t layer_bytes = head_bytes * KVn;
  const uint8_t* kbase = static_cast<uint8_t*>(kv_) + static_cast<size_t>(layer) * 2 * layer_bytes;
  const uint8_t* vbase = kbase + layer_bytes;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  const KernelSet* ks = ks_;
  const KvType kt = kv_type_;
  const int q_dim = Hn * hd;
  pool_->parallel_for(n * Hn, [&](int task, int thread) {
    const int i = task / Hn, h = task % Hn;
    const int kvh = h / group;
    const float* q = qkv_.data() + static_cast<size_t>(i) * qkv_rows_ + static_cast<size_t>(h) * hd;
    float* o = att_.data() + static_cast<size_t>(i) * q_dim + static_cast<size_t>(h) * hd;
    float* sc = scores_.data() + static_cast<size_t>(thread) * context_;
    const size_t off = kvh * head_bytes;
    if (kt == KvType::F16)
      ks->attend_f16(q, reinterpret_cast<const uint16_t*>(kbase + off), reinterpret_cast<const uint16_t*>(vbase + off), pos + i + 1, hd, scale, o, sc);
    else if (kt == KvType::Q8)
      ks->attend_q8(q, kbase + off, vbase + off, pos + i + 1, hd, scale, o, sc);
    else
      ks->attend_f32(q, reinterpret_cast<const float*>(kbase + off), reinterpret_cast<const float*>(vbase + off), pos + i + 1, hd, scale, o, sc);
  });
}

void Model::run_batch(const int32_t* tokens, int n, int pos, bool long_rope, bool logits_all, bool logits_last, float* out) {
  const int H = spec_.hidden_size, I = spec_.intermediate_size, hd = spec_.head_dim;
  const int Hn = spec_.num_heads, KVn = spec_.num_kv_heads;
  const int q_dim = Hn * hd;
  const int rdim = rope_.dim(), half = rdim / 2;
  const KernelSet* ks = ks_;

  pool_->parallel_for(n, [&](int i, int) { ks->decode_row(embed_, tokens[i], x_.data() + static_cast<size_t>(i) * H); });
  for (int i = 0; i < n; ++i) rope_.angles(pos + i, long_rope, rope_cs_.data() + static_cast<size_t>(i) * rdim, rope_cs_.data() + static_cast<size_t>(i) * rdim + half);

  const size_t layer_bytes = static_cast<size_t>(context_) * KVn * kv_row_bytes_;  // K (or V) of one layer
  for (int l = 0; l < spec_.num_layers; ++l) {
    const LayerWeights& lw = layers_[l];
    rmsnorm(x_.data(), lw.attn_norm, xn_.data(), n);
    matmul(lw.qkv, xn_.data(), H, n, qkv_.data(), qkv_rows_);
    uint8_t* kbase = static_cast<uint8_t*>(kv_) + static_cast<size_t>(l) * 2 * layer_bytes;
    uint8_t* vbase = kbase + layer_bytes;
    pool_->parallel_for(n, [&](int i, int) {
      float* row = qkv_.data() + static_cast<size_t>(i) * qkv_rows_;
      if (lw.qkv_bias)
        for (int r = 0; r < qkv_rows_; ++r) row[r] += lw.qkv_bias[r];
      const float* c = rope_cs_.data() + static_cast<size_t>(i) * rdim;
      for (int h = 0; h < Hn + KVn; ++h) rope_.apply(row + static_cast<size_t>(h) * hd, c, c + half);
      const float* k = row + q_dim;
      const float* v = row + q_dim + kv_dim_;
      for (int kh = 0; kh < KVn; ++kh) {
        const size_t off = (static_cast<size_t>(kh) * context_ + static_cast<size_t>(pos + i)) * kv_row_bytes_;
        if (kv_type_ == KvType::F16) {
          ks->f32_to_f16(k + static_cast<size_t>(kh) * hd, reinterpret_cast<uint16_t*>(kbase + off), hd);
          ks->f32_to_f16(v + static_cast<size_t>(kh) * hd, reinterpret_cast<uint16_t*>(vbase + off), hd);
        } else if (kv_type_ == KvType::Q8) {
          quantize_kv_q8(k + static_cast<size_t>(kh) * hd, hd, kbase + off);
          quantize_kv_q8(v + static_cast<size_t>(kh) * hd, hd, vbase + off);
        } else {
          std::memcpy(kbase + off, k + static_cast<size_t>(kh) * hd, sizeof(float) * hd);
          std::memcpy(vbase + off, v + static_cast<size_t>(kh) * hd, sizeof(float) * hd);
        }
      }
    });
    {
      const auto ta = Clock::now();
      attention(l, n, pos);
      if (profile_) prof_[3] += since(ta);
    }
    matmul(lw.o, att_.data(), q_dim, n, tmp_.data(), H);
    for (size_t i = 0; i < static_cast<size_t>(n) * H; ++i) x_[i] += tmp_[i];
    rmsnorm(x_.data(), lw.mlp_norm, xn_.data(), n);
    matmul(lw.gate_up, xn_.data(), H, n, gu_.data(), 2 * I);
    {
      // SiLU(gate) * up, in chunks over every thread
      constexpr int kChunk = 2048;
      const int per = (I + kChunk - 1) / kChunk;
      pool_->parallel_for(n * per, [&](int task, int) {
        const int i = task / per, c0 = (task % per) * kChunk, c1 = std::min(I, c0 + kChunk);
        const float* g = gu_.data() + static_cast<size_t>(i) * 2 * I;
        ks->silu_mul(g + c0, g + I + c0, act_.data() + static_cast<size_t>(i) * I + c0, c1 - c0);
      });
    }
    matmul(lw.down, act_.data(), I, n, tmp_.data(), H);
    for (size_t i = 0; i < static_cast<size_t>(n) * H; ++i) x_[i] += tmp_[i];
  }
  if (logits_all) {
    rmsnorm(x_.data(), final_norm_, xn_.data(), n);
    matmul(lm_head_, xn_.data(), H, n, out, spec_.vocab_size);
  } else if (logits_last) {
    rmsnorm(x_.data() + static_cast<size_t>(n - 1) * H, final_norm_, xn_.data(), 1);
    matmul(lm_head_, xn_.data(), H, 1, out, spec_.vocab_size);
  }
}

}  // namespace qins
