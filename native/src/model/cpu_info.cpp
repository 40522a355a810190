#include "model/cpu_info.h"

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace qins {

int logical_cores() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int physical_cores() {
#if defined(__APPLE__)
  for (const char* key : {"hw.perflevel0.physicalcpu", "hw.physicalcpu"}) {
    int v = 0;
    size_t len = sizeof(v);
    if (sysctlbyname(key, &v, &len, nullptr, 0) == 0 && v > 0) return v;
  }
  return logical_cores();
#elif defined(__linux__)
  std::set<std::pair<int, int>> cores;
  const int n = logical_cores();
  for (int cpu = 0; cpu < n; ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core(base + "core_id"), pkg(base + "physical_package_id");
    int c = -1, p = -1;
    if (!(core >> c) || !(pkg >> p)) return n;
    cores.insert({p, c});
  }
  return cores.empty() ? n : static_cast<int>(cores.size());
#else
  return logical_cores();
#endif
}

}  // namespace qins
