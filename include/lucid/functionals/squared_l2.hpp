#pragma once
/// \file squared_l2.hpp
/// ½λ‖x‖² or ½λ‖x − x₀‖² on any vector, with gradient and exact prox.

#include <type_traits>
#include <variant>

#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// \f$ f(x) = \tfrac{\lambda}{2}\|x - x_0\|_2^2 \f$ (Tikhonov 1963; x₀ = 0
/// when C = void). Gradient λ(x − x₀), Lipschitz λ, prox
/// \f$ \mathrm{prox}_{\tau f}(v) = (v + \tau\lambda x_0)/(1 + \tau\lambda) \f$.
/// Without a centre it works on any lucid::Vector of scalar T; with a centre
/// on vectors of the centre's type. Through an operator: see Tikhonov.
/// ```cpp
/// lucid::SquaredL2<double> f(0.1);        // ½·0.1·‖x‖²
/// lucid::SquaredL2 g(0.1, x0);            // ½·0.1·‖x − x0‖²
/// ```
template <class T, class C = void>
class SquaredL2 {
    static constexpr bool centred = !std::is_void_v<C>;
    using centre_arg = std::conditional_t<centred, C, std::monostate>;

public:
    using scalar_type = T;

    /// λ > 0.
    explicit SquaredL2(T lambda = T(1)) requires(!centred) : lambda_(lambda) { check(); }
    /// λ > 0 and a finite centre x₀.
    SquaredL2(T lambda, centre_arg centre) requires(centred) : lambda_(lambda), c_(std::move(centre)) {
        check();
        require(all_finite(c_), "lucid::SquaredL2", "centre", "finite everywhere", "a non-finite value");
    }

    T lambda() const { return lambda_; }
    T lipschitz() const { return lambda_; }
    /// The centre x₀ (only with C ≠ void).
    const auto& centre() const requires(centred) { return c_; }

    /// ½λ‖x − x₀‖².
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const {
        if constexpr (centred) return T(0.5) * lambda_ * T(std::pow(double(distance(x, c_)), 2));
        else return T(0.5) * lambda_ * squared_norm(x);
    }

    /// g = λ(x − x₀).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void gradient(const V& x, V& g) const {
        if constexpr (centred) lincomb(lambda_, x, -lambda_, c_, g);
        else lincomb(lambda_, x, T(0), x, g);
    }

    /// out = (v + τλx₀)/(1 + τλ) (out may alias v).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::SquaredL2::prox", tau);
        const T s = T(1) / (T(1) + tau * lambda_);
        if constexpr (centred) lincomb(s, v, s * tau * lambda_, c_, out);
        else lincomb(s, v, T(0), v, out);
    }

    /// prox of the conjugate f*(y) = ‖y‖²/(2λ) + ⟨y, x₀⟩:
    /// \f$ \mathrm{prox}_{\sigma f^*}(v) = \frac{\lambda}{\lambda + \sigma}(v - \sigma x_0) \f$
    /// (out may alias v). One pass, where Moreau's identity takes three.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox_conjugate(const V& v, T sigma, V& out) const {
        detail::require_tau("lucid::SquaredL2::prox_conjugate", sigma);
        const T s = lambda_ / (lambda_ + sigma);
        if constexpr (centred) lincomb(s, v, -s * sigma, c_, out);
        else lincomb(s, v, T(0), v, out);
    }

private:
    void check() const { require_positive("lucid::SquaredL2", "lambda", lambda_); }

    T lambda_;
    [[no_unique_address]] centre_arg c_{};
};

template <class T>
SquaredL2(T) -> SquaredL2<T>;
template <class T, class C>
SquaredL2(T, C) -> SquaredL2<T, C>;

}  // namespace lucid
