#pragma once
/// \file cpu_features.hpp
/// Run-time CPU feature checks for kernels that ship an AVX2+FMA copy
/// (GCC/Clang `target` attribute) beside the portable one.
/// Define LUCID_NO_RUNTIME_DISPATCH to keep the baseline instruction set only.

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(LUCID_NO_RUNTIME_DISPATCH)
#define LUCID_HAS_AVX2_DISPATCH 1
#else
#define LUCID_HAS_AVX2_DISPATCH 0
#endif

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

/// Test and benchmark hook: when true, every kernel family with an AVX2+FMA
/// copy (convolution taps, wavelet filters, FGP and ADMM-TV sweeps) runs its
/// portable loops even on CPUs that have AVX2. Not for concurrent modification.
inline bool& force_portable() {
    static bool force = false;
    return force;
}

/// True when the AVX2+FMA copies of the kernels will run.
inline bool use_avx2() { return cpu_has_avx2_fma() && !force_portable(); }

}  // namespace lucid::detail
