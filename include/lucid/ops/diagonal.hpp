#pragma once
/// \file diagonal.hpp
/// Pointwise multiplication by fixed weights (masks, per-pixel gains).

#include "lucid/core/linear_operator.hpp"

namespace lucid::ops {

/// (D x)ᵢ = wᵢ xᵢ; self-adjoint. A 0/1 weight is an inpainting mask.
template <Vector V>
class Diagonal : public OperatorBase<Diagonal<V>> {
public:
    using scalar_type = scalar_t<V>;
    using domain_type = V;
    using range_type = V;

    explicit Diagonal(V weights) : w_(std::move(weights)) {
        require(all_finite(w_), "lucid::ops::Diagonal", "weights", "finite everywhere", "a non-finite weight");
    }

    shape_t<V> domain_shape() const { return shape_of(w_); }
    shape_t<V> range_shape() const { return shape_of(w_); }
    const V& weights() const { return w_; }

    void apply(const V& x, V& y) const {
        if (!(shape_of(x) == shape_of(w_)) || !(shape_of(y) == shape_of(w_)))
            throw ShapeError("lucid::ops::Diagonal::apply: x and y must have the weights' shape");
        detail::for_each_leaf([](auto w, auto xs, auto ys) {
            if (xs.size() != w.size() || ys.size() != w.size())
                throw ShapeError("lucid::ops::Diagonal::apply: x and y must have the weights' shape");
            for (std::size_t i = 0; i < w.size(); ++i) ys[i] = w[i] * xs[i];
        }, w_, x, y);
    }
    void apply_adjoint(const V& y, V& x) const { apply(y, x); }

private:
    V w_;
};

}  // namespace lucid::ops
