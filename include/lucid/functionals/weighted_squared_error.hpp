#pragma once
/// \file weighted_squared_error.hpp
/// ½ Σ wᵢ (xᵢ − yᵢ)²: a data term seen through per-pixel weights (a 0/1 mask
/// keeps only the observed or valid pixels), with a closed-form prox.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// \f$ f(x) = \tfrac12 \sum_i w_i (x_i - y_i)^2 \f$ with wᵢ ≥ 0 (= ½‖M(x − y)‖² for
/// a 0/1 mask M = diag(w)). Gradient w ⊙ (x − y), Lipschitz maxᵢ wᵢ, prox
/// \f[ \mathrm{prox}_{\tau f}(v)_i = \frac{v_i + \tau w_i y_i}{1 + \tau w_i}. \f]
/// The data term of Almeida & Figueiredo's unknown-boundary deconvolution
/// (2013): y zero-padded to the full image, w = 1 on the valid pixels.
template <Vector V>
class WeightedSquaredError {
public:
    using scalar_type = scalar_t<V>;
    using T = scalar_type;

    /// weights ≥ 0 and data y (same shape, finite).
    WeightedSquaredError(V weights, V y) : w_(std::move(weights)), y_(std::move(y)) {
        constexpr const char* where = "lucid::WeightedSquaredError";
        require(shape_of(w_) == shape_of(y_), where, "y", "of the shape of the weights", element_count(y_));
        bool ok = true;
        detail::for_each_leaf([&](auto a) { for (auto x : a) ok = ok && std::isfinite(x) && x >= T(0); }, w_);
        require(ok, where, "weights", "finite and >= 0 everywhere", "a negative or non-finite weight");
        require(all_finite(y_), where, "y", "finite everywhere", "a non-finite value");
        lip_ = norm_inf(w_);
    }

    const V& weights() const { return w_; }
    const V& data() const { return y_; }
    T lipschitz() const { return lip_; }

    T value(const V& x) const {
        double total = 0;
        detail::for_each_leaf([&](auto w, auto y, auto a) {
            if (a.size() != w.size())
                detail::fail_argument<ShapeError>("lucid::WeightedSquaredError::value", "x", "of the weights' shape",
                                                  a.size());
            for (std::size_t i = 0; i < a.size(); ++i) {
                const double d = double(a[i]) - double(y[i]);
                total += double(w[i]) * d * d;
            }
        }, w_, y_, x);
        return T(0.5 * total);
    }

    void gradient(const V& x, V& g) const {
        detail::for_each_leaf([&](auto w, auto y, auto a, auto b) {
            if (a.size() != w.size() || b.size() != w.size())
                detail::fail_argument<ShapeError>("lucid::WeightedSquaredError::gradient",
                                                  a.size() != w.size() ? "x" : "g", "of the weights' shape",
                                                  a.size() != w.size() ? a.size() : b.size());
            for (std::size_t i = 0; i < a.size(); ++i) b[i] = w[i] * (a[i] - y[i]);
        }, w_, y_, x, g);
    }

    /// out = (v + τ w y)/(1 + τ w) (out may alias v).
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::WeightedSquaredError::prox", tau);
        detail::for_each_leaf([&](auto w, auto y, auto a, auto b) {
            if (a.size() != w.size() || b.size() != w.size())
                detail::fail_argument<ShapeError>("lucid::WeightedSquaredError::prox", "v", "of the weights' shape",
                                                  a.size());
            for (std::size_t i = 0; i < a.size(); ++i) b[i] = (a[i] + tau * w[i] * y[i]) / (T(1) + tau * w[i]);
        }, w_, y_, v, out);
    }

private:
    V w_, y_;
    T lip_ = 0;
};

}  // namespace lucid
