#pragma once
/// \file non_local_means.hpp
/// Pixelwise non-local means (Buades, Coll & Morel 2005) computed per offset
/// with box sums of squared differences (Darbon, Cunha, Chan, Osher & Jensen 2008).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/denoisers/denoiser.hpp"

namespace lucid::denoisers {

/// Parameters of NonLocalMeans. Zero fields are chosen from σ by the table of
/// Buades, Coll & Morel, "Non-Local Means Denoising", IPOL 2011 (§3, σ on the
/// 0–255 scale): gray — σ ≤ 15: patch 3×3, search 21×21, h = 0.40σ;
/// ≤ 30: 5×5, 21×21, 0.40σ; ≤ 45: 7×7, 35×35, 0.35σ; ≤ 75: 9×9, 35×35, 0.35σ;
/// above: 11×11, 35×35, 0.30σ. Color — σ ≤ 25: 3×3, 21×21, 0.55σ;
/// ≤ 55: 5×5, 35×35, 0.40σ; above: 7×7, 35×35, 0.35σ.
struct NlmParams {
    int patch_radius = 0;    ///< f: patches are (2f+1)²; 0 = from the table; at most max_patch_radius
    int search_radius = 0;   ///< r: candidates in a (2r+1)² window; 0 = from the table (any r >= the image side acts as the side)
    double h_factor = 0;     ///< h = h_factor·σ; 0 = from the table

    /// Largest patch radius: 129×129 patches, ten times the table's largest
    /// (11×11). The patches extend past the border by reflection, so f is not
    /// bounded by the image and the padded copy grows as (H+2f)(W+2f).
    static constexpr int max_patch_radius = 64;

    void validate() const {
        constexpr const char* where = "lucid::denoisers::NlmParams";
        require(patch_radius >= 0 && patch_radius <= max_patch_radius, where, "patch_radius", "in [0, 64]",
                patch_radius);
        // No upper bound needed: candidates are real pixels, so run() clips r to the image side exactly.
        require(search_radius >= 0, where, "search_radius", ">= 0", search_radius);
        require(std::isfinite(h_factor) && h_factor >= 0, where, "h_factor", "finite and >= 0", h_factor);
    }
};

/// Non-local means: each pixel becomes a weighted mean of the pixels q of its
/// search window,
/// \f[ \hat x(p) = \frac{\sum_q w(p,q)\, y(q)}{\sum_q w(p,q)}, \qquad
///     w(p,q) = \exp\!\Big(-\frac{\max(d^2(p,q) - 2\sigma^2,\ 0)}{h^2}\Big), \f]
/// with d² the mean squared difference of the (2f+1)² patches around p and q
/// (averaged over channels for color) and the weight of q = p set to the
/// largest other weight (IPOL 2011). Candidates are real pixels (the search
/// window is clipped at the border); patches extend past it by half-sample
/// reflection. Cost O(N·(2r+1)²) independent of the patch size: for each
/// offset δ (half of them, by the symmetry w(p, p+δ) = w(p+δ, p)) the patch
/// distances of all pixels come from running box sums of (y − y(·+δ))².
/// Gray `Image<T>` and color `ImageStack<T>` (C×H×W).
template <class T>
class NonLocalMeans {
public:
    using scalar_type = T;

    explicit NonLocalMeans(NlmParams params = {}) : params_(params) { params_.validate(); }

    const NlmParams& params() const { return params_; }

    /// The (patch radius, search radius, h) used for noise level σ and C channels.
    struct Resolved {
        int f, r;
        double h;
    };
    Resolved resolve(double sigma, std::size_t channels) const {
        const double s = sigma * 255.0;
        int f, r;
        double k;
        if (channels == 1) {
            if (s <= 15) { f = 1; r = 10; k = 0.40; }
            else if (s <= 30) { f = 2; r = 10; k = 0.40; }
            else if (s <= 45) { f = 3; r = 17; k = 0.35; }
            else if (s <= 75) { f = 4; r = 17; k = 0.35; }
            else { f = 5; r = 17; k = 0.30; }
        } else {
            if (s <= 25) { f = 1; r = 10; k = 0.55; }
            else if (s <= 55) { f = 2; r = 17; k = 0.40; }
            else { f = 3; r = 17; k = 0.35; }
        }
        if (params_.patch_radius > 0) f = params_.patch_radius;
        if (params_.search_radius > 0) r = params_.search_radius;
        if (params_.h_factor > 0) k = params_.h_factor;
        return {f, r, k * sigma};
    }

    /// out = NLM(y) for noise level σ > 0 (out must not alias y).
    template <std::size_t Rank>
    void denoise(const xt::xtensor<T, Rank>& y, T sigma, xt::xtensor<T, Rank>& out) const {
        static_assert(Rank == 2 || Rank == 3, "NonLocalMeans acts on H×W images or C×H×W stacks");
        constexpr const char* where = "lucid::denoisers::NonLocalMeans::denoise";
        require_positive(where, "sigma", sigma);
        require_finite_image(where, "y", y);
        // squared differences must stay finite (inf − inf in the running window sums is NaN)
        const double peak = double(norm_inf(y));
        require(peak < 1e150, where, "y", "values of magnitude below 1e150", peak);
        const Shape<Rank> shape = shape_of(y);
        require_shape(where, "out", shape_of(out), shape);
        require(out.data() != y.data(), where, "out", "a different array from y", "the same array");
        const auto hw = plane_shape(shape);
        run(y.data(), out.data(), channel_count(shape), hw[0], hw[1], double(sigma));
    }

private:
    static std::ptrdiff_t reflect(std::ptrdiff_t i, std::ptrdiff_t n) {
        const std::ptrdiff_t period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - 1 - i;
    }

    void run(const T* y, T* out, std::size_t c, std::size_t h, std::size_t w, double sigma) const {
        const Resolved rp = resolve(sigma, c);
        const std::ptrdiff_t f = rp.f, r = std::min<std::ptrdiff_t>(rp.r, std::ptrdiff_t(std::max(h, w)));
        const std::ptrdiff_t H = std::ptrdiff_t(h), W = std::ptrdiff_t(w);
        // Padding: patches of pixels p and q = p + δ (both in the image) reach f beyond it;
        // the search radius needs none (f + r made thin images cost O(r²) memory).
        const std::ptrdiff_t P = f;
        const std::ptrdiff_t PH = H + 2 * P, PW = W + 2 * P;
        const std::size_t plane = h * w;
        // padded copy (half-sample reflection), per channel
        pad_.resize(c * std::size_t(PH * PW));
        for (std::size_t k = 0; k < c; ++k)
            for (std::ptrdiff_t i = 0; i < PH; ++i) {
                const T* src = y + k * plane + std::size_t(reflect(i - P, H)) * w;
                T* dst = pad_.data() + k * std::size_t(PH * PW) + std::size_t(i * PW);
                for (std::ptrdiff_t j = 0; j < PW; ++j) dst[j] = src[reflect(j - P, W)];
            }
        acc_.assign(c * plane, 0.0);
        wsum_.assign(plane, 0.0);
        wmax_.assign(plane, 0.0);
        // squared differences on the patch-extended region of p: rows/cols [−f, H+f) × [−f, W+f)
        const std::ptrdiff_t EH = H + 2 * f, EW = W + 2 * f;
        diff_.resize(std::size_t(EH * EW));
        colsum_.resize(std::size_t(EW));
        dist_.resize(std::size_t(W));
        const double patch_norm = 1.0 / (double(c) * double((2 * f + 1) * (2 * f + 1)));
        const double two_s2 = 2 * sigma * sigma, inv_h2 = 1.0 / (rp.h * rp.h);
        for (std::ptrdiff_t dy = 0; dy <= r; ++dy)
            for (std::ptrdiff_t dx = -r; dx <= r; ++dx) {
                if (dy == 0 && dx <= 0) continue;  // half of the offsets; (0,0) is the centre
                if (dy >= H || std::abs(dx) >= W) continue;
                // pixels p (image coords) with q = p + δ also in the image
                const std::ptrdiff_t i0 = 0, i1 = H - dy, j0 = std::max<std::ptrdiff_t>(0, -dx),
                                     j1 = std::min(W, W - dx);
                // E(i, j) = Σ_c (y(i, j) − y(i+dy, j+dx))² for i ∈ [i0−f, i1+f), j ∈ [j0−f, j1+f)
                const std::ptrdiff_t ei = i1 - i0 + 2 * f, ej = j1 - j0 + 2 * f;
                for (std::ptrdiff_t a = 0; a < ei; ++a) {
                    double* e = diff_.data() + a * ej;
                    for (std::ptrdiff_t b = 0; b < ej; ++b) e[b] = 0;
                    for (std::size_t k = 0; k < c; ++k) {
                        const T* base = pad_.data() + k * std::size_t(PH * PW);
                        const T* rp0 = base + (i0 - f + a + P) * PW + (j0 - f + P);
                        const T* rp1 = base + (i0 - f + a + dy + P) * PW + (j0 - f + dx + P);
                        for (std::ptrdiff_t b = 0; b < ej; ++b) {
                            const double d = double(rp0[b]) - double(rp1[b]);
                            e[b] += d * d;
                        }
                    }
                }
                // box sums over (2f+1)² windows: running column sums down the rows
                const std::ptrdiff_t k2 = 2 * f + 1;
                std::fill(colsum_.begin(), colsum_.begin() + ej, 0.0);
                for (std::ptrdiff_t a = 0; a < k2 - 1; ++a)
                    for (std::ptrdiff_t b = 0; b < ej; ++b) colsum_[std::size_t(b)] += diff_[std::size_t(a * ej + b)];
                for (std::ptrdiff_t i = i0; i < i1; ++i) {
                    const std::ptrdiff_t a_in = i - i0 + k2 - 1;
                    for (std::ptrdiff_t b = 0; b < ej; ++b) colsum_[std::size_t(b)] += diff_[std::size_t(a_in * ej + b)];
                    double s = 0;
                    for (std::ptrdiff_t b = 0; b < k2 - 1; ++b) s += colsum_[std::size_t(b)];
                    // patch distances of the row (running sum), then weights, then accumulation
                    double* wrow = dist_.data();
                    const std::ptrdiff_t n = j1 - j0;
                    for (std::ptrdiff_t j = 0; j < n; ++j) {
                        s += colsum_[std::size_t(j + k2 - 1)];
                        wrow[j] = s;
                        s -= colsum_[std::size_t(j)];
                    }
                    if (std::isinf(inv_h2)) {
                        // h² underflowed (h < ~1e-154): the h → 0 limit, w = 1 if d² <= 2σ² else 0
                        // (the formula would give 0·inf = NaN for the patches within 2σ²).
                        for (std::ptrdiff_t j = 0; j < n; ++j) wrow[j] = wrow[j] * patch_norm - two_s2 <= 0 ? 1.0 : 0.0;
                    } else {  // w = exp(−max(d² − 2σ², 0)/h²), vectorized (xsimd's exp, ~1 ulp)
                        using B = xsimd::batch<double>;
                        constexpr std::ptrdiff_t L = std::ptrdiff_t(B::size);
                        const B bn(patch_norm), bs(two_s2), bh(-inv_h2), zero(0.0);
                        std::ptrdiff_t j = 0;
                        for (; j + L <= n; j += L)
                            xsimd::exp(xsimd::max(B::load_unaligned(wrow + j) * bn - bs, zero) * bh).store_unaligned(wrow + j);
                        for (; j < n; ++j) wrow[j] = std::exp(-std::max(wrow[j] * patch_norm - two_s2, 0.0) * inv_h2);
                    }
                    const std::size_t p0 = std::size_t(i * W + j0), q0 = std::size_t((i + dy) * W + j0 + dx);
                    for (std::size_t k = 0; k < c; ++k) {
                        double* __restrict ap = acc_.data() + k * plane + p0;
                        double* __restrict aq = acc_.data() + k * plane + q0;
                        const T* yp = y + k * plane + p0;
                        const T* yq = y + k * plane + q0;
                        if (dy == 0) {  // p and q rows coincide: keep the two updates sequential
                            for (std::ptrdiff_t j = 0; j < n; ++j) {
                                acc_[k * plane + p0 + std::size_t(j)] += wrow[j] * double(yq[j]);
                                acc_[k * plane + q0 + std::size_t(j)] += wrow[j] * double(yp[j]);
                            }
                        } else {
                            for (std::ptrdiff_t j = 0; j < n; ++j) {
                                ap[j] += wrow[j] * double(yq[j]);
                                aq[j] += wrow[j] * double(yp[j]);
                            }
                        }
                    }
                    for (std::ptrdiff_t j = 0; j < n; ++j) {
                        const double wgt = wrow[j];
                        const std::size_t p = p0 + std::size_t(j), q = q0 + std::size_t(j);
                        wsum_[p] += wgt;
                        wsum_[q] += wgt;
                        wmax_[p] = wmax_[p] > wgt ? wmax_[p] : wgt;
                        wmax_[q] = wmax_[q] > wgt ? wmax_[q] : wgt;
                    }
                    const std::ptrdiff_t a_out = i - i0;
                    for (std::ptrdiff_t b = 0; b < ej; ++b) colsum_[std::size_t(b)] -= diff_[std::size_t(a_out * ej + b)];
                }
            }
        for (std::size_t p = 0; p < plane; ++p) {
            const double wc = wmax_[p] > 0 ? wmax_[p] : 1.0;  // centre weight (1 if no neighbour counts)
            const double norm = 1.0 / (wsum_[p] + wc);
            for (std::size_t k = 0; k < c; ++k)
                out[k * plane + p] = T((acc_[k * plane + p] + wc * double(y[k * plane + p])) * norm);
        }
    }

    NlmParams params_;
    mutable std::vector<T> pad_;
    mutable std::vector<double> acc_, wsum_, wmax_, diff_, colsum_, dist_;
};

}  // namespace lucid::denoisers
