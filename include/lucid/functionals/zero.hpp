#pragma once
/// \file zero.hpp
/// The zero functional f(x) = 0: a placeholder term for splitting solvers.

#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// f(x) = 0 on any lucid::Vector of scalar T. Gradient 0 (Lipschitz 0), prox
/// the identity. Use it where a solver asks for a term the model does not
/// have, e.g. `admm(Zero<T>(), g, K, x0)` for min g(Kx) (Almeida & Figueiredo's
/// unknown-boundary deconvolution puts the whole model in g).
template <class T>
class Zero {
public:
    using scalar_type = T;

    T lipschitz() const { return T(0); }

    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V&) const { return T(0); }

    /// g = 0.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void gradient(const V&, V& g) const { set_zero(g); }

    /// out = v.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::Zero::prox", tau);
        if (&v != &out) copy(v, out);
    }
};

/// True for lucid::Zero.
template <class F>
inline constexpr bool is_zero_functional_v = false;
template <class T>
inline constexpr bool is_zero_functional_v<Zero<T>> = true;

}  // namespace lucid
