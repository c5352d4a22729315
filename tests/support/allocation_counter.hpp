#pragma once
// Test support: a counting global operator new, for tests that a call makes
// no heap allocation. It defines the replaceable allocation functions, so
// include it in exactly one translation unit per test binary.
//
//   CHECK(lucid::test::allocations_during([&] { A.apply(x, y); }) == 0);

#include <atomic>
#include <cstdlib>
#include <new>

namespace lucid::test::allocation_count {
inline std::atomic<bool> count_allocations{false};
inline std::atomic<long> allocations{0};
}  // namespace lucid::test::allocation_count

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    if (lucid::test::allocation_count::count_allocations.load(std::memory_order_relaxed))
        lucid::test::allocation_count::allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too: otherwise a sanitizer's own nothrow new would pair
// with the free() above (ASan: alloc-dealloc-mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace lucid::test {

/// Number of operator new calls (from any thread) while fn() runs.
template <class Fn>
long allocations_during(Fn&& fn) {
    allocation_count::allocations = 0;
    allocation_count::count_allocations = true;
    fn();
    allocation_count::count_allocations = false;
    return allocation_count::allocations.load();
}

}  // namespace lucid::test
