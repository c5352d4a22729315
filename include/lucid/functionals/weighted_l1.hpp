#pragma once
/// \file weighted_l1.hpp
/// Σᵢ wᵢ|xᵢ| with per-element weights, and its prox.

#include <cmath>

#include "lucid/core/vector_space.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/l1.hpp"

namespace lucid {

/// f(x) = Σᵢ wᵢ |xᵢ| with fixed weights wᵢ ≥ 0 (same type and shape as x).
///
/// Prox: \f$ \mathrm{prox}_{\tau f}(v)_i = \mathrm{sign}(v_i)\max(|v_i| - \tau w_i, 0) \f$.
/// A zero weight leaves that element unpenalized (e.g. a wavelet coarse band).
template <Vector V>
class WeightedL1 {
public:
    using scalar_type = scalar_t<V>;
    using vector_type = V;
    using T = scalar_type;

    /// weights: finite and ≥ 0 everywhere.
    explicit WeightedL1(V weights) : w_(std::move(weights)) {
        require(element_count(w_) > 0, "lucid::WeightedL1", "weights", "a non-empty vector", "an empty one");
        bool ok = true;
        detail::for_each_leaf([&](auto a) { for (auto x : a) ok = ok && std::isfinite(x) && x >= T(0); }, w_);
        require(ok, "lucid::WeightedL1", "weights", "finite and >= 0 everywhere", "a negative or non-finite weight");
    }

    const V& weights() const { return w_; }

    /// Σᵢ wᵢ|xᵢ|.
    T value(const V& x) const {
        double total = 0;
        detail::for_each_leaf([&](auto w, auto a) {
            if (w.size() != a.size())
                detail::fail_argument<ShapeError>("lucid::WeightedL1::value", "x",
                                                  detail::concat("of the weights' size (", w.size(), " elements)"),
                                                  detail::concat(a.size(), " elements"));
            for (std::size_t i = 0; i < a.size(); ++i) total += double(w[i]) * std::abs(double(a[i]));
        }, w_, x);
        return T(total);
    }

    /// out = soft(v, τw) elementwise (out may alias v).
    void prox(const V& v, T tau, V& out) const {
        constexpr const char* where = "lucid::WeightedL1::prox";
        detail::require_tau(where, tau);
        detail::for_each_leaf([&](auto w, auto a, auto b) {
            if (w.size() != a.size() || w.size() != b.size())
                detail::fail_argument<ShapeError>(where, "v", detail::concat("of the weights' size (", w.size(), " elements)"),
                                                  detail::concat(a.size(), " elements"));
            const T* pw = w.data();
            const T* pa = a.data();
            T* pb = b.data();
            for (std::size_t i = 0; i < a.size(); ++i) pb[i] = detail::soft_threshold(pa[i], tau * pw[i]);
        }, w_, v, out);
    }

private:
    V w_;
};

}  // namespace lucid
