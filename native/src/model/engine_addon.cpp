// Node-API surface of the inference engine. Every heavy call runs on a libuv worker thread and
// returns a promise; the JS thread never blocks.
//
//   openModel(desc) -> Promise<NativeModel>        desc: {path, fileBytes, spec, tensors, codebooks, options}
//   NativeModel.forward(tokens: Int32Array, pos, allLogits) -> Promise<Float32Array>
//   NativeModel.info() -> {kernels, threads, contextLength, kvType, activations, weightBytes, kvBytes, mappedBytes}
//   NativeModel.residentBytes() -> Promise<number | null>  bytes of the mapped file resident now (null: not measurable)
//   NativeModel.dispose() -> Promise<void>          (rejects while a forward call is in flight)
//   cpuInfo() -> {best, available[], physicalCores, logicalCores}
//   streamBandwidth({bytes, threads, repeats, passes}) -> Promise<{gbs, worstGbs, bytes, threads, repeats, passes,
//                   hugePagesRequested, hugePageBytes, pinnedThreads, kernels}>  (model/bandwidth.h)
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "addon_parts.h"
#include "addon_worker.h"
#include "kernels/kernels.h"
#include "model/bandwidth.h"
#include "model/cpu_info.h"
#include "model/model.h"

namespace qins {
namespace {

// ---------------------------------------------------------------------------------------------
// Reading the description object (no C++ exceptions: every getter reports a one-line error).

class Reader {
 public:
  explicit Reader(Napi::Env env) : env_(env) {}
  bool ok() const { return err_.empty(); }
  const std::string& error() const { return err_; }

  Napi::Value get(const Napi::Object& o, const char* key, const std::string& where) {
    if (!ok()) return env_.Undefined();
    Napi::Value v = o.Get(key);
    return v;
  }
  double num(const Napi::Object& o, const char* key, const std::string& where, bool required = true, double def = 0) {
    Napi::Value v = get(o, key, where);
    if (!ok()) return def;
    if (v.IsUndefined() || v.IsNull()) {
      if (required) fail(where + "." + key + " is missing");
      return def;
    }
    if (!v.IsNumber()) {
      fail(where + "." + key + " must be a number");
      return def;
    }
    return v.As<Napi::Number>().DoubleValue();
  }
  int integer(const Napi::Object& o, const char* key, const std::string& where, bool required = true, int def = 0) {
    const double d = num(o, key, where, required, def);
    if (ok() && (d != static_cast<double>(static_cast<int64_t>(d)) || d < -2147483648.0 || d > 2147483647.0)) {
      fail(where + "." + key + " must be an integer");
      return def;
    }
    return static_cast<int>(d);
  }
  uint64_t u64(const Napi::Object& o, const char* key, const std::string& where) {
    const double d = num(o, key, where);
    if (ok() && (d < 0 || d != static_cast<double>(static_cast<uint64_t>(d)) || d > 9007199254740991.0)) {
      fail(where + "." + key + " must be a non-negative integer");
      return 0;
    }
    return static_cast<uint64_t>(d);
  }
  std::string str(const Napi::Object& o, const char* key, const std::string& where, bool required = true, const std::string& def = "") {
    Napi::Value v = get(o, key, where);
    if (!ok()) return def;
    if (v.IsUndefined() || v.IsNull()) {
      if (required) fail(where + "." + key + " is missing");
      return def;
    }
    if (!v.IsString()) {
      fail(where + "." + key + " must be a string");
      return def;
    }
    return v.As<Napi::String>().Utf8Value();
  }
  bool boolean(const Napi::Object& o, const char* key, const std::string& where, bool def) {
    Napi::Value v = get(o, key, where);
    if (!ok() || v.IsUndefined() || v.IsNull()) return def;
    if (!v.IsBoolean()) {
      fail(where + "." + key + " must be a boolean");
      return def;
    }
    return v.As<Napi::Boolean>().Value();
  }
  Napi::Object obj(const Napi::Object& o, const char* key, const std::string& where, bool required = true) {
    Napi::Value v = get(o, key, where);
    if (ok() && (v.IsUndefined() || v.IsNull()) && !required) return Napi::Object();
    if (ok() && !v.IsObject()) fail(where + "." + key + " must be an object");
    return ok() ? v.As<Napi::Object>() : Napi::Object();
  }
  Napi::Array arr(const Napi::Object& o, const char* key, const std::string& where, bool required = true) {
    Napi::Value v = get(o, key, where);
    if (ok() && (v.IsUndefined() || v.IsNull()) && !required) return Napi::Array();
    if (ok() && !v.IsArray()) fail(where + "." + key + " must be an array");
    return ok() ? v.As<Napi::Array>() : Napi::Array();
  }
  std::vector<double> nums(const Napi::Object& o, const char* key, const std::string& where, bool required) {
    std::vector<double> out;
    Napi::Array a = arr(o, key, where, required);
    if (!ok() || a.IsEmpty()) return out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) {
        fail(where + "." + key + "[" + std::to_string(i) + "] must be a number");
        return out;
      }
      out.push_back(v.As<Napi::Number>().DoubleValue());
    }
    return out;
  }
  void fail(const std::string& m) {
    if (err_.empty()) err_ = m;
  }

 private:
  Napi::Env env_;
  std::string err_;
};

bool read_desc(Napi::Env env, const Napi::Object& d, ModelDesc* out, std::string* err) {
  Reader R(env);
  out->path = R.str(d, "path", "desc");
  out->file_bytes = R.u64(d, "fileBytes", "desc");
  Napi::Object spec = R.obj(d, "spec", "desc");
  if (R.ok()) {
    SpecDesc& s = out->spec;
    const std::string w = "spec";
    s.architecture = R.str(spec, "architecture", w);
    s.vocab_size = R.integer(spec, "vocab_size", w);
    s.hidden_size = R.integer(spec, "hidden_size", w);
    s.intermediate_size = R.integer(spec, "intermediate_size", w);
    s.num_layers = R.integer(spec, "num_layers", w);
    s.num_heads = R.integer(spec, "num_heads", w);
    s.num_kv_heads = R.integer(spec, "num_kv_heads", w);
    s.head_dim = R.integer(spec, "head_dim", w);
    s.rms_norm_eps = R.num(spec, "rms_norm_eps", w);
    s.max_position_embeddings = R.integer(spec, "max_position_embeddings", w);
    s.tie_word_embeddings = R.boolean(spec, "tie_word_embeddings", w, false);
    s.qkv_bias = R.boolean(spec, "qkv_bias", w, false);
    Napi::Object rope = R.obj(spec, "rope", w);
    if (R.ok()) {
      RopeDesc& r = s.rope;
      const std::string rw = "spec.rope";
      r.type = R.str(rope, "type", rw);
      r.theta = R.num(rope, "theta", rw);
      r.dim = R.integer(rope, "dim", rw);
      r.factor = R.num(rope, "factor", rw, false, 1);
      r.low_freq_factor = R.num(rope, "low_freq_factor", rw, false, 1);
      r.high_freq_factor = R.num(rope, "high_freq_factor", rw, false, 4);
      r.original_max_position_embeddings = R.integer(rope, "original_max_position_embeddings", rw, false, 0);
      r.short_factor = R.nums(rope, "short_factor", rw, false);
      r.long_factor = R.nums(rope, "long_factor", rw, false);
      r.attention_factor = R.num(rope, "attention_factor", rw, false, 0);
    }
  }
  Napi::Array tensors = R.arr(d, "tensors", "desc");
  if (R.ok()) {
    for (uint32_t i = 0; i < tensors.Length() && R.ok(); ++i) {
      Napi::Value tv = tensors.Get(i);
      if (!tv.IsObject()) {
        R.fail("tensors[" + std::to_string(i) + "] must be an object");
        break;
      }
      Napi::Object t = tv.As<Napi::Object>();
      TensorDesc td;
      const std::string w = "tensors[" + std::to_string(i) + "]";
      td.name = R.str(t, "name", w);
      for (double v : R.nums(t, "shape", w, true)) td.shape.push_back(static_cast<int64_t>(v));
      td.codec = R.str(t, "codec", w);
      td.offset = R.u64(t, "offset", w);
      td.bytes = R.u64(t, "bytes", w);
      td.block = R.integer(t, "block", w, false, 0);
      td.codebook = R.str(t, "codebook", w, false, "");
      Napi::Value sc = t.Get("scale");
      if (sc.IsNumber()) {
        td.scale = sc.As<Napi::Number>().DoubleValue();
        td.has_scale = true;
      }
      Napi::Object parts = R.obj(t, "parts", w);
      if (R.ok()) {
        Napi::Array names = parts.GetPropertyNames();
        for (uint32_t k = 0; k < names.Length() && R.ok(); ++k) {
          const std::string pn = names.Get(k).As<Napi::String>().Utf8Value();
          Napi::Value pv = parts.Get(pn);
          if (!pv.IsObject()) {
            R.fail(w + ".parts." + pn + " must be an object");
            break;
          }
          PartDesc p;
          p.offset = R.u64(pv.As<Napi::Object>(), "offset", w + ".parts." + pn);
          p.bytes = R.u64(pv.As<Napi::Object>(), "bytes", w + ".parts." + pn);
          td.parts[pn] = p;
        }
      }
      out->tensors.push_back(std::move(td));
    }
  }
  Napi::Object cbs = R.obj(d, "codebooks", "desc", false);
  if (R.ok() && !cbs.IsEmpty()) {
    Napi::Array names = cbs.GetPropertyNames();
    for (uint32_t k = 0; k < names.Length() && R.ok(); ++k) {
      const std::string id = names.Get(k).As<Napi::String>().Utf8Value();
      Napi::Value cv = cbs.Get(id);
      if (!cv.IsObject()) {
        R.fail("codebooks." + id + " must be an object");
        break;
      }
      CodebookDesc cd;
      const std::string w = "codebooks." + id;
      cd.bits = R.integer(cv.As<Napi::Object>(), "bits", w);
      cd.denom = R.num(cv.As<Napi::Object>(), "denom", w);
      for (double v : R.nums(cv.As<Napi::Object>(), "ints", w, true)) {
        if (v != static_cast<double>(static_cast<int32_t>(v))) {
          R.fail(w + ".ints must hold integers");
          break;
        }
        cd.ints.push_back(static_cast<int32_t>(v));
      }
      out->codebooks[id] = std::move(cd);
    }
  }
  Napi::Object opt = R.obj(d, "options", "desc", false);
  if (R.ok() && !opt.IsEmpty()) {
    OpenOptions& o = out->options;
    o.threads = R.integer(opt, "threads", "options", false, 0);
    o.context = R.integer(opt, "contextLength", "options", false, 0);
    const std::string kv = R.str(opt, "kvType", "options", false, "f16");
    if (kv != "f32" && kv != "f16" && kv != "q8") R.fail("options.kvType must be 'f32', 'f16' or 'q8'");
    o.kv_type = kv == "f32" ? KvType::F32 : kv == "q8" ? KvType::Q8 : KvType::F16;
    o.kernels = R.str(opt, "kernels", "options", false, "auto");
    const std::string act = R.str(opt, "activations", "options", false, "int8");
    if (act != "int8" && act != "f32") R.fail("options.activations must be 'int8' or 'f32'");
    o.act_f32 = act == "f32";
    o.prefault = R.boolean(opt, "prefault", "options", true);
    if (o.threads < 0 || o.context < 0) R.fail("options.threads and options.contextLength must not be negative");
  }
  if (!R.ok()) *err = R.error();
  return R.ok();
}

// The read-bandwidth probe on a worker thread: of a buffer of its own (streamBandwidth) or of a
// loaded model's mapped file (NativeModel.streamWeights), whose model it holds while it reads.
class BandwidthWorker : public PromiseWorker {
 public:
  BandwidthWorker(Napi::Env env, const BandwidthOptions& o, std::shared_ptr<Model> hold = nullptr)
      : PromiseWorker(env), opts_(o), hold_(std::move(hold)) {}
  void Execute() override {
    std::string err;
    if (!measure_bandwidth(opts_, &r_, &err)) SetError("streamBandwidth: " + err);
    hold_.reset();
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("gbs", r_.gbs);
    o.Set("worstGbs", r_.worst_gbs);
    o.Set("bytes", static_cast<double>(r_.bytes));
    o.Set("threads", r_.threads);
    o.Set("repeats", r_.repeats);
    o.Set("passes", r_.passes);
    o.Set("hugePagesRequested", r_.huge_pages_requested);
    o.Set("hugePageBytes", static_cast<double>(r_.huge_page_bytes));
    o.Set("pinnedThreads", r_.pinned_threads);
    o.Set("kernels", r_.kernels);
    return o;
  }

 private:
  BandwidthOptions opts_;
  BandwidthResult r_;
  std::shared_ptr<Model> hold_;
};

/** The probe's options { bytes?, threads?, repeats?, passes? } from info[0] (defaults as given in *o). */
bool read_bandwidth_options(const Napi::CallbackInfo& info, const char* fn, BandwidthOptions* o, std::string* err, double min_bytes = 1 << 20) {
  double bytes = static_cast<double>(o->bytes);
  int threads = o->threads, repeats = o->repeats, passes = o->passes;
  if (info.Length() > 0 && info[0].IsObject()) {
    Reader R(info.Env());
    Napi::Object opt = info[0].As<Napi::Object>();
    bytes = R.num(opt, "bytes", "options", false, bytes);
    threads = R.integer(opt, "threads", "options", false, threads);
    repeats = R.integer(opt, "repeats", "options", false, repeats);
    passes = R.integer(opt, "passes", "options", false, passes);
    if (!R.ok()) {
      *err = std::string(fn) + ": " + R.error();
      return false;
    }
  }
  if (!(bytes >= min_bytes) || bytes > 64.0 * (1ULL << 30) || threads < 1 || threads > 256 || repeats < 1 || repeats > 1000 || passes < 1 ||
      passes > 100) {
    *err = std::string(fn) + ": bytes must be " + (min_bytes >= (1 << 20) ? "1 MiB" : std::to_string(static_cast<int64_t>(min_bytes)) + " B") +
           "..64 GiB, threads 1..256, repeats 1..1000, passes 1..100";
    return false;
  }
  o->bytes = static_cast<size_t>(bytes);
  o->threads = threads;
  o->repeats = repeats;
  o->passes = passes;
  return true;
}

// ---------------------------------------------------------------------------------------------

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeModel",
                       {InstanceMethod<&ModelWrap::forward>("forward"), InstanceMethod<&ModelWrap::dispose>("dispose"),
                        InstanceMethod<&ModelWrap::info>("info"), InstanceMethod<&ModelWrap::residentBytes>("residentBytes"),
                        InstanceMethod<&ModelWrap::streamWeights>("streamWeights")});
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "NativeModel cannot be constructed directly; use openModel()").ThrowAsJavaScriptException();
      return;
    }
    Model* m = info[0].As<Napi::External<Model>>().Data();
    model_.reset(m);
  }

  std::shared_ptr<Model> model_;
  bool busy_ = false;

 private:
  class ForwardWorker : public PromiseWorker {
   public:
    ForwardWorker(Napi::Env env, ModelWrap* owner, std::shared_ptr<Model> m, std::vector<int32_t> tokens, int pos, bool all)
        : PromiseWorker(env), owner_(owner), model_(std::move(m)), tokens_(std::move(tokens)), pos_(pos), all_(all) {
      owner_ref_ = Napi::Persistent(owner->Value());
      const size_t n = static_cast<size_t>(model_->vocab()) * (all_ ? tokens_.size() : 1);
      Napi::Float32Array out = Napi::Float32Array::New(env, n);
      if (env.IsExceptionPending() || out.IsEmpty()) {
        // Allocation failed: report it from Execute instead of writing anywhere.
        Napi::Error e = env.GetAndClearPendingException();
        (void)e;
        alloc_failed_ = true;
        return;
      }
      out_data_ = out.Data();
      out_ref_ = Napi::Persistent(out);
    }
    void Execute() override {
      if (alloc_failed_) {
        SetError("cannot allocate the logits array (" + std::to_string(tokens_.size()) + " x " + std::to_string(model_->vocab()) + " floats)");
        return;
      }
      std::string err;
      if (!model_->forward(tokens_.data(), static_cast<int>(tokens_.size()), pos_, all_, out_data_, &err)) SetError(err);
    }
    Napi::Value result(Napi::Env) override { return out_ref_.Value(); }
    void finished() override { owner_->busy_ = false; }

   private:
    ModelWrap* owner_;
    Napi::ObjectReference owner_ref_;
    std::shared_ptr<Model> model_;
    std::vector<int32_t> tokens_;
    int pos_;
    bool all_;
    float* out_data_ = nullptr;
    bool alloc_failed_ = false;
    Napi::Reference<Napi::Float32Array> out_ref_;
  };

  class DisposeWorker : public PromiseWorker {
   public:
    DisposeWorker(Napi::Env env, std::shared_ptr<Model> m) : PromiseWorker(env), model_(std::move(m)) {}
    void Execute() override { model_.reset(); }

   private:
    std::shared_ptr<Model> model_;
  };

  // Measures on a worker thread (a few ms for a 4 GiB mapping). Holds the model while it measures,
  // so a dispose meanwhile unmaps the file only afterwards (and then on this worker thread).
  class ResidentWorker : public PromiseWorker {
   public:
    ResidentWorker(Napi::Env env, std::shared_ptr<Model> m) : PromiseWorker(env), model_(std::move(m)) {}
    void Execute() override {
      bytes_ = model_->file().resident_bytes();
      model_.reset();
    }
    Napi::Value result(Napi::Env env) override {
      if (bytes_ < 0) return env.Null();
      return Napi::Number::New(env, static_cast<double>(bytes_));
    }

   private:
    std::shared_ptr<Model> model_;
    int64_t bytes_ = -1;
  };

  Napi::Value residentBytes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!model_) return rejected(env, "the model has been disposed");
    auto* w = new ResidentWorker(env, model_);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  // The read bandwidth of the memory this model's weights live in: the probe streams the mapped
  // file itself (one pass per timing, best of 3 unless asked), with the engine's thread count.
  Napi::Value streamWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!model_) return rejected(env, "the model has been disposed");
    BandwidthOptions o;
    o.threads = model_->info().threads;
    o.repeats = 3;
    o.passes = 1;
    o.bytes = model_->file().size();
    std::string err;
    // each thread reads a multiple of 256 bytes
    if (!read_bandwidth_options(info, "streamWeights", &o, &err, 256.0 * o.threads)) return rejected(env, err);
    if (o.bytes > model_->file().size()) return rejected(env, "streamWeights: bytes is larger than the mapped file");
    o.region = model_->file().data();
    auto* w = new BandwidthWorker(env, o, model_);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!model_) return rejected(env, "the model has been disposed");
    if (busy_) return rejected(env, "a forward call is already running on this model");
    if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      return rejected(env, "forward(tokens: Int32Array, pos: number, allLogits?: boolean)");
    if (!info[1].IsNumber()) return rejected(env, "forward: pos must be a number");
    const double posd = info[1].As<Napi::Number>().DoubleValue();
    if (posd < 0 || posd > 2147483647.0 || posd != static_cast<double>(static_cast<int64_t>(posd)))
      return rejected(env, "forward: pos must be a non-negative integer");
    const bool all = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    Napi::Int32Array t = info[0].As<Napi::Int32Array>();
    if (t.ElementLength() == 0) return rejected(env, "forward needs at least one token");
    if (all && t.ElementLength() * static_cast<size_t>(model_->vocab()) > (static_cast<size_t>(1) << 28))
      return rejected(env, "forward: allLogits for " + std::to_string(t.ElementLength()) + " tokens exceeds 2^28 floats; split the call");
    std::vector<int32_t> tokens(t.Data(), t.Data() + t.ElementLength());
    auto* w = new ForwardWorker(env, this, model_, std::move(tokens), static_cast<int>(posd), all);
    busy_ = true;
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (busy_) return rejected(env, "cannot dispose the model while a forward call is in flight");
    auto* w = new DisposeWorker(env, std::move(model_));
    model_.reset();
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value info(const Napi::CallbackInfo& cb) {
    Napi::Env env = cb.Env();
    if (!model_) {
      Napi::Error::New(env, "the model has been disposed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const ModelInfo i = model_->info();
    Napi::Object o = Napi::Object::New(env);
    o.Set("kernels", i.kernels);
    o.Set("threads", i.threads);
    o.Set("contextLength", i.context);
    o.Set("kvType", kv_type_name(i.kv_type));
    o.Set("activations", i.act_f32 ? "f32" : "int8");
    o.Set("weightBytes", static_cast<double>(i.weight_bytes));
    o.Set("kvBytes", static_cast<double>(i.kv_bytes));
    o.Set("mappedBytes", static_cast<double>(i.mapped_bytes));
    return o;
  }
};

class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, ModelDesc desc, Napi::FunctionReference* ctor) : PromiseWorker(env), desc_(std::move(desc)), ctor_(ctor) {}
  void Execute() override {
    std::string err;
    model_ = Model::open(desc_, &err);
    if (!model_) SetError(err.empty() ? "cannot open the model" : desc_.path + ": " + err);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Value ext = Napi::External<Model>::New(env, model_.release());
    return ctor_->New({ext});
  }

 private:
  ModelDesc desc_;
  Napi::FunctionReference* ctor_;
  std::unique_ptr<Model> model_;
};

Napi::Value open_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return rejected(env, "openModel(desc) needs a description object");
  ModelDesc desc;
  std::string err;
  if (!read_desc(env, info[0].As<Napi::Object>(), &desc, &err)) return rejected(env, "openModel: " + err);
  auto* w = new OpenWorker(env, std::move(desc), static_cast<Napi::FunctionReference*>(info.Data()));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value cpu_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("best", isa_name(best_isa()));
  Napi::Array avail = Napi::Array::New(env);
  uint32_t k = 0;
  for (Isa i : kAllIsas)
    if (isa_available(i)) avail.Set(k++, isa_name(i));
  o.Set("available", avail);
  o.Set("physicalCores", physical_cores());
  o.Set("logicalCores", logical_cores());
  return o;
}

Napi::Value stream_bandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BandwidthOptions o;
  o.threads = physical_cores();
  std::string err;
  if (!read_bandwidth_options(info, "streamBandwidth", &o, &err)) return rejected(env, err);
  auto* w = new BandwidthWorker(env, o);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void InitEngine(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = ModelWrap::define(env);
  // The constructor reference lives as long as this environment (freed by its cleanup hook).
  auto* ref = new Napi::FunctionReference(Napi::Persistent(ctor));
  env.AddCleanupHook([ref] { delete ref; });
  exports.Set("NativeModel", ctor);
  exports.Set("openModel", Napi::Function::New(env, open_model, "openModel", ref));
  exports.Set("cpuInfo", Napi::Function::New(env, cpu_info, "cpuInfo"));
  exports.Set("streamBandwidth", Napi::Function::New(env, stream_bandwidth, "streamBandwidth"));
}

}  // namespace qins
