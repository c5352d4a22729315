#pragma once
// Test support: run a check once per copy of the SIMD kernels (portable,
// AVX2+FMA, AVX-512) that this CPU can execute, by setting lucid's test hooks
// detail::force_portable / detail::force_avx2.

#include <string>
#include <vector>

#include "lucid/core/cpu_features.hpp"

namespace lucid::test {

enum class Isa { portable, avx2, avx512 };

inline const char* to_string(Isa isa) {
    return isa == Isa::portable ? "portable" : isa == Isa::avx2 ? "avx2" : "avx512";
}

/// The kernel copies this CPU runs, portable first.
inline std::vector<Isa> available_isas() {
    std::vector<Isa> v{Isa::portable};
    if (detail::cpu_has_avx2_fma()) v.push_back(Isa::avx2);
    if (detail::cpu_has_avx512()) v.push_back(Isa::avx512);
    return v;
}

/// Selects one copy for its lifetime; the default dispatch again afterwards.
class ForceIsa {
public:
    explicit ForceIsa(Isa isa) {
        detail::force_portable() = isa == Isa::portable;
        detail::force_avx2() = isa == Isa::avx2;
    }
    ~ForceIsa() {
        detail::force_portable() = false;
        detail::force_avx2() = false;
    }
    ForceIsa(const ForceIsa&) = delete;
    ForceIsa& operator=(const ForceIsa&) = delete;
};

}  // namespace lucid::test
