#pragma once
/// \file algebra.hpp
/// Combinators of functionals: sums f + g (the terms stay visible so solvers
/// can split smooth and proximable parts), scalings α·f, translations
/// f(· − c), separable sums over product (tuple) variables, and the Moreau
/// envelope. Each result is again a functional with whatever value /
/// gradient / prox / lipschitz its parts make exact.

#include <cmath>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/scratch.hpp"
#include "lucid/functionals/squared_l2.hpp"

namespace lucid {

/// Types the functional algebra (+, *) applies to: anything with a floating
/// `scalar_type` that is neither a LinearOperator nor a Vector.
template <class F>
concept FunctionalLike = requires { typename std::remove_cvref_t<F>::scalar_type; } &&
                         std::floating_point<typename std::remove_cvref_t<F>::scalar_type> &&
                         !LinearOperator<std::remove_cvref_t<F>> && !Vector<std::remove_cvref_t<F>>;

// ---------------------------------------------------------------------------

/// \f$ (f_1 + \dots + f_n)(x) = \sum_i f_i(x) \f$. Value always; gradient (and a
/// Lipschitz constant \f$\sum_i L_i\f$ when all are known) if every term is
/// differentiable. A sum has no general prox (except g + SquaredL2, below):
/// solvers split it, reading the terms with `term<I>()` (e.g. FISTA takes the differentiable part as f and
/// the proximable one as g). `f + g + h` flattens to one FunctionalSum.
namespace detail {
template <class F>
struct is_squared_l2 : std::false_type {};
template <class T, class C>
struct is_squared_l2<SquaredL2<T, C>> : std::true_type {};
}  // namespace detail

template <class... Fs>
class FunctionalSum {
    static_assert(sizeof...(Fs) >= 1);
    static constexpr bool g_plus_quadratic =
        sizeof...(Fs) == 2 && detail::is_squared_l2<std::tuple_element_t<1, std::tuple<Fs..., void>>>::value;

public:
    using scalar_type = typename std::tuple_element_t<0, std::tuple<Fs...>>::scalar_type;
    using T = scalar_type;
    static_assert((std::is_same_v<typename Fs::scalar_type, T> && ...), "terms need the same scalar type");
    static constexpr std::size_t size = sizeof...(Fs);

    explicit FunctionalSum(Fs... fs) : fs_(std::move(fs)...) {}

    const std::tuple<Fs...>& terms() const { return fs_; }
    template <std::size_t I>
    const auto& term() const { return std::get<I>(fs_); }

    /// Σᵢ fᵢ(x).
    template <Vector V>
        requires(Functional<Fs, V> && ...)
    T value(const V& x) const {
        return std::apply([&](const auto&... f) { return (T(0) + ... + T(f.value(x))); }, fs_);
    }

    /// g = Σᵢ ∇fᵢ(x) (one scratch vector, allocated on first use).
    template <Vector V>
        requires(Differentiable<Fs, V> && ...)
    void gradient(const V& x, V& g) const {
        V& tmp = scratch_.like(x);
        bool first = true;
        std::apply([&](const auto&... f) {
            ([&] {
                if (first) { f.gradient(x, g); first = false; }
                else { f.gradient(x, tmp); axpy(T(1), tmp, g); }
            }(), ...);
        }, fs_);
    }

    /// Σᵢ Lᵢ if every term knows its constant, nullopt otherwise.
    std::optional<T> lipschitz() const {
        std::optional<T> total = T(0);
        std::apply([&](const auto&... f) {
            ([&] {
                auto l = lipschitz_constant(f);
                if (total && l) *total += *l; else total.reset();
            }(), ...);
        }, fs_);
        return total;
    }

    /// The one case with an exact prox: g + ½λ‖· − c‖² (a SquaredL2 second term),
    /// \f$ \mathrm{prox}_{\tau(g + q)}(v) = \mathrm{prox}_{\tau' g}\big((v + \tau\lambda c)/(1 + \tau\lambda)\big) \f$,
    /// τ' = τ/(1 + τλ) (Parikh & Boyd 2014, "Proximal Algorithms", §2.2).
    template <Vector V>
        requires(g_plus_quadratic && Proximable<std::tuple_element_t<0, std::tuple<Fs...>>, V>)
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::FunctionalSum::prox", tau);
        const auto& q = std::get<1>(fs_);
        const T lam = q.lambda(), s = T(1) / (T(1) + tau * lam);
        V& w = scratch_.like(v);
        if constexpr (requires { q.centre(); }) lincomb(s, v, s * tau * lam, q.centre(), w);
        else lincomb(s, v, T(0), v, w);
        std::get<0>(fs_).prox(w, tau * s, out);
    }

private:
    std::tuple<Fs...> fs_;
    detail::ScratchVector scratch_;
};

template <class F>
struct is_functional_sum : std::false_type {};
template <class... Fs>
struct is_functional_sum<FunctionalSum<Fs...>> : std::true_type {};
/// True for FunctionalSum types (what `f + g` returns).
template <class F>
inline constexpr bool is_functional_sum_v = is_functional_sum<std::remove_cvref_t<F>>::value;

namespace detail {
template <class F>
auto as_terms(F f) {
    if constexpr (is_functional_sum_v<F>) return f.terms();
    else return std::tuple<F>(std::move(f));
}
}  // namespace detail

/// f + g (flattening nested sums).
template <FunctionalLike F, FunctionalLike G>
auto operator+(F f, G g) {
    auto all = std::tuple_cat(detail::as_terms(std::move(f)), detail::as_terms(std::move(g)));
    return std::apply([](auto... t) { return FunctionalSum<decltype(t)...>(std::move(t)...); }, std::move(all));
}

// ---------------------------------------------------------------------------

/// \f$ (\alpha f)(x) = \alpha f(x) \f$, α > 0: gradient α∇f, Lipschitz αL,
/// \f$ \mathrm{prox}_{\tau\alpha f} = \mathrm{prox}_{(\alpha\tau) f} \f$.
template <class F>
class ScaledFunctional {
public:
    using scalar_type = typename F::scalar_type;
    using T = scalar_type;

    /// α > 0.
    ScaledFunctional(T alpha, F f) : a_(alpha), f_(std::move(f)) {
        require_positive("lucid::ScaledFunctional", "alpha", alpha);
    }

    T factor() const { return a_; }
    const F& base() const { return f_; }

    template <Vector V>
        requires Functional<F, V>
    T value(const V& x) const { return a_ * T(f_.value(x)); }

    template <Vector V>
        requires Differentiable<F, V>
    void gradient(const V& x, V& g) const {
        f_.gradient(x, g);
        scale(a_, g);
    }

    std::optional<T> lipschitz() const {
        auto l = lipschitz_constant(f_);
        if (!l) return std::nullopt;
        return a_ * *l;
    }

    template <Vector V>
        requires Proximable<F, V>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::ScaledFunctional::prox", tau);
        f_.prox(v, a_ * tau, out);
    }

private:
    T a_;
    F f_;
};

namespace detail {
template <class F>
struct is_scaled_functional : std::false_type {};
template <class F>
struct is_scaled_functional<ScaledFunctional<F>> : std::true_type {};
}  // namespace detail

/// α·f (α·(β·f) collapses to (αβ)·f).
template <FunctionalLike F>
auto operator*(typename F::scalar_type alpha, F f) {
    if constexpr (detail::is_scaled_functional<F>::value) {
        require_positive("lucid::ScaledFunctional", "alpha", alpha);
        return F(alpha * f.factor(), f.base());
    } else {
        return ScaledFunctional<F>(alpha, std::move(f));
    }
}

// ---------------------------------------------------------------------------

/// \f$ g(x) = f(x - c) \f$: ∇g(x) = ∇f(x − c),
/// \f$ \mathrm{prox}_{\tau g}(v) = c + \mathrm{prox}_{\tau f}(v - c) \f$.
/// E.g. `translate(SquaredL2<T>(λ), x0)` or a ball around c.
template <class F, Vector C>
class TranslatedFunctional {
public:
    using scalar_type = typename F::scalar_type;
    using T = scalar_type;

    TranslatedFunctional(F f, C centre) : f_(std::move(f)), c_(std::move(centre)) {
        require(all_finite(c_), "lucid::translate", "centre", "finite everywhere", "a non-finite value");
    }

    const F& base() const { return f_; }
    const C& centre() const { return c_; }

    T value(const C& x) const requires Functional<F, C> { return T(f_.value(shifted(x))); }

    void gradient(const C& x, C& g) const requires Differentiable<F, C> { f_.gradient(shifted(x), g); }

    std::optional<T> lipschitz() const { return lipschitz_constant(f_); }

    void prox(const C& v, T tau, C& out) const requires Proximable<F, C> {
        detail::require_tau("lucid::TranslatedFunctional::prox", tau);
        const C& d = shifted(v);
        f_.prox(d, tau, out);
        axpy(T(1), c_, out);
    }

private:
    const C& shifted(const C& x) const {
        C& d = scratch_.like(x);
        lincomb(T(1), x, T(-1), c_, d);
        return d;
    }

    F f_;
    C c_;
    detail::ScratchVector scratch_;
};

/// f(· − c).
template <FunctionalLike F, Vector C>
auto translate(F f, C centre) { return TranslatedFunctional<F, C>(std::move(f), std::move(centre)); }

// ---------------------------------------------------------------------------

/// \f$ F(x_1, \dots, x_n) = \sum_i f_i(x_i) \f$ on product vectors std::tuple<V₁, …, Vₙ>:
/// everything acts blockwise, \f$ \mathrm{prox}_{\tau F}(v) = (\mathrm{prox}_{\tau f_i}(v_i))_i \f$.
/// (The g of PDHG/ADMM for a stacked operator: e.g. data term on Ax, TV-like term on Dx.)
template <class... Fs>
class SeparableSum {
public:
    using scalar_type = typename std::tuple_element_t<0, std::tuple<Fs...>>::scalar_type;
    using T = scalar_type;

    explicit SeparableSum(Fs... fs) : fs_(std::move(fs)...) {}

    template <std::size_t I>
    const auto& term() const { return std::get<I>(fs_); }

    template <class... Vs>
        requires(sizeof...(Vs) == sizeof...(Fs) && (Functional<Fs, Vs> && ...))
    T value(const std::tuple<Vs...>& x) const {
        return each([&](const auto& f, const auto& xi) { return T(f.value(xi)); }, x);
    }

    template <class... Vs>
        requires(sizeof...(Vs) == sizeof...(Fs) && (Differentiable<Fs, Vs> && ...))
    void gradient(const std::tuple<Vs...>& x, std::tuple<Vs...>& g) const {
        blockwise([](const auto& f, const auto& xi, auto& gi) { f.gradient(xi, gi); }, x, g);
    }

    /// maxᵢ Lᵢ (the blocks are decoupled) if all are known.
    std::optional<T> lipschitz() const {
        std::optional<T> m = T(0);
        std::apply([&](const auto&... f) {
            ([&] {
                auto l = lipschitz_constant(f);
                if (m && l) m = std::max(*m, *l); else m.reset();
            }(), ...);
        }, fs_);
        return m;
    }

    template <class... Vs>
        requires(sizeof...(Vs) == sizeof...(Fs) && (Proximable<Fs, Vs> && ...))
    void prox(const std::tuple<Vs...>& v, T tau, std::tuple<Vs...>& out) const {
        detail::require_tau("lucid::SeparableSum::prox", tau);
        blockwise([tau](const auto& f, const auto& vi, auto& oi) { f.prox(vi, tau, oi); }, v, out);
    }

    /// \f$ \mathrm{prox}_{\sigma F^*}(v) = (\mathrm{prox}_{\sigma f_i^*}(v_i))_i \f$ — the conjugate
    /// of a separable sum is the separable sum of the conjugates — when every term
    /// has its own `prox_conjugate` (PDHG then skips Moreau's three passes).
    template <class... Vs>
        requires(sizeof...(Vs) == sizeof...(Fs) && (HasConjugateProx<Fs, Vs> && ...))
    void prox_conjugate(const std::tuple<Vs...>& v, T sigma, std::tuple<Vs...>& out) const {
        detail::require_tau("lucid::SeparableSum::prox_conjugate", sigma);
        blockwise([sigma](const auto& f, const auto& vi, auto& oi) { f.prox_conjugate(vi, sigma, oi); }, v, out);
    }

private:
    /// fn(f_i, in_i, out_i) for every term i, in order.
    template <class Fn, class In, class Out>
    void blockwise(Fn&& fn, const In& in, Out& out) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (fn(std::get<I>(fs_), std::get<I>(in), std::get<I>(out)), ...);
        }(std::index_sequence_for<Fs...>{});
    }

    template <class Fn, class X>
    T each(Fn&& fn, const X& x) const {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (T(0) + ... + fn(std::get<I>(fs_), std::get<I>(x)));
        }(std::index_sequence_for<Fs...>{});
    }

    std::tuple<Fs...> fs_;
};

/// Σᵢ fᵢ(xᵢ) on tuples.
template <FunctionalLike... Fs>
auto separable_sum(Fs... fs) { return SeparableSum<Fs...>(std::move(fs)...); }

// ---------------------------------------------------------------------------

/// The Moreau envelope (Moreau 1965)
/// \f$ M_{\mu f}(x) = \min_p f(p) + \tfrac{1}{2\mu}\|p - x\|^2 \f$ of a proximable f:
/// value \f$ f(p^*) + \|p^* - x\|^2/(2\mu) \f$ with \f$ p^* = \mathrm{prox}_{\mu f}(x) \f$, gradient
/// \f$ (x - p^*)/\mu \f$ (Lipschitz 1/μ), and
/// \f$ \mathrm{prox}_{\tau M_{\mu f}}(v) = v + \tfrac{\tau}{\mu + \tau}(\mathrm{prox}_{(\mu+\tau) f}(v) - v) \f$
/// (the envelope is the infimal convolution f □ ‖·‖²/(2μ); see Bauschke & Combettes,
/// "Convex Analysis and Monotone Operator Theory", 2nd ed. 2017, ch. 12 and 24).
/// Each call costs one prox of f; the formula is checked by tests against Huber.
/// The envelope of λ‖·‖₁ is the Huber function; of an indicator, half the squared distance / μ.
template <class F>
class MoreauEnvelope {
public:
    using scalar_type = typename F::scalar_type;
    using T = scalar_type;

    /// μ > 0.
    MoreauEnvelope(F f, T mu) : f_(std::move(f)), mu_(mu) { require_positive("lucid::MoreauEnvelope", "mu", mu); }

    const F& base() const { return f_; }
    T mu() const { return mu_; }
    T lipschitz() const { return T(1) / mu_; }

    template <Vector V>
        requires Proximable<F, V>
    T value(const V& x) const {
        V& p = scratch_.like(x);
        f_.prox(x, mu_, p);
        const T d = distance(p, x);
        return T(f_.value(p)) + d * d / (T(2) * mu_);
    }

    template <Vector V>
        requires Proximable<F, V>
    void gradient(const V& x, V& g) const {
        V& p = scratch_.like(x);
        f_.prox(x, mu_, p);
        lincomb(T(1) / mu_, x, -T(1) / mu_, p, g);
    }

    template <Vector V>
        requires Proximable<F, V>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::MoreauEnvelope::prox", tau);
        V& p = scratch_.like(v);
        f_.prox(v, mu_ + tau, p);
        const T a = tau / (mu_ + tau);
        lincomb(a, p, T(1) - a, v, out);
    }

private:
    F f_;
    T mu_;
    detail::ScratchVector scratch_;
};

/// The Moreau envelope of f with parameter μ.
template <FunctionalLike F>
auto moreau_envelope(F f, typename F::scalar_type mu) { return MoreauEnvelope<F>(std::move(f), mu); }

}  // namespace lucid
