#pragma once
/// \file projected_distribution_loss.hpp
/// The Projected Distribution Loss (Delbracio, Talebi & Milanfar, ICCP 2021).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/learning/filter_bank.hpp"
#include "lucid/learning/wasserstein.hpp"

namespace lucid::learning {

/// Projected Distribution Loss (Delbracio, Talebi & Milanfar 2021):
/// \f$ \mathrm{PDL}(x, t) = \frac1C \sum_{c=1}^{C} W_p^p\big(F_c(x), F_c(t)\big) \f$,
/// the 1-D Wasserstein distance between the empirical distributions of
/// each feature channel of the output x and the target t (pixels, a fixed
/// filter bank, or CNN features), computed by sorting. It compares
/// distributions, not pixels: it is invariant to any permutation of the
/// values within a feature channel, and penalizes missing texture / edge
/// energy that an L2 loss averages away.
///
/// `value_and_gradient` gives ∇ₓPDL = J_Fᵀ G with G the sorted-coupling
/// gradient of each channel. Workspaces are sized on the first call for a
/// shape and reused (no allocation afterwards for that shape).
template <class T>
class ProjectedDistributionLoss {
public:
    using scalar_type = T;

    explicit ProjectedDistributionLoss(FilterBank<T> features = FilterBank<T>::gradients_and_haar(), int p = 1)
        : features_(std::move(features)), p_(p) {
        require(p == 1 || p == 2, "lucid::learning::ProjectedDistributionLoss", "p", "1 or 2", p);
    }

    const FilterBank<T>& features() const { return features_; }

    /// PDL(x, t).
    T value(const Image<T>& x, const Image<T>& target) const { return evaluate(x, target, nullptr); }

    /// PDL(x, t), and ∇ₓPDL into grad (shape of x).
    T value_and_gradient(const Image<T>& x, const Image<T>& target, Image<T>& grad) const {
        require_shape("lucid::learning::ProjectedDistributionLoss", "grad", grad.shape(), x.shape());
        return evaluate(x, target, &grad);
    }

private:
    T evaluate(const Image<T>& x, const Image<T>& target, Image<T>* grad) const {
        require_shape("lucid::learning::ProjectedDistributionLoss", "target", target.shape(), x.shape());
        const auto fs = features_.feature_shape({x.shape()[0], x.shape()[1]});
        if (fx_.shape() != fs) {
            fx_ = ImageStack<T>(fs);
            ft_ = ImageStack<T>(fs);
            g_ = ImageStack<T>(fs);
            oa_.resize(fs[1] * fs[2]);
            ob_.resize(fs[1] * fs[2]);
        }
        features_.forward(x, fx_);
        features_.forward(target, ft_);
        const std::size_t n = fs[1] * fs[2], C = fs[0];
        double total = 0;
        for (std::size_t c = 0; c < C; ++c) {
            std::span<const T> a(fx_.data() + c * n, n), b(ft_.data() + c * n, n);
            std::span<T> ga = grad ? std::span<T>(g_.data() + c * n, n) : std::span<T>();
            total += wasserstein_1d<T>(a, b, p_, ga, oa_, ob_);
        }
        if (grad) {
            for (auto& v : g_) v /= T(C);
            features_.backward(x, g_, *grad);
        }
        return T(total / double(C));
    }

    FilterBank<T> features_;
    int p_;
    mutable ImageStack<T> fx_, ft_, g_;
    mutable std::vector<std::size_t> oa_, ob_;
};

}  // namespace lucid::learning
