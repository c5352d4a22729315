#pragma once
/// \file simplex.hpp
/// Indicator of the simplex {k ≥ 0, Σk = z} (blur kernels) and its exact projection.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "lucid/functionals/box.hpp"
#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// ι_Δ(x) for Δ = {x : xᵢ ≥ 0, Σᵢ xᵢ = z}, over all elements of x (a blur
/// kernel with z = 1). Prox = Euclidean projection, exact, by sorting
/// (Held, Wolfe & Crowder 1974; Duchi et al. 2008, Fig. 1; reviewed by Condat 2016):
/// with u = v sorted decreasingly,
/// \f$ \rho = \max\{j : u_j - (\sum_{i\le j} u_i - z)/j > 0\} \f$,
/// \f$ \theta = (\sum_{i\le\rho} u_i - z)/\rho \f$, \f$ P(v)_i = \max(v_i - \theta, 0) \f$.
/// O(n log n); the sort buffer is allocated on first use and reused. A v with
/// a NaN or +inf has no projection: the result is NaN everywhere (for a solver to detect).
template <class T>
class Simplex {
public:
    using scalar_type = T;

    /// z > 0 (the sum); tolerance ≥ 0 is the relative slack `value` allows.
    explicit Simplex(T radius = T(1), T tolerance = detail::default_set_tolerance<T>()) : z_(radius), tol_(tolerance) {
        require_positive("lucid::Simplex", "radius", radius);
        require_nonnegative("lucid::Simplex", "tolerance", tolerance);
    }

    T radius() const { return z_; }

    /// 0 if x ≥ −tol·z and |Σx − z| ≤ tol·z·max(1, √n), +∞ otherwise.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const {
        double s = 0;
        bool nonneg = true;
        const T slack = tol_ * z_;
        detail::for_each_leaf([&](auto a) {
            for (auto e : a) {
                s += double(e);
                nonneg = nonneg && e >= -slack;
            }
        }, x);
        const double n = double(element_count(x));
        const bool sum_ok = std::abs(s - double(z_)) <= double(slack) * std::max(1.0, std::sqrt(n));
        return nonneg && sum_ok ? T(0) : detail::infinity<T>();
    }

    /// out = P_Δ(v) (independent of τ; out may alias v).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::Simplex::prox", tau);
        project(v, out);
    }

    /// Euclidean projection onto Δ (see class comment).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void project(const V& v, V& out) const {
        const std::size_t n = element_count(v);
        require(n > 0, "lucid::Simplex::project", "v", "a non-empty vector", "an empty vector");
        if (element_count(out) != n)
            detail::fail_argument<ShapeError>("lucid::Simplex::project", "out",
                                              detail::concat("of the same size as v (", n, " elements)"),
                                              detail::concat(element_count(out), " elements"));
        if (sorted_.size() != n) sorted_.resize(n);
        std::size_t k = 0;
        bool has_nan = false;
        detail::for_each_leaf([&](auto a) {
            for (auto e : a) {
                has_nan |= std::isnan(e) || e == std::numeric_limits<T>::infinity();
                sorted_[k++] = e;
            }
        }, v);
        // NaN or +inf: no projection exists; and std::sort with NaN is undefined behaviour
        if (has_nan) {
            detail::elementwise(v, out, "lucid::Simplex::project", [](const T*, T* b, std::ptrdiff_t m) {
                std::fill(b, b + m, std::numeric_limits<T>::quiet_NaN());
            });
            return;
        }
        std::sort(sorted_.begin(), sorted_.end(), std::greater<T>());
        // The projection commutes with shifts by c·1 (⟨x, 1⟩ = z on Δ): work with
        // u − max u, so that entries far larger than z do not swamp z in the sums.
        const double top = double(sorted_[0]);
        double cumsum = 0, theta = -double(z_);  // j = 0 always qualifies (u₀ − θ₀ = z > 0)
        for (std::size_t j = 0; j < n; ++j) {
            const double u = double(sorted_[j]) - top;
            cumsum += u;
            const double t = (cumsum - double(z_)) / double(j + 1);
            if (u - t > 0) theta = t;  // ρ = the last j where this holds
        }
        detail::elementwise(v, out, "lucid::Simplex::project", [top, theta](const T* a, T* b, std::ptrdiff_t m) {
            for (std::ptrdiff_t i = 0; i < m; ++i) b[i] = T(std::max(double(a[i]) - top - theta, 0.0));
        });
    }

private:
    T z_, tol_;
    mutable std::vector<T> sorted_;
};

}  // namespace lucid
