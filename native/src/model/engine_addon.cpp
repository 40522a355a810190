#include "addon_parts.h"

namespace qins {
void InitEngine(Napi::Env env, Napi::Object exports) {}
}  // namespace qins
