#pragma once
/// \file l2_ball.hpp
/// Indicator of the Euclidean ball {x : ‖x‖₂ ≤ r}.

#include <cmath>

#include "lucid/functionals/box.hpp"
#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// ι_{‖x‖₂ ≤ r}. Prox = projection \f$ P(v) = v \min(1, r/\|v\|_2) \f$.
/// For a ball around c, use `lucid::translate(L2Ball<T>(r), c)`; for the
/// constraint ‖Ax − y‖ ≤ ε (Morozov), project Ax in a splitting solver.
template <class T>
class L2Ball {
public:
    using scalar_type = T;

    /// r > 0; tolerance ≥ 0 is the relative slack `value` allows.
    explicit L2Ball(T radius = T(1), T tolerance = detail::default_set_tolerance<T>()) : r_(radius), tol_(tolerance) {
        require_positive("lucid::L2Ball", "radius", radius);
        require_nonnegative("lucid::L2Ball", "tolerance", tolerance);
    }

    T radius() const { return r_; }

    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const { return norm(x) <= r_ * (T(1) + tol_) ? T(0) : detail::infinity<T>(); }

    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::L2Ball::prox", tau);
        project(v, out);
    }

    /// out = v·min(1, r/‖v‖).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void project(const V& v, V& out) const {
        const T nv = norm(v);
        const T s = nv > r_ ? r_ / nv : T(1);
        detail::elementwise(v, out, "lucid::L2Ball::project", [s](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = s * a[i];
        });
    }

private:
    T r_, tol_;
};

}  // namespace lucid
