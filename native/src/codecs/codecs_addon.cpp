#include "addon_parts.h"

namespace qins {
void InitCodecs(Napi::Env env, Napi::Object exports) {}
}  // namespace qins
