// A read-only memory mapping of a whole file (the .qins weights are used in place, never copied).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace qins {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path`; with `prefault` the pages are read in now (so the first token does not fault them).
  bool open(const std::string& path, bool prefault, std::string* err);
  void close();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // Bytes of the mapping resident in this process's memory right now (measured, not assumed), or
  // -1 when it cannot be measured. Linux: pages present in the process's page tables
  // (/proc/self/pagemap; the same figure as the mapping's Rss in /proc/self/smaps, huge-page
  // mappings included). Other Unix systems, or Linux without /proc: mincore(), which reports the
  // file's pages that are in memory. Windows: -1. Costs a few ms for a 4 GiB mapping; safe to call
  // from any thread.
  int64_t resident_bytes() const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
#if defined(_WIN32)
  void* file_ = nullptr;
  void* mapping_ = nullptr;
#endif
};

}  // namespace qins
