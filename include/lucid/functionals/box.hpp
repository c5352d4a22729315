#pragma once
/// \file box.hpp
/// Indicators of boxes [a, b]ⁿ and of the non-negative orthant.

#include <algorithm>
#include <cmath>
#include <limits>

#include "lucid/functionals/concepts.hpp"

namespace lucid {

namespace detail {
template <class T>
T default_set_tolerance() { return std::sqrt(std::numeric_limits<T>::epsilon()); }
}  // namespace detail

/// ι_[a,b](x) = 0 if a ≤ xᵢ ≤ b for all i, +∞ otherwise (a may be −∞, b +∞).
/// Prox = projection: \f$ \mathrm{prox}_{\tau\iota}(v)_i = \min(\max(v_i, a), b) \f$ for every τ.
/// `value` accepts a slack of `tolerance`·max(1, |a|, |b|) for round-off.
template <class T>
class Box {
public:
    using scalar_type = T;

    /// lower ≤ upper, neither NaN; tolerance ≥ 0.
    Box(T lower, T upper, T tolerance = detail::default_set_tolerance<T>()) : lo_(lower), hi_(upper), tol_(tolerance) {
        require(!std::isnan(lower) && lower < std::numeric_limits<T>::infinity(), "lucid::Box", "lower",
                "a number < +inf", lower);
        require(!std::isnan(upper) && upper > -std::numeric_limits<T>::infinity(), "lucid::Box", "upper",
                "a number > -inf", upper);
        require(lower <= upper, "lucid::Box", "upper", detail::concat(">= lower (", lower, ")"), upper);
        require_nonnegative("lucid::Box", "tolerance", tolerance);
    }

    T lower() const { return lo_; }
    T upper() const { return hi_; }

    /// 0 inside the box (with slack), +∞ outside.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const {
        T scale_ = T(1);
        if (std::isfinite(lo_)) scale_ = std::max(scale_, std::abs(lo_));
        if (std::isfinite(hi_)) scale_ = std::max(scale_, std::abs(hi_));
        const T slack = tol_ * scale_;
        bool inside = true;
        detail::for_each_leaf([&](auto a) {
            for (auto e : a) inside = inside && e >= lo_ - slack && e <= hi_ + slack;
        }, x);
        return inside ? T(0) : detail::infinity<T>();
    }

    /// out = clip(v, a, b) (τ is irrelevant for an indicator).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::Box::prox", tau);
        project(v, out);
    }

    /// Euclidean projection onto the box.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void project(const V& v, V& out) const {
        const T lo = lo_, hi = hi_;
        detail::elementwise(v, out, "lucid::Box::project", [lo, hi](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = std::min(std::max(a[i], lo), hi);
        });
    }

private:
    T lo_, hi_, tol_;
};

/// ι_{x ≥ 0}: 0 if every xᵢ ≥ −tolerance, +∞ otherwise. Prox = max(v, 0).
template <class T>
class NonNegative {
public:
    using scalar_type = T;

    explicit NonNegative(T tolerance = detail::default_set_tolerance<T>()) : tol_(tolerance) {
        require_nonnegative("lucid::NonNegative", "tolerance", tolerance);
    }

    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const {
        bool inside = true;
        detail::for_each_leaf([&](auto a) { for (auto e : a) inside = inside && e >= -tol_; }, x);
        return inside ? T(0) : detail::infinity<T>();
    }

    /// out = max(v, 0).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::NonNegative::prox", tau);
        project(v, out);
    }

    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void project(const V& v, V& out) const {
        detail::elementwise(v, out, "lucid::NonNegative::project", [](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = std::max(a[i], T(0));
        });
    }

private:
    T tol_;
};

}  // namespace lucid
