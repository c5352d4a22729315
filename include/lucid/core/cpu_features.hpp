#pragma once
/// \file cpu_features.hpp
/// Run-time CPU feature checks for kernels that ship an AVX2+FMA copy (and,
/// for the convolution tap loop and the wavelet filters, an AVX-512 copy)
/// beside the portable one (GCC/Clang `target` attribute).
/// Define LUCID_NO_RUNTIME_DISPATCH to keep the baseline instruction set only.

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(LUCID_NO_RUNTIME_DISPATCH)
#define LUCID_HAS_AVX2_DISPATCH 1
#else
#define LUCID_HAS_AVX2_DISPATCH 0
#endif

#include <cstdlib>
#include <cstring>

namespace lucid::detail {

/// True when the CPU executes AVX2 and FMA instructions (checked once).
inline bool cpu_has_avx2_fma() {
#if LUCID_HAS_AVX2_DISPATCH
    static const bool ok = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return ok;
#else
    return false;
#endif
}

/// True when the CPU executes AVX-512F (with AVX2 and FMA) and the process
/// was not started with LUCID_AVX512=0 (or off): the direct convolution's tap
/// loop and the wavelet filters then run 64-byte-vector copies. Checked once.
/// The switch is for CPUs that lower their clock for 512-bit code enough to
/// lose (older Intel server parts); measure with `bench_convolution
/// --benchmark_filter=ConvDirectIsa`.
inline bool cpu_has_avx512() {
#if LUCID_HAS_AVX2_DISPATCH
    static const bool ok = [] {
        if (const char* e = std::getenv("LUCID_AVX512"))
            if (std::strcmp(e, "0") == 0 || std::strcmp(e, "off") == 0) return false;
        __builtin_cpu_init();
        return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
    }();
    return ok;
#else
    return false;
#endif
}

/// Test and benchmark hook: when true, every kernel family with an AVX2+FMA
/// copy (convolution taps, wavelet filters, FGP and ADMM-TV sweeps) runs its
/// portable loops even on CPUs that have AVX2. Not for concurrent modification.
inline bool& force_portable() {
    static bool force = false;
    return force;
}

/// Test and benchmark hook: when true, kernels with an AVX-512 copy run their
/// AVX2+FMA copy instead (on CPUs with AVX2). Not for concurrent modification.
inline bool& force_avx2() {
    static bool force = false;
    return force;
}

/// True when the AVX2+FMA copies of the kernels will run.
inline bool use_avx2() { return cpu_has_avx2_fma() && !force_portable(); }

/// True when the AVX-512 copies (where a kernel has one) will run.
inline bool use_avx512() { return cpu_has_avx512() && !force_portable() && !force_avx2(); }

}  // namespace lucid::detail
