#pragma once
/// \file matrix_operator.hpp
/// An explicit Eigen matrix (dense or sparse) as a LinearOperator.

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "lucid/core/aliasing.hpp"
#include "lucid/core/eigen_view.hpp"
#include "lucid/core/linear_operator.hpp"

namespace lucid::ops {

/// y = M x, x = Mᵀ y for an Eigen matrix M (dense `Eigen::MatrixX<T>` or
/// `Eigen::SparseMatrix<T>`). Domain and range are Eigen vectors by default;
/// with image types (e.g. `Image<T>`) the matrix acts on vec(x), the row-major
/// flattening, through zero-copy maps — so an nm×nm Toeplitz matrix acts on
/// n×m images.
template <class Matrix, Vector Domain = VectorX<typename Matrix::Scalar>, Vector Range = Domain>
class MatrixOperator : public OperatorBase<MatrixOperator<Matrix, Domain, Range>> {
public:
    using scalar_type = typename Matrix::Scalar;
    using domain_type = Domain;
    using range_type = Range;
    static_assert(std::is_same_v<scalar_t<Domain>, scalar_type> && std::is_same_v<scalar_t<Range>, scalar_type>,
                  "matrix and vectors need the same scalar type");

    /// Vector form: domain {cols}, range {rows}.
    explicit MatrixOperator(Matrix m) requires(std::is_same_v<Domain, VectorX<scalar_type>> &&
                                                std::is_same_v<Range, VectorX<scalar_type>>)
        : m_(std::move(m)), domain_{std::size_t(m_.cols())}, range_{std::size_t(m_.rows())} {}

    /// Image form: the matrix acts on vec(x) of images with these shapes.
    MatrixOperator(Matrix m, shape_t<Domain> domain, shape_t<Range> range)
        : m_(std::move(m)), domain_(domain), range_(range) {
        const auto nd = element_count(make_vector<Domain>(domain_));
        const auto nr = element_count(make_vector<Range>(range_));
        if (nd != std::size_t(m_.cols()) || nr != std::size_t(m_.rows()))
            throw ShapeError(detail::concat("lucid::ops::MatrixOperator: a ", m_.rows(), "x", m_.cols(),
                                            " matrix cannot map ", nd, " to ", nr, " elements"));
    }

    shape_t<Domain> domain_shape() const { return domain_; }
    shape_t<Range> range_shape() const { return range_; }
    const Matrix& matrix() const { return m_; }

    void apply(const Domain& x, Range& y) const {
        check(x, domain_, std::size_t(m_.cols()), "x");
        check(y, range_, std::size_t(m_.rows()), "y");
        require_distinct_storage("lucid::ops::MatrixOperator::apply", "x", x, "y", y);  // noalias product
        map(y).noalias() = m_ * map(x);
    }
    void apply_adjoint(const Range& y, Domain& x) const {
        check(y, range_, std::size_t(m_.rows()), "y");
        check(x, domain_, std::size_t(m_.cols()), "x");
        require_distinct_storage("lucid::ops::MatrixOperator::apply_adjoint", "y", y, "x", x);
        map(x).noalias() = m_.transpose() * map(y);
    }

private:
    template <class V, class S>
    static void check(const V& v, const S& shape, std::size_t want, const char* name) {
        constexpr const char* where = "lucid::ops::MatrixOperator::apply";
        if (element_count(v) != want)
            detail::fail_argument<ShapeError>(where, name, detail::concat("a vector of ", want, " elements"),
                                              element_count(v));
        if (!(shape_of(v) == shape))  // same count, other shape (an image transposed, say)
            detail::fail_argument<ShapeError>(where, name, "of the shape the operator was built for",
                                              "another shape with as many elements");
    }
    template <class V>
    static auto map(V& v) {
        using R = std::remove_const_t<V>;
        using P = std::conditional_t<std::is_const_v<V>, const VectorX<scalar_type>, VectorX<scalar_type>>;
        return Eigen::Map<P>(VectorTraits<R>::data(v), Eigen::Index(VectorTraits<R>::size(v)));
    }

    Matrix m_;
    shape_t<Domain> domain_;
    shape_t<Range> range_;
};

}  // namespace lucid::ops
