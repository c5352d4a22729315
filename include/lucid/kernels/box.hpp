#pragma once
/// \file box.hpp
/// Uniform (box, moving-average) blur kernels.

#include <cstddef>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"

namespace lucid::kernels {

/// The height×width box kernel k[m,n] = 1/(height·width): the mean over a
/// height×width window (rank 1, so ops::Convolution runs it separably).
/// Even sizes follow the centre convention of ops::Convolution (index size/2).
template <class T>
Image<T> box(std::size_t height, std::size_t width) {
    require(height >= 1, "lucid::kernels::box", "height", ">= 1", height);
    require(width >= 1, "lucid::kernels::box", "width", ">= 1", width);
    lucid::detail::require_kernel_side("lucid::kernels::box", "height", double(height));
    lucid::detail::require_kernel_side("lucid::kernels::box", "width", double(width));
    return Image<T>({height, width}, T(1.0 / (double(height) * double(width))));
}

/// The size×size box kernel, 1/size² everywhere.
/// ```cpp
/// auto k = lucid::kernels::box<double>(5);  // 5×5, each 0.04
/// ```
template <class T>
Image<T> box(std::size_t size) {
    require(size >= 1, "lucid::kernels::box", "size", ">= 1", size);
    lucid::detail::require_kernel_side("lucid::kernels::box", "size", double(size));
    return box<T>(size, size);
}

}  // namespace lucid::kernels
