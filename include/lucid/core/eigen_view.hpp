#pragma once
/// \file eigen_view.hpp
/// Zero-copy views between xtensor images and Eigen vectors, so explicit
/// matrices (Toeplitz, sparse dictionaries) act on images without copies.

#include <cstddef>

#include <Eigen/Core>
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid {

template <class T>
using VectorX = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// The pixels of a row-major xtensor as an Eigen column vector (vec(x), no copy).
template <class T, std::size_t N>
Eigen::Map<VectorX<T>> as_eigen(xt::xtensor<T, N>& image) {
    return Eigen::Map<VectorX<T>>(image.data(), Eigen::Index(image.size()));
}

template <class T, std::size_t N>
Eigen::Map<const VectorX<T>> as_eigen(const xt::xtensor<T, N>& image) {
    return Eigen::Map<const VectorX<T>>(image.data(), Eigen::Index(image.size()));
}

/// An Eigen vector's storage seen as a row-major image of `shape` (no copy).
/// The vector must outlive the view and hold exactly prod(shape) elements.
template <class T, std::size_t N>
auto as_image(VectorX<T>& v, const Shape<N>& shape) {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    require(std::size_t(v.size()) == n, "lucid::as_image", "v", "a vector with prod(shape) elements",
            detail::concat(v.size(), " elements for shape ", shape_string(shape)));
    return xt::adapt(v.data(), n, xt::no_ownership(), shape);
}

template <class T, std::size_t N>
auto as_image(const VectorX<T>& v, const Shape<N>& shape) {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    require(std::size_t(v.size()) == n, "lucid::as_image", "v", "a vector with prod(shape) elements",
            detail::concat(v.size(), " elements for shape ", shape_string(shape)));
    return xt::adapt(v.data(), n, xt::no_ownership(), shape);
}

}  // namespace lucid
