#pragma once
/// \file filter_bank.hpp
/// Fixed feature maps for distribution losses: filter banks and CNN first layers.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/cnn_model.hpp"

namespace lucid::learning {

/// A bank of k×k filters applied as 'valid' cross-correlations, optionally
/// followed by ReLU: \f$ F_c(x)[i,j] = \phi\big(\sum_{u,v} h_c[u,v]\, x[i+u, j+v]\big) \f$
/// for i < H−k+1, j < W−k+1, φ = identity or max(·, 0). Its vector–Jacobian
/// product (`backward`) is \f$ \sum_c h_c \star_{\text{full}} (\phi'(\cdot) \odot G_c) \f$.
template <class T>
class FilterBank {
public:
    FilterBank(std::vector<Image<T>> filters, bool relu = false) : filters_(std::move(filters)), relu_(relu) {
        constexpr const char* where = "lucid::learning::FilterBank";
        require(!filters_.empty(), where, "filters", "at least one filter", 0);
        k_ = filters_[0].shape()[0];
        for (const auto& f : filters_) {
            require(f.shape()[0] == k_ && f.shape()[1] == k_ && k_ >= 1, where, "filters",
                    "square filters of one common size", shape_string(f.shape()));
            require(all_finite(f), where, "filters", "finite coefficients", "a non-finite value");
        }
    }

    /// Pixels (1×1 identity): the PDL "on raw pixels".
    static FilterBank pixels() { return FilterBank({Image<T>({1, 1}, T(1))}); }

    /// Pixels, forward differences ∂x, ∂y and the undecimated Haar detail
    /// subbands LH, HL, HH (orthonormal 2×2 filters), all 2×2 and 'valid'.
    static FilterBank gradients_and_haar() {
        auto f = [](T a, T b, T c, T d) {
            Image<T> h({2, 2});
            h(0, 0) = a; h(0, 1) = b; h(1, 0) = c; h(1, 1) = d;
            return h;
        };
        return FilterBank({f(1, 0, 0, 0), f(-1, 1, 0, 0), f(-1, 0, 1, 0), f(T(0.5), T(-0.5), T(0.5), T(-0.5)),
                           f(T(0.5), T(0.5), T(-0.5), T(-0.5)), f(T(0.5), T(-0.5), T(-0.5), T(0.5))});
    }

    /// The first layer of a learned CNN (its 3×3 filters on the image
    /// channel, then ReLU): "PDL on CNN features".
    static FilterBank cnn_first_layer(const denoisers::CnnModel& model) {
        model.validate("lucid::learning::FilterBank::cnn_first_layer");
        const auto& L = model.layers[0];
        std::vector<Image<T>> fs;
        for (std::size_t o = 0; o < L.cout; ++o) {
            Image<T> h({3, 3});
            for (std::size_t s = 0; s < 9; ++s) h.data()[s] = T(L.weights[(o * L.cin + 0) * 9 + s]);
            fs.push_back(std::move(h));
        }
        return FilterBank(std::move(fs), L.relu);
    }

    std::size_t channels() const { return filters_.size(); }
    std::size_t kernel_size() const { return k_; }
    bool relu() const { return relu_; }
    /// Feature stack shape C×(H−k+1)×(W−k+1) for an H×W image.
    Shape<3> feature_shape(const Shape<2>& s) const {
        if (s[0] < k_ || s[1] < k_)  // the message only on failure: callers run this per evaluation
            lucid::detail::fail_argument("lucid::learning::FilterBank", "x", lucid::detail::concat("at least ", k_, "x", k_),
                                         shape_string(s));
        return {channels(), s[0] - k_ + 1, s[1] - k_ + 1};
    }

    /// F = features of x (F has feature_shape(x.shape())).
    void forward(const Image<T>& x, ImageStack<T>& F) const {
        const auto fs = feature_shape({x.shape()[0], x.shape()[1]});
        require_shape("lucid::learning::FilterBank::forward", "F", F.shape(), fs);
        const std::size_t h = fs[1], w = fs[2], W = x.shape()[1];
        for (std::size_t c = 0; c < channels(); ++c) {
            const T* hc = filters_[c].data();
            T* out = F.data() + c * h * w;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    T s = 0;
                    for (std::size_t u = 0; u < k_; ++u)
                        for (std::size_t v = 0; v < k_; ++v) s += hc[u * k_ + v] * x.data()[(i + u) * W + j + v];
                    out[i * w + j] = relu_ && s < T(0) ? T(0) : s;
                }
        }
    }

    /// dx = J_F(x)ᵀ G (vector–Jacobian product; the ReLU mask is taken at x).
    void backward(const Image<T>& x, const ImageStack<T>& G, Image<T>& dx) const {
        const auto fs = feature_shape({x.shape()[0], x.shape()[1]});
        require_shape("lucid::learning::FilterBank::backward", "G", G.shape(), fs);
        require_shape("lucid::learning::FilterBank::backward", "dx", dx.shape(), x.shape());
        const std::size_t h = fs[1], w = fs[2], W = x.shape()[1];
        std::fill(dx.begin(), dx.end(), T(0));
        for (std::size_t c = 0; c < channels(); ++c) {
            const T* hc = filters_[c].data();
            const T* g = G.data() + c * h * w;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    T gij = g[i * w + j];
                    if (relu_) {
                        T s = 0;
                        for (std::size_t u = 0; u < k_; ++u)
                            for (std::size_t v = 0; v < k_; ++v) s += hc[u * k_ + v] * x.data()[(i + u) * W + j + v];
                        if (s <= T(0)) gij = T(0);
                    }
                    if (gij == T(0)) continue;
                    for (std::size_t u = 0; u < k_; ++u)
                        for (std::size_t v = 0; v < k_; ++v) dx.data()[(i + u) * W + j + v] += hc[u * k_ + v] * gij;
                }
        }
    }

private:
    std::vector<Image<T>> filters_;
    bool relu_ = false;
    std::size_t k_ = 1;
};

}  // namespace lucid::learning
