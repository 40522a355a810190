// The kernel interface: one table of functions per instruction set (generic C++, AVX2, AVX-512,
// NEON), chosen at run time (dispatch.cpp). Every implementation computes the same thing; the
// SIMD ones are tested against the generic one (native/test/kernel_test.cpp).
//
// Weight paths (docs/qins-format.md):
//   F32, BF16  passthrough matrices, float activations, float accumulation.
//   CB8        8-bit codes, fp16 scale per block of 32, 256-entry int16 codebook (qins8, q8).
//   CB4        4-bit codes (ggml Q4_0 nibble order), fp16 scale per block, 16-entry int8 codebook (qins4, q4).
//   SEED       qins-seed: 8-bit magnitude codes 1..255 + sign bit plane, one scale per tensor.
//
// The coded paths multiply integer weights with activations quantized per block of 32 to int8
// (x ~= d * q, d = max|x| / 127, as llama.cpp's Q8_0 activations). Per block the integer sum
// sum(ints[code] * q) is exact in every implementation, so SIMD and generic results differ only by
// the order of the float accumulation of the per-block terms.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace qins {

constexpr int kBlock = 32;

enum class WeightKind : uint8_t { F32, BF16, CB8, CB4, Seed };

// How an 8-bit codebook's values are laid out in the lookup byte planes (chosen at load time).
enum class Cb8Form : uint8_t {
  // Any 256 int16 values. lo/hi hold the bytes of (ints[code] + 32768) for code 0..255; the kernels
  // subtract 32768 * sum(q) per block.
  General,
  // ints[128 + k] == -ints[k] and ints[k] >= 0 for k < 128 (qins8): bit 7 of the code is the sign,
  // lo/hi hold the bytes of ints[k] for k = 0..127.
  Symmetric,
  // ints[code] == (int8_t)code (q8): the code byte is the value.
  Int8,
};

struct Codebook8 {
  alignas(64) uint8_t lo[256];
  alignas(64) uint8_t hi[256];
  // Segment structure (qins8, format version 2), detected at load time: with n the code's high
  // nibble (sign and segment) and j its low nibble, ints[code] = seg_e[n] * (seg_b[n] + j), where
  // seg_b is an unsigned byte (<= 240) and seg_e a signed byte (+-1..127, negative for n >= 8).
  alignas(16) uint8_t seg_b[16];
  alignas(16) int8_t seg_e[16];
  alignas(16) int8_t seg_bm[16];  // seg_b - 128 (signed bytes, for E * (B - 128 + j) + 128 * E)
  bool segments;
  // Bytes of (ints[code] + 32768) for every form (the GEMM path's unsigned weight planes).
  alignas(64) uint8_t ob_lo[256];
  alignas(64) uint8_t ob_hi[256];
  int16_t ints[256];
  float inv_denom;
  Cb8Form form;
};

struct Codebook4 {
  alignas(16) int8_t ints[16];
  alignas(16) uint8_t biased[16];  // ints + 128 (unsigned operand for u8 x s8 dot products)
  // When the values span at most 127 (q4: -8..7), ints + small_bias lies in 0..127, so u8 x s8
  // pair sums cannot saturate: the AVX2 kernel multiplies these directly and subtracts
  // small_bias * sum(q) per block. small_bias < 0 when the span is wider.
  alignas(16) uint8_t small[16];
  int small_bias;
  float inv_denom;
};

// qins-seed magnitude table: |w| = scale / stored ~= step * ints[stored], ints[s] = round(32767 / s).
struct SeedTable {
  alignas(64) uint8_t lo[256];
  alignas(64) uint8_t hi[256];
  int16_t ints[256];
  float step;    // scale / 32767
  float scale;   // the tensor's scale (exact decode: scale / stored)
};

// A read-only view of one 2-D weight matrix (rows = output features) inside the mapped file.
struct WeightView {
  WeightKind kind = WeightKind::F32;
  int rows = 0;
  int cols = 0;
  int cols_p = 0;                      // CB8/CB4: cols rounded up to kBlock; otherwise cols
  const uint8_t* codes = nullptr;      // CB8: rows*cols_p; CB4: rows*cols_p/2; SEED: rows*cols
  const uint16_t* scales = nullptr;    // CB8/CB4: fp16, rows * cols_p/kBlock
  const uint8_t* signs = nullptr;      // SEED: rows * ceil(cols/8), bit c%8 of byte c/8 = negative
  const void* data = nullptr;          // F32 / BF16 values, rows*cols
  const Codebook8* cb8 = nullptr;
  const Codebook4* cb4 = nullptr;
  const SeedTable* seed = nullptr;

  bool coded() const { return kind == WeightKind::CB8 || kind == WeightKind::CB4 || kind == WeightKind::Seed; }
};

// Activations of T tokens. Float paths read x; coded paths read the quantized form (q, d, s) made
// by quantize_acts(), with nb = ceil(cols / kBlock) blocks per token (zero padded).
struct Acts {
  int T = 0;
  const float* x = nullptr;
  size_t ldx = 0;
  const int8_t* q = nullptr;   // T * nb * kBlock
  const float* d = nullptr;    // T * nb: block scale
  const int32_t* s = nullptr;  // T * nb: sum of the block's q
  int nb = 0;
  // The same q re-ordered by reorder_q4() for kernel sets with q4_order set (4-bit path).
  const int8_t* q4 = nullptr;
  // The same q widened to int16 by widen_q16() for kernel sets with q16_order set (8-bit segment path).
  const int16_t* q16 = nullptr;
  // Token-major copies for KernelSet::gemm, in the layout the set asks for (KernelSet::gemm_layout):
  // Quads16: made by transpose_acts() (groups of kGemmGroup tokens, xt / ct / dt);
  // Pairs8: made by transpose_acts_pairs() (groups of kPairGroup tokens, xp / dt);
  // Quads4: made by transpose_acts_quads() (groups of kQuadGroup tokens, xq / dt).
  const int16_t* xp = nullptr;
  const int8_t* xq = nullptr;
  const int8_t* xt = nullptr;
  const int32_t* ct = nullptr;
  const float* dt = nullptr;
};

// int16 copies of q for the 8-bit segment kernels, nb * 32 values per token, per block of 32 either
// in column order or even columns first (0, 2, ..., 30), then odd ones (1, 3, ..., 31): the order in
// which byte products come out of 16-bit lanes on x86.
enum class Q16Order : uint8_t { None, Natural, EvenOdd };
void widen_q16(const int8_t* q, int T, int nb, Q16Order order, int16_t* out);

// Tokens per lane group of the GEMM layout (one int32 / float lane per token in a 512-bit vector).
constexpr int kGemmGroup = 16;
inline int gemm_groups(int T) { return (T + kGemmGroup - 1) / kGemmGroup; }
// For group g, block b: xt holds 8 quads of kGemmGroup x 4 bytes (token t's columns 4j..4j+3 of
// the block in lane t of quad j), ct the correction -128 * s and dt the scale d of each token (zero
// for tokens past T). Sizes: xt gemm_groups(T) * nb * 512 bytes, ct and dt gemm_groups(T) * nb * 16.
void transpose_acts(const int8_t* q, const float* d, const int32_t* s, int T, int nb, int8_t* xt, int32_t* ct, float* dt);

// Tokens per lane group of the Pairs8 GEMM layout (eight int32 / float lanes in a 256-bit vector).
constexpr int kPairGroup = 8;
inline int pair_groups(int T) { return (T + kPairGroup - 1) / kPairGroup; }
// For group g, block b: xp holds 16 column pairs, each as kPairGroup tokens x 2 int16 (token t's
// columns 2p, 2p+1 of the block in lane t of pair p), dt the scale d of each token (zero past T).
// Sizes: xp pair_groups(T) * nb * 256 int16, dt pair_groups(T) * nb * 8 floats.
void transpose_acts_pairs(const int8_t* q, const float* d, int T, int nb, int16_t* xp, float* dt);

// Tokens per lane group of the Quads4 GEMM layout (four int32 / float lanes in a 128-bit vector).
constexpr int kQuadGroup = 4;
inline int quad_groups(int T) { return (T + kQuadGroup - 1) / kQuadGroup; }
// For group g, block b: xq holds 8 column quads, each as kQuadGroup tokens x 4 int8 (token t's
// columns 4j..4j+3 of the block at bytes 4t..4t+3 of quad j), dt the scale d of each token.
// Sizes: xq quad_groups(T) * nb * 128 bytes, dt quad_groups(T) * nb * 4 floats.
void transpose_acts_quads(const int8_t* q, const float* d, int T, int nb, int8_t* xq, float* dt);

enum class GemmLayout : uint8_t { None, Quads16, Pairs8, Quads4 };

// q8 KV cache rows (Q8_0-like): a head's hd values in blocks of 32 (the last one zero padded) as
// int8, then one fp16 scale per block; value = scale * int8, scale = max|x| / 127 of the block.
inline int kv_q8_blocks(int hd) { return (hd + kBlock - 1) / kBlock; }
inline int kv_q8_row_bytes(int hd) { return kv_q8_blocks(hd) * (kBlock + 2); }
void quantize_kv_q8(const float* x, int hd, uint8_t* row);

// Quantizes T rows of x (cols values each, row stride ldx) into q/d/s (layout of Acts). Shared by
// every instruction set so that all of them see identical integer activations.
void quantize_acts(const float* x, size_t ldx, int cols, int T, int8_t* q, float* d, int32_t* s);

// Bytes per token of the reorder_q4() layout for nb blocks.
inline size_t q4_order_bytes(int nb) { return static_cast<size_t>((nb + 3) / 4) * 128; }
// Per group of four blocks: 64 bytes holding columns 0..15 of each block, then 64 bytes holding
// columns 16..31 (the order in which the 4-bit kernels unpack nibbles). Zero padded.
void reorder_q4(const int8_t* q, int T, int nb, int8_t* out);

struct KernelSet {
  const char* name;
  // matmul on 4-bit weights reads Acts::q4 (callers must fill it with reorder_q4()).
  bool q4_order;
  // matmul on 8-bit segment codebooks reads Acts::q16 (callers must fill it with widen_q16() in this order).
  Q16Order q16_order;
  // y[t * ldy + r] = sum_c W[r][c] * x_t[c] for r in [r0, r1), t in [0, a.T).
  void (*matmul)(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy);
  // Optional (nullptr when absent): the same product for many tokens (T >= gemm_min_tokens) with
  // the coded paths, reading the token-major activations of gemm_layout (prefill). Float paths fall
  // back to matmul.
  void (*gemm)(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy);
  GemmLayout gemm_layout;
  int gemm_min_tokens;
  // Decodes row r of W to floats exactly as the format defines it (embedding lookups).
  void (*decode_row)(const WeightView& w, int r, float* out);
  // One attention head for one query: out[hd] = softmax(scale * q.K_j, j < n) . V_j, with key j at
  // k + j * hd and value j at v + j * hd (a head's cache rows are contiguous). scratch holds n floats.
  void (*attend_f32)(const float* q, const float* k, const float* v, int n, int hd, float scale, float* out, float* scratch);
  void (*attend_f16)(const float* q, const uint16_t* k, const uint16_t* v, int n, int hd, float scale, float* out, float* scratch);
  // The same with a q8 cache: key / value j is the row at k / v + j * kv_q8_row_bytes(hd) (see quantize_kv_q8).
  void (*attend_q8)(const float* q, const uint8_t* k, const uint8_t* v, int n, int hd, float scale, float* out, float* scratch);
  float (*dot_f32)(const float* a, const float* b, int n);
  void (*axpy_f32)(float alpha, const float* x, float* y, int n);  // y += alpha * x
  float (*dot_f16)(const float* a, const uint16_t* b, int n);      // b in IEEE half
  void (*axpy_f16)(float alpha, const uint16_t* x, float* y, int n);
  void (*f32_to_f16)(const float* x, uint16_t* y, int n);
  // out[i] = silu(g[i]) * u[i] = g[i] / (1 + e^-g[i]) * u[i] (the gated MLP's activation).
  void (*silu_mul)(const float* g, const float* u, float* out, int n);
  // Reads `bytes` bytes (multiple of 256, 64-byte aligned) and returns a checksum (bandwidth test).
  uint64_t (*stream_read)(const void* p, size_t bytes);
};

// avxvnni: the AVX2 kernels with AVX-VNNI dot products (encoders: the AVX2 ones).
enum class Isa : uint8_t { Generic, Avx2, AvxVnni, Avx512, Neon };
// Every kernel set, in the order they are listed to users.
constexpr Isa kAllIsas[] = {Isa::Generic, Isa::Avx2, Isa::AvxVnni, Isa::Avx512, Isa::Neon};

const char* isa_name(Isa isa);
bool parse_isa(const char* name, Isa* out);
// True when this build contains the kernels and this CPU (and OS) can run them.
bool isa_available(Isa isa);
// The fastest available set.
Isa best_isa();
// The set to use for a requested name ("auto" or "" = the env QINS_KERNELS when it names a set,
// else best_isa()): false with a one-line reason when the name is unknown or the set is not
// available. Shared by the engine and the converter's encoders.
bool choose_isa(const std::string& requested, Isa* out, std::string* err);
const KernelSet& kernels(Isa isa);  // isa must be available

// Per-ISA tables (defined only in builds that contain them).
const KernelSet& generic_kernels();
#if defined(QINS_HAVE_X86_KERNELS)
const KernelSet& avx2_kernels();
const KernelSet& avxvnni_kernels();
const KernelSet& avx512_kernels();
#endif
#if defined(QINS_HAVE_NEON_KERNELS)
const KernelSet& neon_kernels();
#endif

// Builds the lookup tables of a codebook; returns false (with a reason) when the values do not fit
// the integer kernels (8-bit: |v| <= 32767 with 256 entries; 4-bit: |v| <= 127 with 16 entries).
bool prepare_codebook8(const int32_t* ints, int n, double denom, Codebook8* out, const char** why);
bool prepare_codebook4(const int32_t* ints, int n, double denom, Codebook4* out, const char** why);
void prepare_seed_table(float scale, SeedTable* out);

}  // namespace qins
