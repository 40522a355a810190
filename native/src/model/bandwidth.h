// Streaming read bandwidth of this machine, measured so that it is an upper bound in practice for
// what an inference engine can stream: a large 2 MiB-aligned buffer on huge pages where the OS
// offers them, one thread per core pinned to it, several passes per timing, best of the repeats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qins {

struct BandwidthOptions {
  size_t bytes = size_t{1} << 30;  // whole buffer, split evenly between the threads
  // Measure the reads of this existing memory (e.g. a loaded model's mapped weights) instead of a
  // buffer of our own: `bytes` of it from here, never written. Null: allocate and fill a buffer.
  const uint8_t* region = nullptr;
  int threads = 1;
  int repeats = 5;                 // timings; the best is reported
  int passes = 3;                  // reads of the whole buffer per timing
};

struct BandwidthResult {
  double gbs = 0;                  // best of the repeats, 1e9 bytes per second
  double worst_gbs = 0;            // slowest repeat (spread)
  size_t bytes = 0;                // buffer actually used (a multiple of 256 per thread)
  int threads = 0;
  int repeats = 0;
  int passes = 0;
  bool huge_pages_requested = false;  // madvise(MADV_HUGEPAGE) accepted
  size_t huge_page_bytes = 0;         // bytes of the buffer mapped with huge pages (Linux smaps; 0 elsewhere)
  int pinned_threads = 0;             // threads bound to one CPU each
  std::string kernels;
};

// Runs the measurement on threads of its own, pinned when it can (so the caller's own affinity is
// never changed). Returns false with *err set when the buffer cannot be had.
bool measure_bandwidth(const BandwidthOptions& o, BandwidthResult* out, std::string* err);

}  // namespace qins
