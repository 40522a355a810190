#include "model/mapped_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qins {

MappedFile::~MappedFile() { close(); }

#if defined(_WIN32)

bool MappedFile::open(const std::string& path, bool prefault, std::string* err) {
  close();
  const int wlen = MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
  std::wstring wpath(wlen > 0 ? wlen : 1, L'\0');
  MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, &wpath[0], wlen);
  HANDLE f = CreateFileW(wpath.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) {
    *err = "cannot open " + path;
    return false;
  }
  LARGE_INTEGER sz;
  if (!GetFileSizeEx(f, &sz) || sz.QuadPart == 0) {
    CloseHandle(f);
    *err = "cannot map an empty file: " + path;
    return false;
  }
  HANDLE m = CreateFileMappingW(f, nullptr, PAGE_READONLY, 0, 0, nullptr);
  void* p = m ? MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0) : nullptr;
  if (!p) {
    if (m) CloseHandle(m);
    CloseHandle(f);
    *err = "cannot map " + path;
    return false;
  }
  file_ = f;
  mapping_ = m;
  data_ = static_cast<const uint8_t*>(p);
  size_ = static_cast<size_t>(sz.QuadPart);
  if (prefault) {
    WIN32_MEMORY_RANGE_ENTRY range{const_cast<uint8_t*>(data_), size_};
    PrefetchVirtualMemory(GetCurrentProcess(), 1, &range, 0);
  }
  return true;
}

int64_t MappedFile::resident_bytes() const { return -1; }

void MappedFile::close() {
  if (data_) UnmapViewOfFile(data_);
  if (mapping_) CloseHandle(mapping_);
  if (file_) CloseHandle(file_);
  data_ = nullptr;
  mapping_ = file_ = nullptr;
  size_ = 0;
}

#else

bool MappedFile::open(const std::string& path, bool prefault, std::string* err) {
  close();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = "cannot open " + path + " (" + std::strerror(errno) + ")";
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    *err = "cannot map an empty or unreadable file: " + path;
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* p = MAP_FAILED;
#if defined(__linux__)
  // Map at a 2 MiB-aligned address and ask for huge pages: page-cache folios that are large (a
  // cold read with MADV_HUGEPAGE makes them so) are then mapped with 2 MiB entries, which spares
  // most TLB misses when decode streams the weights (about +20 % read bandwidth measured here).
  {
    const size_t align = static_cast<size_t>(2) << 20;
    void* area = mmap(nullptr, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area != MAP_FAILED) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(area);
      const uintptr_t aligned = (base + align - 1) & ~(static_cast<uintptr_t>(align) - 1);
      p = mmap(reinterpret_cast<void*>(aligned), size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
      if (p == MAP_FAILED) {
        munmap(area, size + align);
      } else {
        if (aligned > base) munmap(area, aligned - base);
        const uintptr_t end = aligned + size, area_end = base + size + align;
        if (area_end > end) munmap(reinterpret_cast<void*>(end), area_end - end);
        madvise(p, size, MADV_HUGEPAGE);
      }
    }
  }
#endif
  if (p == MAP_FAILED) p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    *err = "cannot map " + path + " (" + std::strerror(errno) + ")";
    return false;
  }
  if (prefault) {
#if defined(MADV_POPULATE_READ)
    if (madvise(p, size, MADV_POPULATE_READ) != 0)
#endif
    {
      madvise(p, size, MADV_WILLNEED);
      // Touch one byte per page so the first token does not pay for the faults.
      const long page = sysconf(_SC_PAGESIZE);
      volatile uint8_t sink = 0;
      for (size_t off = 0; off < size; off += static_cast<size_t>(page)) sink ^= static_cast<const uint8_t*>(p)[off];
      (void)sink;
    }
  }
  data_ = static_cast<const uint8_t*>(p);
  size_ = size;
  return true;
}

namespace {

// Adds the bytes of pages i .. i + n - 1 of a `size`-byte mapping that `present(k)` (k = 0 .. n - 1)
// says are resident; the last page counts only up to the end of the mapping.
template <typename Present>
void add_resident(size_t size, size_t page, size_t i, size_t n, Present present, uint64_t* bytes) {
  for (size_t k = 0; k < n; ++k)
    if (present(k)) *bytes += std::min(page, size - (i + k) * page);
}

#if defined(__linux__)
// Pages of the range present in this process's page tables (bit 63 of each /proc/self/pagemap
// entry, 8 bytes per base page). A page-cache page is counted only once this process has mapped
// it; a huge-page (PMD) mapping reports every one of its base pages present.
int64_t resident_by_pagemap(const uint8_t* p, size_t size, size_t page) {
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const uint64_t first = reinterpret_cast<uintptr_t>(p) / page;
  const size_t pages = (size + page - 1) / page;
  std::vector<uint64_t> buf(8192);
  uint64_t bytes = 0;
  for (size_t i = 0; i < pages;) {
    const size_t want = std::min(buf.size(), pages - i);
    const ssize_t got = pread(fd, buf.data(), want * sizeof(uint64_t), static_cast<off_t>((first + i) * sizeof(uint64_t)));
    if (got <= 0 || got % static_cast<ssize_t>(sizeof(uint64_t)) != 0) {
      ::close(fd);
      return -1;
    }
    const size_t n = static_cast<size_t>(got) / sizeof(uint64_t);
    add_resident(size, page, i, n, [&](size_t k) { return (buf[k] >> 63) != 0; }, &bytes);
    i += n;
  }
  ::close(fd);
  return static_cast<int64_t>(bytes);
}
#endif

// mincore(): one byte per base page (huge pages are reported page by page too). For a file mapping
// it says whether the file's page is in memory, whether or not this process has touched it (Linux
// reports that only for files the caller may write; otherwise only the pages it has mapped).
int64_t resident_by_mincore(const uint8_t* p, size_t size, size_t page) {
#if defined(__APPLE__)
  using Vec = char;
#else
  using Vec = unsigned char;
#endif
  const size_t chunk = 65536;  // pages per call
  std::vector<Vec> v(chunk);
  const size_t pages = (size + page - 1) / page;
  uint64_t bytes = 0;
  for (size_t i = 0; i < pages; i += chunk) {
    const size_t n = std::min(chunk, pages - i);
    const size_t len = std::min(n * page, size - i * page);
    // char* converts to the address parameter on every platform (void*, const void* or caddr_t).
    if (mincore(reinterpret_cast<char*>(const_cast<uint8_t*>(p + i * page)), len, v.data()) != 0) return -1;
    add_resident(size, page, i, n, [&](size_t k) { return (v[k] & 1) != 0; }, &bytes);
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace

int64_t MappedFile::resident_bytes() const {
  if (!data_ || size_ == 0) return 0;
  const long ps = sysconf(_SC_PAGESIZE);
  if (ps <= 0) return -1;
  const size_t page = static_cast<size_t>(ps);
#if defined(__linux__)
  const int64_t r = resident_by_pagemap(data_, size_, page);
  if (r >= 0) return r;
#endif
  return resident_by_mincore(data_, size_, page);
}

void MappedFile::close() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

#endif

}  // namespace qins
