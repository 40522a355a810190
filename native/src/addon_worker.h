// Node-API helpers shared by the addon's areas (codecs/codecs_addon.cpp, model/engine_addon.cpp).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

namespace qins {

/**
 * A libuv worker that settles a promise: Execute() runs off the JS thread (SetError() there
 * rejects), result() makes the resolved value on the JS thread, finished() runs on the JS thread
 * before the promise settles either way.
 */
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  /** JS values (typed arrays the work reads or writes) kept alive until the promise settles. */
  std::vector<Napi::Reference<Napi::Value>> keep;

 protected:
  virtual Napi::Value result(Napi::Env env) { return env.Undefined(); }
  virtual void finished() {}
  void OnOK() override {
    finished();
    deferred_.Resolve(result(Env()));
  }
  void OnError(const Napi::Error& e) override {
    finished();
    deferred_.Reject(e.Value());
  }
  Napi::Promise::Deferred deferred_;
};

/** A promise already rejected with an Error carrying `message`. */
inline Napi::Value rejected(Napi::Env env, const std::string& message) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(Napi::Error::New(env, message).Value());
  return d.Promise();
}

}  // namespace qins
