// Node-API surface of the converter's encoders: `exports.codecs = { encode, absMax, tuneQins8,
// tuneQins4, qins8Codebook, inverse4Codebook, threads, isa }`. Every heavy call runs on a libuv
// worker (PromiseWorker) and splits rows over its own threads; the JS thread is never blocked.
// `isa` (job option): 'auto' (default: QINS_KERNELS when set, else the best set of this CPU) or a
// set name ('generic', 'avx2', 'avx512', 'neon'), refused when this CPU or build lacks it.
// encode() reads its rows from `src`, or from an open file (`fd`, `offset`) on its own threads,
// and continues a CRC-32 of the codes when given `crc`.
#include <napi.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon_parts.h"
#include "addon_worker.h"
#include "codecs/encoders.h"
#include "codecs/parallel.h"
#include "codecs/tune.h"
#include "kernels/kernels.h"

#if defined(_WIN32)
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

namespace qins {
namespace {

using namespace qins::codecs;

struct Bytes {
  uint8_t* data = nullptr;
  size_t size = 0;
};

/** Reads a typed array / Buffer property; keeps a reference so it outlives the async work. */
bool get_bytes(Napi::Env env, Napi::Object job, const char* key, bool required, Bytes& out,
               std::vector<Napi::Reference<Napi::Value>>& keep) {
  Napi::Value v = job.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) Napi::TypeError::New(env, std::string("codecs: missing ") + key).ThrowAsJavaScriptException();
    return !required;
  }
  if (!v.IsTypedArray()) {
    Napi::TypeError::New(env, std::string("codecs: ") + key + " must be a typed array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  out.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  out.size = ta.ByteLength();
  keep.emplace_back(Napi::Persistent(v));
  return true;
}

bool get_int(Napi::Env env, Napi::Object job, const char* key, int64_t fallback, int64_t lo, int64_t hi, int64_t& out) {
  Napi::Value v = job.Get(key);
  if (v.IsUndefined()) {
    out = fallback;
    return true;
  }
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string("codecs: ") + key + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || std::floor(d) != d) {
    Napi::RangeError::New(env, std::string("codecs: ") + key + " out of range").ThrowAsJavaScriptException();
    return false;
  }
  out = static_cast<int64_t>(d);
  return true;
}

bool get_num(Napi::Env env, Napi::Object job, const char* key, double fallback, double& out) {
  Napi::Value v = job.Get(key);
  if (v.IsUndefined()) {
    out = fallback;
    return true;
  }
  if (!v.IsNumber()) {
    Napi::TypeError::New(env, std::string("codecs: ") + key + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  out = v.As<Napi::Number>().DoubleValue();
  return true;
}

bool get_dtype(Napi::Env env, Napi::Object job, Dtype& out) {
  Napi::Value v = job.Get("dtype");
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "BF16") out = Dtype::BF16;
  else if (s == "F16") out = Dtype::F16;
  else if (s == "F32") out = Dtype::F32;
  else {
    Napi::TypeError::New(env, "codecs: dtype must be BF16, F16 or F32").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

/** `isa`: 'auto' (the default) or an instruction set name this CPU and build support. */
bool get_isa(Napi::Env env, Napi::Object job, Isa& out) {
  Napi::Value v = job.Get("isa");
  if (!v.IsUndefined() && !v.IsString()) {
    Napi::TypeError::New(env, "codecs: isa must be a string ('auto', 'generic', 'avx2', 'avx512' or 'neon')").ThrowAsJavaScriptException();
    return false;
  }
  std::string err;
  if (!choose_isa(v.IsString() ? v.As<Napi::String>().Utf8Value() : "auto", &out, &err)) {
    Napi::RangeError::New(env, "codecs: isa: " + err).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Value throw_range(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, "codecs: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// encode

enum class Codec { Q8, QINS8, Q4, QINS4, SEED };

/** A failed read: the message and a Node-style code ('EOF' for a file that ended early). */
struct ReadError {
  std::string code, message;
};

const char* errno_code(int e) {
  switch (e) {
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    default: return "EIO";
  }
}

/** Reads n bytes at offset off of the open file fd (positional: safe from several threads). */
bool read_at(int fd, uint8_t* buf, size_t n, uint64_t off, ReadError* err) {
  while (n > 0) {
#if defined(_WIN32)
    HANDLE h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
    OVERLAPPED ov = {};
    ov.Offset = static_cast<DWORD>(off);
    ov.OffsetHigh = static_cast<DWORD>(off >> 32);
    DWORD got = 0;
    const DWORD want = static_cast<DWORD>(std::min<size_t>(n, 1u << 30));
    if (h == INVALID_HANDLE_VALUE || !ReadFile(h, buf, want, &got, &ov)) {
      if (GetLastError() == ERROR_HANDLE_EOF) got = 0;
      else {
        *err = {"EIO", "read failed (Windows error " + std::to_string(GetLastError()) + ")"};
        return false;
      }
    }
    const long long r = got;
#else
    const ssize_t r = pread(fd, buf, n, static_cast<off_t>(off));
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = {errno_code(errno), std::strerror(errno)};
      return false;
    }
#endif
    if (r == 0) {
      *err = {"EOF", "the file ended early"};
      return false;
    }
    buf += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

/**
 * Codes rows of one tensor: from `src`, or read straight from the open file `fd` at `offset` (each
 * thread reads its rows in pieces that stay in its cache: no copy of the chunk in JS memory).
 * With `crc` (the running CRC-32 of the codes part), also returns the CRC continued over the codes.
 */
class EncodeWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;
  Codec codec = Codec::Q8;
  Dtype dtype = Dtype::BF16;
  Bytes src, codes, scales, signs;
  int fd = -1;
  uint64_t offset = 0;
  bool want_crc = false;
  uint32_t crc = 0;
  size_t rows = 0;
  int cols = 0, block = 32, threads = 1;
  Q4Search search;
  float seed_scale = 0;
  Isa isa = Isa::Generic;
  Qins8Table t8;
  Table16 t16;
  Stats stats;
  ReadError read_error;

  void Execute() override {
    const int cols_p = (cols + block - 1) / block * block;
    const int nb = cols_p / block;
    const size_t in_row = static_cast<size_t>(cols) * dtype_bytes(dtype);
    const size_t code_row = codec == Codec::SEED ? cols : (codec == Codec::Q4 || codec == Codec::QINS4) ? cols_p / 2 : cols_p;
    const size_t sign_row = (cols + 7) / 8;
    // rows per read: about 256 KiB
    const size_t piece = std::max<size_t>(1, (size_t{256} << 10) / std::max<size_t>(in_row, 1));
    // Pieces of rows go to whichever thread is free (the next tensor's tuning runs beside the
    // encoder); each piece's sums are kept apart and added in row order, so the totals do not
    // depend on the threads or on which thread took which piece.
    const size_t pieces = (rows + piece - 1) / piece;
    std::vector<Stats> per(pieces);
    std::vector<ReadError> errors(threads);
    std::atomic<bool> failed{false};
    std::vector<std::vector<float>> w_of(threads);
    std::vector<std::vector<uint16_t>> sc_of(threads);
    std::vector<std::vector<uint8_t>> buf_of(threads);
    parallel_pieces(pieces, threads, [&](size_t k, int tid) {
      if (failed.load(std::memory_order_relaxed)) return;
      std::vector<float>& w = w_of[tid];
      std::vector<uint16_t>& sc = sc_of[tid];
      std::vector<uint8_t>& buf = buf_of[tid];
      if (w.empty()) {
        w.assign(cols_p, 0.0f);
        sc.resize(nb);
        if (fd >= 0) buf.resize(std::min(piece, rows) * in_row);
      }
      const size_t p0 = k * piece, p1 = std::min(rows, p0 + piece);
      const uint8_t* in = src.data + p0 * in_row;
      if (fd >= 0) {
        if (!read_at(fd, buf.data(), (p1 - p0) * in_row, offset + p0 * in_row, &errors[tid])) {
          failed = true;
          return;
        }
        in = buf.data();
      }
      Stats& st = per[k];
      for (size_t r = p0; r < p1; r++) {
        load_f32(in + (r - p0) * in_row, dtype, cols, w.data());
        uint8_t* crow = codes.data + r * code_row;
        switch (codec) {
          case Codec::Q8: encode_row_q8(w.data(), cols, cols_p, block, crow, sc.data(), st, isa); break;
          case Codec::QINS8: encode_row_qins8(w.data(), cols, cols_p, block, t8, crow, sc.data(), st, isa); break;
          case Codec::Q4: encode_row_q4(w.data(), cols, cols_p, block, crow, sc.data(), st, isa); break;
          case Codec::QINS4: encode_row_qins4(w.data(), cols, cols_p, block, t16, search, crow, sc.data(), st, isa); break;
          case Codec::SEED: encode_row_seed(w.data(), cols, seed_scale, crow, signs.data + r * sign_row, st); break;
        }
        if (codec != Codec::SEED) std::memcpy(scales.data + r * nb * 2, sc.data(), nb * 2);
      }
    });
    for (const ReadError& e : errors)
      if (!e.code.empty()) {
        read_error = e;
        SetError("codecs: reading the source: " + e.message);
        return;
      }
    for (const Stats& s : per) stats.add(s);
    if (want_crc) crc = encoders(isa).crc32(crc, codes.data, codes.size);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("sumsq", stats.sumsq);
    o.Set("errsq", stats.errsq);
    o.Set("absmax", stats.absmax);
    if (want_crc) o.Set("crc", static_cast<double>(crc));
    return o;
  }
  void OnError(const Napi::Error& e) override {
    if (!read_error.code.empty()) e.Value().Set("code", read_error.code);
    PromiseWorker::OnError(e);
  }
};

Napi::Value Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throw_range(env, "encode(job) needs a job object");
  Napi::Object job = info[0].As<Napi::Object>();
  auto* wk = new EncodeWorker(env);
  std::unique_ptr<EncodeWorker> guard(wk);
  const std::string codec = job.Get("codec").IsString() ? job.Get("codec").As<Napi::String>().Utf8Value() : "";
  if (codec == "q8") wk->codec = Codec::Q8;
  else if (codec == "qins8") wk->codec = Codec::QINS8;
  else if (codec == "q4") wk->codec = Codec::Q4;
  else if (codec == "qins4") wk->codec = Codec::QINS4;
  else if (codec == "qins-seed") wk->codec = Codec::SEED;
  else return throw_range(env, "unknown codec '" + codec + "'");
  int64_t rows, cols, block, search, threads;
  if (!get_dtype(env, job, wk->dtype) || !get_isa(env, job, wk->isa)) return env.Undefined();
  if (!get_int(env, job, "rows", -1, 0, int64_t{1} << 40, rows) || !get_int(env, job, "cols", -1, 1, int64_t{1} << 30, cols) ||
      !get_int(env, job, "block", 32, 2, 256, block) || !get_int(env, job, "search", 0, 0, 64, search) ||
      !get_int(env, job, "threads", default_threads(), 1, 256, threads))
    return env.Undefined();
  if (block % 2 != 0) return throw_range(env, "block must be even");
  wk->rows = static_cast<size_t>(rows);
  wk->cols = static_cast<int>(cols);
  wk->block = static_cast<int>(block);
  wk->search.n = static_cast<int>(search);
  {
    int64_t wmode;
    if (!get_int(env, job, "weighting", 0, 0, 2, wmode)) return env.Undefined();
    wk->search.weighting = static_cast<Weighting>(wmode);
  }
  wk->threads = static_cast<int>(threads);
  const bool seed = wk->codec == Codec::SEED;
  const bool from_file = !job.Get("fd").IsUndefined();
  if (from_file) {
    int64_t fd, offset;
    if (!job.Get("src").IsUndefined()) return throw_range(env, "give either src or fd and offset");
    if (!get_int(env, job, "fd", -1, 0, INT32_MAX, fd) || !get_int(env, job, "offset", -1, 0, int64_t{1} << 52, offset)) return env.Undefined();
    wk->fd = static_cast<int>(fd);
    wk->offset = static_cast<uint64_t>(offset);
  }
  if (!job.Get("crc").IsUndefined()) {
    int64_t crc;
    if (!get_int(env, job, "crc", 0, 0, UINT32_MAX, crc)) return env.Undefined();
    wk->want_crc = true;
    wk->crc = static_cast<uint32_t>(crc);
  }
  if ((!from_file && !get_bytes(env, job, "src", true, wk->src, wk->keep)) || !get_bytes(env, job, "codes", true, wk->codes, wk->keep) ||
      !get_bytes(env, job, "scales", !seed, wk->scales, wk->keep) || !get_bytes(env, job, "signs", seed, wk->signs, wk->keep))
    return env.Undefined();
  const size_t cols_p = (cols + block - 1) / block * block;
  const size_t nb = cols_p / block;
  if (!from_file && wk->src.size != wk->rows * cols * dtype_bytes(wk->dtype))
    return throw_range(env, "src size does not match rows × cols × dtype");
  const bool four = wk->codec == Codec::Q4 || wk->codec == Codec::QINS4;
  const size_t code_bytes = wk->rows * (seed ? cols : four ? cols_p / 2 : cols_p);
  if (wk->codes.size != code_bytes) return throw_range(env, "codes size does not match the layout");
  if (!seed && wk->scales.size != wk->rows * nb * 2) return throw_range(env, "scales size does not match the layout");
  if (seed && wk->signs.size != wk->rows * ((cols + 7) / 8)) return throw_range(env, "signs size does not match the layout");
  if (wk->codec == Codec::QINS8 || wk->codec == Codec::QINS4) {
    Bytes ints;
    if (!get_bytes(env, job, "ints", true, ints, wk->keep)) return env.Undefined();
    double denom, c;
    if (!get_num(env, job, "denom", 0, denom) || !get_num(env, job, "c", 0, c)) return env.Undefined();
    const size_t want = wk->codec == Codec::QINS8 ? 256 : 16;
    if (ints.size != want * 4) return throw_range(env, "ints must be an Int32Array of " + std::to_string(want) + " entries");
    std::vector<int32_t> iv(want);
    std::memcpy(iv.data(), ints.data, want * 4);
    const std::string err = wk->codec == Codec::QINS8 ? wk->t8.adopt(iv.data(), denom, c) : wk->t16.adopt(iv.data(), denom);
    if (!err.empty()) return throw_range(env, err);
  }
  if (seed) {
    double s;
    if (!get_num(env, job, "seedScale", -1, s)) return env.Undefined();
    if (!(s >= 0) || !std::isfinite(s)) return throw_range(env, "seedScale must be a finite non-negative number");
    wk->seed_scale = static_cast<float>(s);
  }
  Napi::Promise p = wk->promise();
  guard.release()->Queue();
  return p;
}

// ---------------------------------------------------------------------------------------------
// absMax (the seed's per-tensor scale)

class AbsMaxWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;
  Bytes src;
  Dtype dtype = Dtype::BF16;
  int threads = 1;
  float absmax = 0;
  bool finite = true;
  void Execute() override {
    const size_t n = src.size / dtype_bytes(dtype);
    std::vector<float> mx(threads, 0.0f);
    std::vector<char> fin(threads, 1);
    parallel_for(n, threads, [&](size_t b, size_t e, int tid) {
      float buf[1024];
      float m = 0;
      bool ok = true;
      for (size_t i = b; i < e; i += 1024) {
        const size_t k = std::min<size_t>(1024, e - i);
        load_f32(src.data + i * dtype_bytes(dtype), dtype, k, buf);
        for (size_t j = 0; j < k; j++) {
          const float a = std::fabs(buf[j]);
          if (!std::isfinite(a)) ok = false;
          else if (a > m) m = a;
        }
      }
      mx[tid] = m;
      fin[tid] = ok;
    });
    for (int t = 0; t < threads; t++) {
      absmax = std::max(absmax, mx[t]);
      finite = finite && fin[t];
    }
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("absmax", absmax);
    o.Set("finite", finite);
    return o;
  }
};

Napi::Value AbsMax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throw_range(env, "absMax(job) needs a job object");
  Napi::Object job = info[0].As<Napi::Object>();
  auto wk = std::make_unique<AbsMaxWorker>(env);
  int64_t threads;
  if (!get_dtype(env, job, wk->dtype) || !get_bytes(env, job, "src", true, wk->src, wk->keep) ||
      !get_int(env, job, "threads", default_threads(), 1, 256, threads))
    return env.Undefined();
  if (wk->src.size % dtype_bytes(wk->dtype) != 0) return throw_range(env, "src size is not a multiple of the dtype size");
  wk->threads = static_cast<int>(threads);
  Napi::Promise p = wk->promise();
  wk.release()->Queue();
  return p;
}

// ---------------------------------------------------------------------------------------------
// tuning

struct SampleJob {
  Bytes src;
  Isa isa = Isa::Generic;
  Dtype dtype = Dtype::BF16;
  size_t rows = 0;
  int cols = 0, block = 32, threads = 1;
  std::vector<float> w;
  void load() {
    w.resize(rows * cols);
    load_f32(src.data, dtype, rows * cols, w.data());
  }
};

bool read_sample(Napi::Env env, Napi::Object job, SampleJob& s, std::vector<Napi::Reference<Napi::Value>>& keep) {
  int64_t rows, cols, block, threads;
  if (!get_dtype(env, job, s.dtype) || !get_isa(env, job, s.isa) || !get_bytes(env, job, "src", true, s.src, keep) ||
      !get_int(env, job, "rows", -1, 1, int64_t{1} << 32, rows) || !get_int(env, job, "cols", -1, 1, int64_t{1} << 30, cols) ||
      !get_int(env, job, "block", 32, 2, 256, block) || !get_int(env, job, "threads", default_threads(), 1, 256, threads))
    return false;
  s.rows = rows;
  s.cols = static_cast<int>(cols);
  s.block = static_cast<int>(block);
  s.threads = static_cast<int>(threads);
  if (s.src.size != s.rows * s.cols * dtype_bytes(s.dtype)) {
    throw_range(env, "sample size does not match rows × cols × dtype");
    return false;
  }
  return true;
}

class TuneQins8Worker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;
  SampleJob s;
  double max_c = 64;
  Qins8Search res;
  void Execute() override {
    s.load();
    res = search_qins8_c(s.w.data(), s.rows, s.cols, s.block, max_c, s.threads, s.isa);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    const Qins8Table t = Qins8Table::make(res.c);
    Napi::Int32Array ints = Napi::Int32Array::New(env, 256);
    for (int i = 0; i < 256; i++) ints[i] = t.ints[i];
    o.Set("c", res.c);
    o.Set("ints", ints);
    o.Set("errsq", res.errsq);
    o.Set("sumsq", res.sumsq);
    Napi::Array curve = Napi::Array::New(env, res.curve.size());
    for (size_t i = 0; i < res.curve.size(); i++) {
      Napi::Array pt = Napi::Array::New(env, 2);
      pt.Set(uint32_t{0}, res.curve[i].first);
      pt.Set(uint32_t{1}, res.curve[i].second);
      curve.Set(static_cast<uint32_t>(i), pt);
    }
    o.Set("curve", curve);
    return o;
  }
};

Napi::Value TuneQins8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throw_range(env, "tuneQins8(job) needs a job object");
  Napi::Object job = info[0].As<Napi::Object>();
  auto wk = std::make_unique<TuneQins8Worker>(env);
  if (!read_sample(env, job, wk->s, wk->keep) || !get_num(env, job, "maxC", 64, wk->max_c)) return env.Undefined();
  if (!(wk->max_c >= 0 && wk->max_c <= 1024)) return throw_range(env, "maxC must be in 0..1024");
  Napi::Promise p = wk->promise();
  wk.release()->Queue();
  return p;
}

class TuneQins4Worker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;
  SampleJob s;
  Q4Search search;
  int iterations = 8, cd_rounds = 0;
  bool anchor_zero = true;
  bool has_init = false;
  int32_t init[16] = {};
  double init_c = 0;
  Qins4Tune res;
  void Execute() override {
    s.load();
    res = tune_qins4(s.w.data(), s.rows, s.cols, s.block, search, iterations, cd_rounds, anchor_zero, has_init ? init : nullptr, init_c,
                     s.threads, s.isa);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Int32Array ints = Napi::Int32Array::New(env, 16);
    for (int i = 0; i < 16; i++) ints[i] = res.ints[i];
    o.Set("ints", ints);
    o.Set("initC", res.init_c);
    o.Set("errsq", res.errsq);
    o.Set("sumsq", res.sumsq);
    o.Set("iterations", res.iterations);
    return o;
  }
};

Napi::Value TuneQins4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return throw_range(env, "tuneQins4(job) needs a job object");
  Napi::Object job = info[0].As<Napi::Object>();
  auto wk = std::make_unique<TuneQins4Worker>(env);
  int64_t search, iterations, cd_rounds;
  if (!read_sample(env, job, wk->s, wk->keep) || !get_int(env, job, "search", 0, 0, 64, search) ||
      !get_int(env, job, "iterations", 8, 0, 1000, iterations) || !get_int(env, job, "cdRounds", 0, 0, 100, cd_rounds) ||
      !get_num(env, job, "initC", 0, wk->init_c))
    return env.Undefined();
  wk->cd_rounds = static_cast<int>(cd_rounds);
  Bytes init;
  if (!get_bytes(env, job, "init", false, init, wk->keep)) return env.Undefined();
  if (init.data) {
    if (init.size != 16 * 4) return throw_range(env, "init must be an Int32Array of 16 entries");
    std::memcpy(wk->init, init.data, 16 * 4);
    wk->has_init = true;
  }
  wk->search.n = static_cast<int>(search);
  {
    int64_t wmode;
    if (!get_int(env, job, "weighting", 0, 0, 2, wmode)) return env.Undefined();
    wk->search.weighting = static_cast<Weighting>(wmode);
  }
  wk->anchor_zero = job.Get("anchorZero").IsUndefined() ? true : job.Get("anchorZero").ToBoolean().Value();
  wk->iterations = static_cast<int>(iterations);
  Napi::Promise p = wk->promise();
  wk.release()->Queue();
  return p;
}

// ---------------------------------------------------------------------------------------------
// small synchronous helpers

Napi::Value Qins8Codebook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return throw_range(env, "qins8Codebook(c) needs a number");
  const double c = info[0].As<Napi::Number>().DoubleValue();
  if (!(c >= 0)) return throw_range(env, "c must be non-negative");
  const Qins8Table t = Qins8Table::make(c);
  Napi::Int32Array ints = Napi::Int32Array::New(env, 256);
  for (int i = 0; i < 256; i++) ints[i] = t.ints[i];
  return ints;
}

Napi::Value Inverse4Codebook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return throw_range(env, "inverse4Codebook(c) needs a number");
  int32_t out[16];
  inverse4_init(info[0].As<Napi::Number>().DoubleValue(), out);
  Napi::Int32Array ints = Napi::Int32Array::New(env, 16);
  for (int i = 0; i < 16; i++) ints[i] = out[i];
  return ints;
}

}  // namespace

void InitCodecs(Napi::Env env, Napi::Object exports) {
  Napi::Object codecs = Napi::Object::New(env);
  codecs.Set("encode", Napi::Function::New(env, Encode, "encode"));
  codecs.Set("absMax", Napi::Function::New(env, AbsMax, "absMax"));
  codecs.Set("tuneQins8", Napi::Function::New(env, TuneQins8, "tuneQins8"));
  codecs.Set("tuneQins4", Napi::Function::New(env, TuneQins4, "tuneQins4"));
  codecs.Set("qins8Codebook", Napi::Function::New(env, Qins8Codebook, "qins8Codebook"));
  codecs.Set("inverse4Codebook", Napi::Function::New(env, Inverse4Codebook, "inverse4Codebook"));
  codecs.Set("threads", Napi::Number::New(env, default_threads()));
  // The set 'auto' chooses now (QINS_KERNELS is read on every access), or null when QINS_KERNELS
  // names a set this CPU or build lacks (jobs with isa 'auto' then fail with the reason).
  codecs.DefineProperty(Napi::PropertyDescriptor::Accessor(
      env, codecs, "isa",
      [](const Napi::CallbackInfo& info) -> Napi::Value {
        Isa isa;
        std::string err;
        if (!choose_isa("auto", &isa, &err)) return info.Env().Null();
        return Napi::String::New(info.Env(), isa_name(isa));
      },
      napi_enumerable));
  exports.Set("codecs", codecs);
}

}  // namespace qins
