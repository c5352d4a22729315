#pragma once
/// \file elastic_net.hpp
/// λ₁‖x‖₁ + ½λ₂‖x‖² (Zou & Hastie 2005) and its prox.

#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/l1.hpp"

namespace lucid {

/// f(x) = λ₁‖x‖₁ + ½λ₂‖x‖₂² on any lucid::Vector with scalar T.
///
/// Prox (soft thresholding followed by shrinkage):
/// \f$ \mathrm{prox}_{\tau f}(v)_i = \mathrm{soft}(v_i, \tau\lambda_1) / (1 + \tau\lambda_2) \f$.
template <class T>
class ElasticNet {
public:
    using scalar_type = T;

    /// λ₁ > 0, λ₂ > 0.
    ElasticNet(T lambda1, T lambda2) : l1_(lambda1), l2_(lambda2) {
        require_positive("lucid::ElasticNet", "lambda1", lambda1);
        require_positive("lucid::ElasticNet", "lambda2", lambda2);
    }

    T lambda1() const { return l1_; }
    T lambda2() const { return l2_; }

    /// λ₁‖x‖₁ + ½λ₂‖x‖².
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const { return l1_ * norm1(x) + T(0.5) * l2_ * squared_norm(x); }

    /// out = soft(v, τλ₁)/(1 + τλ₂).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::ElasticNet::prox", tau);
        const T t = tau * l1_, s = T(1) / (T(1) + tau * l2_);
        detail::elementwise(v, out, "lucid::ElasticNet::prox", [t, s](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = s * detail::soft_threshold(a[i], t);
        });
    }

private:
    T l1_, l2_;
};

}  // namespace lucid
