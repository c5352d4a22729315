#pragma once
/// \file kernel_cleanup.hpp
/// Sparsification and centring of estimated kernels: small entries and small
/// isolated components removed, centroid moved to the centre pixel.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "lucid/core/image.hpp"

namespace lucid::detail::blind {

/// Removes what a kernel estimate should not keep (Cho & Lee 2009, Pan et
/// al. 2014): entries below `threshold`·max become 0, then every 8-connected
/// component of the remaining support whose mass is below `min_mass` × the
/// total mass is removed, and the result is renormalized to sum 1 (so a
/// non-negative input stays on the simplex). Buffers are allocated once.
class KernelCleanup {
public:
    explicit KernelCleanup(std::size_t n) : n_(n), label_(n * n), stack_(n * n), mass_(n * n) {}

    /// In place on an n×n row-major array of non-negative values.
    void prune(double* k, double threshold, double min_mass) {
        const std::size_t nn = n_ * n_;
        double peak = 0;
        for (std::size_t i = 0; i < nn; ++i) peak = std::max(peak, k[i]);
        if (!(peak > 0)) return;
        const double cut = threshold * peak;
        double total = 0;
        for (std::size_t i = 0; i < nn; ++i) {
            if (k[i] < cut) k[i] = 0;
            total += k[i];
        }
        // Label 8-connected components by depth-first search.
        std::fill(label_.begin(), label_.end(), 0);
        int count = 0;
        for (std::size_t s = 0; s < nn; ++s) {
            if (k[s] <= 0 || label_[s] != 0) continue;
            ++count;
            double mass = 0;
            std::size_t top = 0;
            stack_[top++] = s;
            label_[s] = count;
            while (top > 0) {
                const std::size_t p = stack_[--top];
                mass += k[p];
                const std::ptrdiff_t i = std::ptrdiff_t(p / n_), j = std::ptrdiff_t(p % n_);
                for (std::ptrdiff_t di = -1; di <= 1; ++di)
                    for (std::ptrdiff_t dj = -1; dj <= 1; ++dj) {
                        const std::ptrdiff_t a = i + di, b = j + dj;
                        if (a < 0 || b < 0 || a >= std::ptrdiff_t(n_) || b >= std::ptrdiff_t(n_)) continue;
                        const std::size_t q = std::size_t(a) * n_ + std::size_t(b);
                        if (k[q] > 0 && label_[q] == 0) {
                            label_[q] = count;
                            stack_[top++] = q;
                        }
                    }
            }
            mass_[std::size_t(count - 1)] = mass;
        }
        // Keep the heaviest component whatever its mass.
        double heaviest = 0;
        for (int c = 0; c < count; ++c) heaviest = std::max(heaviest, mass_[std::size_t(c)]);
        double kept = 0;
        for (std::size_t i = 0; i < nn; ++i) {
            if (label_[i] == 0) continue;
            const double m = mass_[std::size_t(label_[i] - 1)];
            if (m < min_mass * total && m < heaviest) k[i] = 0;
            kept += k[i];
        }
        if (kept > 0)
            for (std::size_t i = 0; i < nn; ++i) k[i] /= kept;
    }

private:
    std::size_t n_;
    std::vector<int> label_;
    std::vector<std::size_t> stack_;
    std::vector<double> mass_;
};

/// Shifts a non-negative kernel by whole pixels so that its centroid is
/// within half a pixel of the centre (n/2, n/2) where the content allows;
/// mass shifted out of the box is dropped and the rest renormalized.
/// Blind estimates are defined up to a translation (the image moves the
/// other way); centring keeps the kernel from drifting to the border across
/// pyramid levels (Pan et al. 2014's adjust_psf_center, at integer shifts).
template <class T>
void center_kernel(Image<T>& k) {
    const std::size_t n = k.shape()[0], m = k.shape()[1];
    double total = 0, ci = 0, cj = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            total += double(k(i, j));
            ci += double(i) * double(k(i, j));
            cj += double(j) * double(k(i, j));
        }
    if (!(total > 0)) return;
    const auto si = std::ptrdiff_t(std::lround(double(n / 2) - ci / total));
    const auto sj = std::ptrdiff_t(std::lround(double(m / 2) - cj / total));
    if (si == 0 && sj == 0) return;
    Image<T> out({n, m}, T(0));
    double kept = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            const std::ptrdiff_t a = std::ptrdiff_t(i) + si, b = std::ptrdiff_t(j) + sj;
            if (a < 0 || b < 0 || a >= std::ptrdiff_t(n) || b >= std::ptrdiff_t(m)) continue;
            out(std::size_t(a), std::size_t(b)) = k(i, j);
            kept += double(k(i, j));
        }
    if (!(kept > 0)) return;
    for (auto& v : out) v = T(double(v) / kept);
    k = std::move(out);
}

}  // namespace lucid::detail::blind
