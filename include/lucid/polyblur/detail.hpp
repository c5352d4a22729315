#pragma once
/// \file detail.hpp
/// Private helpers shared by the Polyblur headers: thread-indexed parallel
/// loops, run-time CPU dispatch, index clamping, image validation.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(LUCID_NO_RUNTIME_DISPATCH)
#define LUCID_POLYBLUR_AVX2 1
#define LUCID_POLYBLUR_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define LUCID_POLYBLUR_AVX2 0
#define LUCID_POLYBLUR_TARGET_AVX2
#endif

// Hot loops are written once with GCC/Clang vector extensions (32-byte
// vectors) and force-inlined into a baseline and an AVX2+FMA copy.
#if defined(__GNUC__) || defined(__clang__)
#define LUCID_POLYBLUR_VECTORS 1
#define LUCID_POLYBLUR_INLINE inline __attribute__((always_inline))
#else
#define LUCID_POLYBLUR_VECTORS 0
#define LUCID_POLYBLUR_INLINE inline
#endif

namespace lucid::polyblur::detail {

/// True when the CPU runs AVX2 and FMA (checked once); false without dispatch.
inline bool has_avx2_fma() {
#if LUCID_POLYBLUR_AVX2
    static const bool ok = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return ok;
#else
    return false;
#endif
}

/// Number of workers for n independent jobs: min(num_threads(), n), at least 1.
inline int workers_for(std::ptrdiff_t jobs) {
    return int(std::max<std::ptrdiff_t>(1, std::min<std::ptrdiff_t>(num_threads(), jobs)));
}

/// Runs body(job, worker) for job in [0, jobs) on `workers` threads (OpenMP,
/// dynamic schedule); worker ∈ [0, workers) indexes per-thread scratch.
template <class F>
void parallel_jobs(std::ptrdiff_t jobs, int workers, F&& body) {
#if defined(_OPENMP)
    if (workers > 1 && jobs > 1) {
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1)
        for (std::ptrdiff_t j = 0; j < jobs; ++j) body(j, omp_get_thread_num());
        return;
    }
#endif
    for (std::ptrdiff_t j = 0; j < jobs; ++j) body(j, 0);
}

#if LUCID_POLYBLUR_VECTORS
/// A 32-byte vector of T (8 floats or 4 doubles).
template <class T>
struct Simd {
    typedef T type __attribute__((vector_size(32)));
    static constexpr std::size_t lanes = 32 / sizeof(T);
};

template <class V, class T>
LUCID_POLYBLUR_INLINE void vload(V& v, const T* p) {
    std::memcpy(&v, p, sizeof(V));
}

template <class V, class T>
LUCID_POLYBLUR_INLINE void vstore(T* p, const V& v) {
    std::memcpy(p, &v, sizeof(V));
}
#endif

/// i clamped to [0, n − 1] (replicate extension).
constexpr std::ptrdiff_t clamp_index(std::ptrdiff_t i, std::ptrdiff_t n) {
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

}  // namespace lucid::polyblur::detail
