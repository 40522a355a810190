// Machine facts the engine needs for its defaults.
#pragma once

namespace qins {
// Physical cores (performance cores on Apple Silicon); falls back to the logical count.
int physical_cores();
int logical_cores();
}  // namespace qins
