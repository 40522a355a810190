// Registration functions of the addon's areas (see addon.cpp).
#pragma once
#include <napi.h>

namespace qins {
// Weight encoders used by the converter (src/codecs/).
void InitCodecs(Napi::Env env, Napi::Object exports);
// Model loading and inference (src/model/).
void InitEngine(Napi::Env env, Napi::Object exports);
}  // namespace qins
