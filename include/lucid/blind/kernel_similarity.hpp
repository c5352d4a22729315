#pragma once
/// \file kernel_similarity.hpp
/// Kernel similarity: the maximum normalized cross-correlation over shifts.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::blind {

/// Similarity of two blur kernels up to translation (Hu & Yang, "Good regions
/// to deblur", ECCV 2012, eq. for the kernel similarity):
/// \f[ S(a, b) = \max_{s}\ \frac{\sum_p a(p)\, b(p + s)}{\|a\|_2\,\|b\|_2}, \f]
/// the maximum over every integer shift s for which the supports overlap
/// (kernels of different sizes are fine, outside values are 0). For
/// non-negative kernels S ∈ [0, 1], with 1 exactly when b is a translate of a
/// (a scalar multiple, in general). Blind estimates are defined only up to a
/// translation, hence the maximum. Direct sums: O(h_a w_a h_b w_b).
///
/// \throws lucid::Error naming `a` or `b` when a kernel is empty, not finite or all zero
/// ```cpp
/// double s = lucid::blind::kernel_similarity(estimated, truth);  // 1 = perfect
/// ```
template <class T>
double kernel_similarity(const Image<T>& a, const Image<T>& b) {
    constexpr const char* where = "lucid::blind::kernel_similarity";
    require_finite_image(where, "a", a);
    require_finite_image(where, "b", b);
    // The measure is scale-invariant; each kernel is divided by its largest |entry| so
    // that squares neither overflow (entries ≳ 1e154) nor underflow (≲ 1e-162).
    const double sa = double(norm_inf(a)), sb = double(norm_inf(b));
    require(sa > 0, where, "a", "a kernel with a non-zero entry", "all zeros");
    require(sb > 0, where, "b", "a kernel with a non-zero entry", "all zeros");
    double na = 0, nb = 0;
    for (auto v : a) na += (double(v) / sa) * (double(v) / sa);
    for (auto v : b) nb += (double(v) / sb) * (double(v) / sb);
    const std::ptrdiff_t ha = std::ptrdiff_t(a.shape()[0]), wa = std::ptrdiff_t(a.shape()[1]);
    const std::ptrdiff_t hb = std::ptrdiff_t(b.shape()[0]), wb = std::ptrdiff_t(b.shape()[1]);
    double best = -1e300;
    // b(p + s) overlaps a(p) for s ∈ (−ha, hb) × (−wa, wb).
    for (std::ptrdiff_t si = -(ha - 1); si <= hb - 1; ++si)
        for (std::ptrdiff_t sj = -(wa - 1); sj <= wb - 1; ++sj) {
            double acc = 0;
            const std::ptrdiff_t i0 = std::max<std::ptrdiff_t>(0, -si), i1 = std::min(ha, hb - si);
            const std::ptrdiff_t j0 = std::max<std::ptrdiff_t>(0, -sj), j1 = std::min(wa, wb - sj);
            for (std::ptrdiff_t i = i0; i < i1; ++i) {
                const T* ra = a.data() + i * wa;
                const T* rb = b.data() + (i + si) * wb + sj;
                for (std::ptrdiff_t j = j0; j < j1; ++j) acc += (double(ra[j]) / sa) * (double(rb[j]) / sb);
            }
            best = std::max(best, acc);
        }
    return best / (std::sqrt(na) * std::sqrt(nb));
}

}  // namespace lucid::blind
