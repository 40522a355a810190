// Generic C++ kernels: the reference every SIMD implementation is tested against, and the
// fallback on CPUs without a SIMD set (or when forced with QINS_KERNELS=generic).
#include <cmath>
#include <cstring>

#include "kernels/half.h"
#include "kernels/kernels.h"

namespace qins {
namespace {

inline float load_kv(float v) { return v; }
inline float load_kv(uint16_t h) { return half_f32(h); }

inline int cb4_code(const uint8_t* blk, int j) {  // column j (0..31) of a 16-byte block
  return j < 16 ? (blk[j] & 0x0f) : (blk[j - 16] >> 4);
}

void matmul_f32(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  const float* W = static_cast<const float*>(w.data);
  for (int r = r0; r < r1; ++r) {
    const float* wr = W + static_cast<size_t>(r) * w.cols;
    for (int t = 0; t < a.T; ++t) {
      const float* x = a.x + static_cast<size_t>(t) * a.ldx;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int c = 0;
      for (; c + 8 <= w.cols; c += 8)
        for (int k = 0; k < 8; ++k) acc[k] += wr[c + k] * x[c + k];
      for (; c < w.cols; ++c) acc[c & 7] += wr[c] * x[c];
      y[static_cast<size_t>(t) * ldy + r] =
          ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
  }
}

void matmul_bf16(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  const uint16_t* W = static_cast<const uint16_t*>(w.data);
  for (int r = r0; r < r1; ++r) {
    const uint16_t* wr = W + static_cast<size_t>(r) * w.cols;
    for (int t = 0; t < a.T; ++t) {
      const float* x = a.x + static_cast<size_t>(t) * a.ldx;
      float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int c = 0;
      for (; c + 8 <= w.cols; c += 8)
        for (int k = 0; k < 8; ++k) acc[k] += bf16_f32(wr[c + k]) * x[c + k];
      for (; c < w.cols; ++c) acc[c & 7] += bf16_f32(wr[c]) * x[c];
      y[static_cast<size_t>(t) * ldy + r] =
          ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
  }
}

void matmul_cb8(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int16_t* tab = w.cb8->ints;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    for (int t = 0; t < a.T; ++t) {
      const int8_t* q = a.q + static_cast<size_t>(t) * a.nb * kBlock;
      const float* d = a.d + static_cast<size_t>(t) * a.nb;
      float acc = 0.f;
      for (int b = 0; b < nb; ++b) {
        int32_t isum = 0;
        for (int j = 0; j < kBlock; ++j) isum += tab[cr[b * kBlock + j]] * q[b * kBlock + j];
        acc += half_f32(sr[b]) * d[b] * static_cast<float>(isum);
      }
      y[static_cast<size_t>(t) * ldy + r] = acc * w.cb8->inv_denom;
    }
  }
}

void matmul_cb4(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  const int nb = w.cols_p / kBlock;
  const int8_t* tab = w.cb4->ints;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
    const uint16_t* sr = w.scales + static_cast<size_t>(r) * nb;
    for (int t = 0; t < a.T; ++t) {
      const int8_t* q = a.q + static_cast<size_t>(t) * a.nb * kBlock;
      const float* d = a.d + static_cast<size_t>(t) * a.nb;
      float acc = 0.f;
      for (int b = 0; b < nb; ++b) {
        const uint8_t* blk = cr + b * (kBlock / 2);
        int32_t isum = 0;
        for (int j = 0; j < kBlock; ++j) isum += tab[cb4_code(blk, j)] * q[b * kBlock + j];
        acc += half_f32(sr[b]) * d[b] * static_cast<float>(isum);
      }
      y[static_cast<size_t>(t) * ldy + r] = acc * w.cb4->inv_denom;
    }
  }
}

void matmul_seed(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  const int sbytes = (w.cols + 7) / 8;
  const int16_t* tab = w.seed->ints;
  for (int r = r0; r < r1; ++r) {
    const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols;
    const uint8_t* sg = w.signs + static_cast<size_t>(r) * sbytes;
    for (int t = 0; t < a.T; ++t) {
      const int8_t* q = a.q + static_cast<size_t>(t) * a.nb * kBlock;
      const float* d = a.d + static_cast<size_t>(t) * a.nb;
      float acc = 0.f;
      for (int b = 0; b * kBlock < w.cols; ++b) {
        const int c0 = b * kBlock;
        const int n = w.cols - c0 < kBlock ? w.cols - c0 : kBlock;
        int32_t isum = 0;
        for (int j = 0; j < n; ++j) {
          const int c = c0 + j;
          const int v = tab[cr[c]] * q[c];
          isum += ((sg[c >> 3] >> (c & 7)) & 1) ? -v : v;
        }
        acc += d[b] * static_cast<float>(isum);
      }
      y[static_cast<size_t>(t) * ldy + r] = acc * w.seed->step;
    }
  }
}

void matmul(const WeightView& w, const Acts& a, int r0, int r1, float* y, size_t ldy) {
  switch (w.kind) {
    case WeightKind::F32: return matmul_f32(w, a, r0, r1, y, ldy);
    case WeightKind::BF16: return matmul_bf16(w, a, r0, r1, y, ldy);
    case WeightKind::CB8: return matmul_cb8(w, a, r0, r1, y, ldy);
    case WeightKind::CB4: return matmul_cb4(w, a, r0, r1, y, ldy);
    case WeightKind::Seed: return matmul_seed(w, a, r0, r1, y, ldy);
  }
}

void decode_row(const WeightView& w, int r, float* out) {
  switch (w.kind) {
    case WeightKind::F32:
      std::memcpy(out, static_cast<const float*>(w.data) + static_cast<size_t>(r) * w.cols, sizeof(float) * w.cols);
      return;
    case WeightKind::BF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + static_cast<size_t>(r) * w.cols;
      for (int c = 0; c < w.cols; ++c) out[c] = bf16_f32(src[c]);
      return;
    }
    case WeightKind::CB8: {
      const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols_p;
      const uint16_t* sr = w.scales + static_cast<size_t>(r) * (w.cols_p / kBlock);
      const float inv = w.cb8->inv_denom;
      for (int c = 0; c < w.cols; ++c)
        out[c] = half_f32(sr[c / kBlock]) * (static_cast<float>(w.cb8->ints[cr[c]]) * inv);
      return;
    }
    case WeightKind::CB4: {
      const uint8_t* cr = w.codes + static_cast<size_t>(r) * (w.cols_p / 2);
      const uint16_t* sr = w.scales + static_cast<size_t>(r) * (w.cols_p / kBlock);
      const float inv = w.cb4->inv_denom;
      for (int c = 0; c < w.cols; ++c) {
        const int code = cb4_code(cr + (c / kBlock) * (kBlock / 2), c % kBlock);
        out[c] = half_f32(sr[c / kBlock]) * (static_cast<float>(w.cb4->ints[code]) * inv);
      }
      return;
    }
    case WeightKind::Seed: {
      const uint8_t* cr = w.codes + static_cast<size_t>(r) * w.cols;
      const uint8_t* sg = w.signs + static_cast<size_t>(r) * ((w.cols + 7) / 8);
      for (int c = 0; c < w.cols; ++c) {
        const float m = cr[c] ? w.seed->scale / static_cast<float>(cr[c]) : 0.f;
        out[c] = ((sg[c >> 3] >> (c & 7)) & 1) ? -m : m;
      }
      return;
    }
  }
}

float dot_f32(const float* a, const float* b, int n) {
  float acc[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) acc[k] += a[i + k] * b[i + k];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

void axpy_f32(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

float dot_f16(const float* a, const uint16_t* b, int n) {
  float acc[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) acc[k] += a[i + k] * half_f32(b[i + k]);
  for (; i < n; ++i) acc[0] += a[i] * half_f32(b[i]);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

void axpy_f16(float alpha, const uint16_t* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * half_f32(x[i]);
}

void silu_mul(const float* g, const float* u, float* out, int n) {
  for (int i = 0; i < n; ++i) out[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

void f32_to_f16(const float* x, uint16_t* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = f32_half(x[i]);
}

template <typename KV>
void attend(const float* q, const KV* k, const KV* v, int n, int hd, float scale, float* out, float* sc) {
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const KV* kj = k + static_cast<size_t>(j) * hd;
    float acc[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= hd; i += 4)
      for (int m = 0; m < 4; ++m) acc[m] += q[i + m] * load_kv(kj[i + m]);
    for (; i < hd; ++i) acc[0] += q[i] * load_kv(kj[i]);
    sc[j] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  float sum = 0.f;
  for (int j = 0; j < n; ++j) {
    sc[j] = std::exp(sc[j] - mx);
    sum += sc[j];
  }
  const float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (int j = 0; j < n; ++j) {
    const KV* vj = v + static_cast<size_t>(j) * hd;
    const float p = sc[j] * inv;
    for (int i = 0; i < hd; ++i) out[i] += p * load_kv(vj[i]);
  }
}

void attend_q8(const float* q, const uint8_t* k, const uint8_t* v, int n, int hd, float scale, float* out, float* sc) {
  const int nb = kv_q8_blocks(hd);
  const size_t rb = static_cast<size_t>(kv_q8_row_bytes(hd));
  float mx = -INFINITY;
  for (int j = 0; j < n; ++j) {
    const int8_t* kq = reinterpret_cast<const int8_t*>(k + j * rb);
    const uint8_t* ks = k + j * rb + static_cast<size_t>(nb) * kBlock;
    float s = 0.f;
    for (int b = 0; b < nb; ++b) {
      uint16_t h;
      std::memcpy(&h, ks + 2 * b, 2);
      float acc[4] = {0, 0, 0, 0};
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      for (int i = 0; i < e; ++i) acc[i & 3] += q[c0 + i] * static_cast<float>(kq[c0 + i]);
      s += half_f32(h) * ((acc[0] + acc[1]) + (acc[2] + acc[3]));
    }
    sc[j] = s * scale;
    mx = sc[j] > mx ? sc[j] : mx;
  }
  float sum = 0.f;
  for (int j = 0; j < n; ++j) {
    sc[j] = std::exp(sc[j] - mx);
    sum += sc[j];
  }
  const float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0.f;
  for (int j = 0; j < n; ++j) {
    const int8_t* vq = reinterpret_cast<const int8_t*>(v + j * rb);
    const uint8_t* vs = v + j * rb + static_cast<size_t>(nb) * kBlock;
    const float p = sc[j] * inv;
    for (int b = 0; b < nb; ++b) {
      uint16_t h;
      std::memcpy(&h, vs + 2 * b, 2);
      const float c = p * half_f32(h);
      const int c0 = b * kBlock, e = hd - c0 < kBlock ? hd - c0 : kBlock;
      for (int i = 0; i < e; ++i) out[c0 + i] += c * static_cast<float>(vq[c0 + i]);
    }
  }
}

void attend_f32(const float* q, const float* k, const float* v, int n, int hd, float scale, float* out, float* sc) {
  attend<float>(q, k, v, n, hd, scale, out, sc);
}
void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n, int hd, float scale, float* out, float* sc) {
  attend<uint16_t>(q, k, v, n, hd, scale, out, sc);
}

uint64_t stream_read(const void* p, size_t bytes) {
  const uint64_t* u = static_cast<const uint64_t*>(p);
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i < bytes / 8; i += 4) {
    a0 += u[i];
    a1 += u[i + 1];
    a2 += u[i + 2];
    a3 += u[i + 3];
  }
  return a0 + a1 + a2 + a3;
}

const KernelSet kGeneric = {"generic", false, Q16Order::None, matmul, nullptr, GemmLayout::None, 0, decode_row, attend_f32, attend_f16, attend_q8, dot_f32, axpy_f32, dot_f16, axpy_f16, f32_to_f16, silu_mul, stream_read};

}  // namespace

const KernelSet& generic_kernels() { return kGeneric; }

}  // namespace qins
