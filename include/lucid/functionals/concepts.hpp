#pragma once
/// \file concepts.hpp
/// The contracts of functionals f: X → ℝ ∪ {+∞} that solvers minimize.
///
/// - `Functional<F, V>`: `scalar_type`, `value(x)`.
/// - `Differentiable<F, V>`: adds `gradient(x, g)` (g = ∇f(x) into a caller
///   buffer). A Lipschitz constant of ∇f is optional: a functional that knows
///   one provides `lipschitz()` returning `T` or `std::optional<T>`; solvers
///   ask `lucid::lipschitz_constant(f)`, which is `std::nullopt` when unknown.
/// - `Proximable<F, V>`: adds `prox(v, tau, out)`:
///   \f$ \mathrm{prox}_{\tau f}(v) = \arg\min_p f(p) + \tfrac{1}{2\tau}\|p - v\|^2 \f$
///   written into `out` (`out` may alias `v`), without allocating after the
///   first call.
/// - `Indicator<F, V>`: the indicator ι_C of a closed convex set C (0 on C,
///   +∞ off it), with `project(v, out)` = Π_C(v); its prox is that projection
///   for every τ. Provided: `Box`, `NonNegative`, `Simplex` (blur kernels),
///   `L2Ball`, `LInfBall`.
///
/// Functionals are plain value types; solvers take them by value. Like
/// operators, one object holds mutable scratch and warm-start state, so it is
/// not for concurrent use from two threads (copy it instead).

#include <concepts>
#include <limits>
#include <optional>
#include <type_traits>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid {

/// f(x): a scalar type and a value on vectors of type V.
template <class F, class V>
concept Functional = Vector<V> && std::floating_point<typename std::remove_cvref_t<F>::scalar_type> &&
                     requires(const std::remove_cvref_t<F>& f, const V& x) {
                         { f.value(x) } -> std::convertible_to<typename std::remove_cvref_t<F>::scalar_type>;
                     };

/// f with a gradient: `gradient(x, g)` writes ∇f(x) into g (same shape as x).
template <class F, class V>
concept Differentiable = Functional<F, V> && requires(const std::remove_cvref_t<F>& f, const V& x, V& g) {
    f.gradient(x, g);
};

/// f with a proximal operator: `prox(v, tau, out)` writes
/// argmin_p f(p) + ‖p − v‖²/(2τ) into out (τ > 0; out may alias v).
template <class F, class V>
concept Proximable = Functional<F, V> &&
                     requires(const std::remove_cvref_t<F>& f, const V& v, typename std::remove_cvref_t<F>::scalar_type tau,
                              V& out) { f.prox(v, tau, out); };

/// The indicator ι_C of a closed convex set C: value 0 on C and +∞ off it,
/// `project(v, out)` writes the Euclidean projection
/// \f$ \Pi_C(v) = \arg\min_{p \in C} \|p - v\| \f$ into out, and
/// prox_{τι_C} = Π_C for every τ > 0. Projected-gradient and splitting
/// methods use `project` directly.
template <class F, class V>
concept Indicator = Proximable<F, V> && requires(const std::remove_cvref_t<F>& f, const V& v, V& out) {
    f.project(v, out);
};

/// Functionals that know the prox of their convex conjugate directly:
/// `g.prox_conjugate(v, sigma, out)` = prox_{σg*}(v) (PDHG's dual step; without
/// it `lucid::prox_conjugate` falls back to Moreau's identity).
template <class G, class W>
concept HasConjugateProx = requires(const std::remove_cvref_t<G>& g, const W& v,
                                    typename std::remove_cvref_t<G>::scalar_type s, W& out) {
    g.prox_conjugate(v, s, out);
};

/// Functionals that report a Lipschitz constant of their gradient (maybe nullopt).
template <class F>
concept HasLipschitz = requires(const std::remove_cvref_t<F>& f) {
    { f.lipschitz() };
};

/// The scalar type of a functional.
template <class F>
using functional_scalar_t = typename std::remove_cvref_t<F>::scalar_type;

/// A Lipschitz constant L of ∇f (‖∇f(x) − ∇f(y)‖ ≤ L‖x − y‖) if f knows one,
/// otherwise `std::nullopt`. Solvers use it for the step 1/L and fall back to
/// backtracking when it is unknown.
template <class F>
std::optional<functional_scalar_t<F>> lipschitz_constant(const F& f) {
    using T = functional_scalar_t<F>;
    if constexpr (HasLipschitz<F>) {
        using R = std::remove_cvref_t<decltype(f.lipschitz())>;
        if constexpr (std::is_same_v<R, std::optional<T>>) return f.lipschitz();
        else return T(f.lipschitz());
    } else {
        return std::nullopt;
    }
}

namespace detail {

/// Validates a prox step: finite and > 0.
template <class T>
void require_tau(std::string_view where, T tau) {
    require(std::isfinite(tau) && tau > T(0), where, "tau", "finite and > 0", tau);
}

/// +∞ in T (the value of an indicator outside its set).
template <class T>
constexpr T infinity() { return std::numeric_limits<T>::infinity(); }

/// Calls f(in_span, out_span) on each leaf of two vectors of the same structure.
template <class V, class Fn>
void elementwise(const V& in, V& out, const char* where, Fn&& fn) {
    for_each_leaf([&](auto a, auto b) {
        if (a.size() != b.size())
            fail_argument<ShapeError>(where, "out", concat("of the same size as v (", a.size(), " elements)"),
                                      concat(b.size(), " elements"));
        fn(a.data(), b.data(), std::ptrdiff_t(a.size()));
    }, in, out);
}

/// Sums g(p, n) over the leaves of v (in double).
template <class V, class G>
double reduce_leaves(const V& v, G&& g) {
    double total = 0;
    for_each_leaf([&](auto a) { total += g(a.data(), std::ptrdiff_t(a.size())); }, v);
    return total;
}

}  // namespace detail
}  // namespace lucid
