// Counts heap allocations made by this process while a scope is active: every
// replaceable operator new, and (outside sanitizer builds, whose runtime owns
// malloc) malloc/calloc/realloc/aligned_alloc/posix_memalign through glibc.
// Include from exactly one translation unit of a test executable.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace staticnn::test {

inline int allocations = 0;
inline bool counting = false;

inline void note_allocation() {
  if (counting) ++allocations;
}

// Allocations made during the lifetime of this object.
struct AllocationScope {
  int start;
  AllocationScope() : start(allocations) { counting = true; }
  ~AllocationScope() { counting = false; }
  int count() const { return allocations - start; }
};

}  // namespace staticnn::test

#if defined(__SANITIZE_ADDRESS__)
#define STATICNN_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STATICNN_COUNT_MALLOC 0
#endif
#endif
#ifndef STATICNN_COUNT_MALLOC
#define STATICNN_COUNT_MALLOC 1
#endif

#if STATICNN_COUNT_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t n) {
  staticnn::test::note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  staticnn::test::note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  staticnn::test::note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  staticnn::test::note_allocation();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  staticnn::test::note_allocation();
  *out = __libc_memalign(alignment, n);
  return *out != nullptr ? 0 : 12;  // ENOMEM
}
}
#endif

void* operator new(std::size_t n) {
  staticnn::test::note_allocation();
  if (void* p = std::malloc(n > 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  staticnn::test::note_allocation();
  void* p = nullptr;
  if (posix_memalign(&p, static_cast<std::size_t>(a), n > 0 ? n : 1) != 0) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
// Every allocation above comes from malloc, so free is the matching release;
// g++ cannot see that through the replaced operator new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
