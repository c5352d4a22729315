#pragma once
/// \file threading.hpp
/// Thread count shared by lucid's pixel loops (OpenMP, when compiled with it)
/// and FFTW's threaded plans. Results are deterministic for a fixed thread count.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "lucid/core/error.hpp"

namespace lucid {

namespace detail {
inline std::atomic<int>& thread_setting() {
    static std::atomic<int> n{std::max(1, int(std::thread::hardware_concurrency()))};
    return n;
}
/// Loops shorter than this run serially: fork/join costs more than it saves.
inline constexpr std::ptrdiff_t parallel_threshold = 1 << 15;
}  // namespace detail

/// Number of threads lucid uses (default: all hardware threads).
inline int num_threads() { return detail::thread_setting().load(std::memory_order_relaxed); }

/// Sets the number of threads used by pixel loops and new FFT plans (n >= 1).
inline void set_num_threads(int n) {
    require(n >= 1, "lucid::set_num_threads", "n", ">= 1", n);
    detail::thread_setting().store(n, std::memory_order_relaxed);
}

/// Runs body(i) for i in [begin, end), split across num_threads() when the
/// range is long enough. Iterations must be independent.
template <class F>
void parallel_for(std::ptrdiff_t begin, std::ptrdiff_t end, F&& body,
                  std::ptrdiff_t grain = detail::parallel_threshold) {
#if defined(_OPENMP)
    const int nt = num_threads();
    if (nt > 1 && end - begin >= grain) {
        // An exception must not leave an OpenMP region (std::terminate): the first one is
        // kept and rethrown after the join. For bodies that cannot throw the handler compiles away.
        std::exception_ptr error;
#pragma omp parallel for num_threads(nt) schedule(static)
        for (std::ptrdiff_t i = begin; i < end; ++i) {
            try {
                body(i);
            } catch (...) {
#pragma omp critical(lucid_parallel_for_error)
                if (!error) error = std::current_exception();
            }
        }
        if (error) std::rethrow_exception(error);
        return;
    }
#endif
    (void)grain;
    for (std::ptrdiff_t i = begin; i < end; ++i) body(i);
}

/// Splits [0, n) into `workers` contiguous ranges and runs body(t, begin, end)
/// for each worker t < workers, in parallel (one call body(0, 0, n) when
/// workers <= 1). For loops whose workers keep their own scratch, indexed by t.
template <class F>
void parallel_ranges(std::ptrdiff_t n, int workers, F&& body) {
    if (workers <= 1) {
        body(std::ptrdiff_t(0), std::ptrdiff_t(0), n);
        return;
    }
    parallel_for(0, workers, [&](std::ptrdiff_t t) { body(t, n * t / workers, n * (t + 1) / workers); }, 2);
}

}  // namespace lucid
