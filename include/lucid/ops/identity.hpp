#pragma once
/// \file identity.hpp
/// The identity operator on any vector space.

#include <optional>

#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::ops {

/// I x = x on vectors of type V and a fixed shape. Diagonal in every transform.
template <Vector V>
class Identity : public OperatorBase<Identity<V>> {
public:
    using scalar_type = scalar_t<V>;
    using domain_type = V;
    using range_type = V;

    explicit Identity(shape_t<V> shape) : shape_(std::move(shape)) {}

    shape_t<V> domain_shape() const { return shape_; }
    shape_t<V> range_shape() const { return shape_; }
    void apply(const V& x, V& y) const {
        check(x, "x", "lucid::ops::Identity::apply");
        check(y, "y", "lucid::ops::Identity::apply");
        copy(x, y);
    }
    void apply_adjoint(const V& y, V& x) const {
        check(y, "y", "lucid::ops::Identity::apply_adjoint");
        check(x, "x", "lucid::ops::Identity::apply_adjoint");
        copy(y, x);
    }
    std::optional<Spectrum<scalar_type>> spectrum() const { return Spectrum<scalar_type>::constant(1); }

private:
    void check(const V& v, const char* name, const char* where) const {
        if (!(shape_of(v) == shape_))
            detail::fail_argument<ShapeError>(where, name, "of the operator's shape",
                                              detail::concat("a vector of another shape (", element_count(v),
                                                             " elements)"));
    }

    shape_t<V> shape_;
};

/// The identity on vectors shaped like x.
template <Vector V>
Identity<V> identity_like(const V& x) { return Identity<V>(shape_of(x)); }

}  // namespace lucid::ops
