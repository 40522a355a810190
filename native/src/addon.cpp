// Node-API entry point of the QINS native addon. Each area registers its own functions.
#include <napi.h>

#include "addon_parts.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  qins::InitCodecs(env, exports);
  qins::InitEngine(env, exports);
  return exports;
}

NODE_API_MODULE(qins, Init)
