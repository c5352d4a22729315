#pragma once
/// \file pyramid.hpp
/// Coarse-to-fine geometry of blind kernel estimation and the resampling of
/// images (antialiased, for the image pyramid) and kernels (between levels).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "lucid/core/image.hpp"

namespace lucid::detail::blind {

/// One level of the pyramid: image scale, image and kernel sizes.
struct PyramidLevel {
    double scale;               ///< image scale relative to the input (1 at the finest level)
    std::size_t height, width;  ///< image size at this level
    std::size_t kernel_size;    ///< odd kernel side at this level
};

/// The smallest odd integer ≥ v.
inline std::size_t odd_ceil(double v) {
    auto n = std::size_t(std::ceil(v - 1e-9));
    return n % 2 == 1 ? n : n + 1;
}

/// Levels from coarsest to finest: scales r^i (r = ratio) for i = L−1..0,
/// kernel sides ⌈n r^i⌉ rounded up to odd, with L the largest count for
/// which n r^{L−1} ≥ coarsest (Pan et al. 2014's schedule; at least one level).
inline std::vector<PyramidLevel> pyramid_levels(std::size_t h, std::size_t w, std::size_t n, double ratio,
                                                std::size_t coarsest) {
    std::size_t count = 1;
    while (double(n) * std::pow(ratio, double(count)) >= double(coarsest) - 1e-9) ++count;
    std::vector<PyramidLevel> levels;
    for (std::size_t i = count; i-- > 0;) {
        const double s = std::pow(ratio, double(i));
        PyramidLevel l;
        l.scale = s;
        l.height = std::max<std::size_t>(1, std::size_t(std::lround(double(h) * s)));
        l.width = std::max<std::size_t>(1, std::size_t(std::lround(double(w) * s)));
        l.kernel_size = i == 0 ? n : std::min(n, odd_ceil(double(n) * s));
        levels.push_back(l);
    }
    return levels;
}

/// Sparse 1-D resampling weights: output sample o reads inputs
/// first[o] .. first[o] + taps[o] − 1 with weights at offset[o].
struct ResampleTable {
    std::vector<std::size_t> first, taps, offset;
    std::vector<double> weight;
};

/// Weights of the antialiased linear resampling from `in` to `out` samples
/// (the triangle filter of MATLAB's imresize 'bilinear', stretched by in/out
/// when shrinking): output o sits at input coordinate (o + ½)·in/out − ½ and
/// takes w(t) ∝ max(0, 1 − |t|·s), s = min(1, out/in), over input samples
/// inside the signal (weights renormalized at the borders).
inline ResampleTable resample_table(std::size_t in, std::size_t out) {
    ResampleTable t;
    const double f = double(in) / double(out), s = std::min(1.0, 1.0 / f), support = 1.0 / s;
    for (std::size_t o = 0; o < out; ++o) {
        const double x = (double(o) + 0.5) * f - 0.5;
        const auto lo = std::ptrdiff_t(std::ceil(x - support)), hi = std::ptrdiff_t(std::floor(x + support));
        const std::size_t a = std::size_t(std::max<std::ptrdiff_t>(lo, 0));
        const std::size_t b = std::size_t(std::min<std::ptrdiff_t>(hi, std::ptrdiff_t(in) - 1));
        t.first.push_back(a);
        t.offset.push_back(t.weight.size());
        double total = 0;
        std::size_t count = 0;
        for (std::size_t i = a; i <= b && b < in; ++i) {
            const double w = std::max(0.0, 1.0 - std::abs(double(i) - x) * s);
            t.weight.push_back(w);
            total += w;
            ++count;
        }
        if (total <= 0) {  // cannot happen for in ≥ 1, but keep the table valid
            t.weight.resize(t.offset.back());
            const std::size_t nearest = std::min(in - 1, std::size_t(std::max(0.0, std::round(x))));
            t.first.back() = nearest;
            t.weight.push_back(1.0);
            count = 1;
            total = 1;
        }
        for (std::size_t k = 0; k < count; ++k) t.weight[t.offset.back() + k] /= total;
        t.taps.push_back(count);
    }
    return t;
}

/// The image resampled to out_h×out_w by the separable antialiased linear
/// filter of `resample_table` (identity when the size does not change).
template <class T>
Image<T> resize_image(const Image<T>& x, std::size_t out_h, std::size_t out_w) {
    const std::size_t h = x.shape()[0], w = x.shape()[1];
    if (h == out_h && w == out_w) return x;
    const ResampleTable rt = resample_table(h, out_h), ct = resample_table(w, out_w);
    Image<T> rows({h, out_w});
    for (std::size_t i = 0; i < h; ++i) {
        const T* src = x.data() + i * w;
        T* dst = rows.data() + i * out_w;
        for (std::size_t o = 0; o < out_w; ++o) {
            double acc = 0;
            const double* wt = ct.weight.data() + ct.offset[o];
            for (std::size_t k = 0; k < ct.taps[o]; ++k) acc += wt[k] * double(src[ct.first[o] + k]);
            dst[o] = T(acc);
        }
    }
    Image<T> out({out_h, out_w});
    for (std::size_t o = 0; o < out_h; ++o) {
        T* dst = out.data() + o * out_w;
        std::fill(dst, dst + out_w, T(0));
        const double* wt = rt.weight.data() + rt.offset[o];
        for (std::size_t k = 0; k < rt.taps[o]; ++k) {
            const T* src = rows.data() + (rt.first[o] + k) * out_w;
            const T a = T(wt[k]);
            for (std::size_t j = 0; j < out_w; ++j) dst[j] += a * src[j];
        }
    }
    return out;
}

/// A kernel carried to a finer (or coarser) level: k'(p) = k(c + (p − c')/f)
/// by bilinear interpolation about the centres c, c', where f is the
/// geometric magnification, then clipped at 0 and normalized to sum 1
/// (a delta if nothing positive remains).
template <class T>
Image<T> resize_kernel(const Image<T>& k, std::size_t size, double magnification) {
    const std::size_t n = k.shape()[0];
    const double c = double(n / 2), c2 = double(size / 2);
    Image<T> out({size, size});
    double total = 0;
    for (std::size_t i = 0; i < size; ++i)
        for (std::size_t j = 0; j < size; ++j) {
            const double y = c + (double(i) - c2) / magnification, x = c + (double(j) - c2) / magnification;
            const double fy = std::floor(y), fx = std::floor(x), ay = y - fy, ax = x - fx;
            auto at = [&](double r, double q) -> double {
                if (r < 0 || q < 0 || r > double(n - 1) || q > double(n - 1)) return 0.0;
                return double(k(std::size_t(r), std::size_t(q)));
            };
            const double v = (1 - ay) * ((1 - ax) * at(fy, fx) + ax * at(fy, fx + 1)) +
                             ay * ((1 - ax) * at(fy + 1, fx) + ax * at(fy + 1, fx + 1));
            out(i, j) = T(std::max(0.0, v));
            total += double(out(i, j));
        }
    if (total <= 0) {
        out.fill(T(0));
        out(size / 2, size / 2) = T(1);
        return out;
    }
    for (auto& v : out) v = T(double(v) / total);
    return out;
}

}  // namespace lucid::detail::blind
