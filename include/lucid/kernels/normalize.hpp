#pragma once
/// \file normalize.hpp
/// Kernel normalization to unit sum, the convention of every lucid kernel.

#include <cmath>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid::kernels {

/// Σk, after requiring a non-empty kernel of finite values with a finite sum
/// > 0 (a zero-sum kernel erases the image's mean; a negative one inverts it).
/// `where` and `name` name the caller and its argument in error messages.
template <class T>
double require_positive_sum(const Image<T>& kernel, std::string_view where, std::string_view name = "kernel") {
    require_finite_image(where, name, kernel);
    double sum = 0;
    for (T v : kernel) sum += double(v);
    require(std::isfinite(sum) && sum > 0, where, name, "a kernel with a finite sum > 0", sum);
    return sum;
}

/// k / Σk: the kernel scaled to sum 1, so that blurring preserves the mean.
/// Requires a non-empty kernel of finite values with a finite sum > 0.
/// `where` names the calling function in error messages.
/// ```cpp
/// auto k = lucid::kernels::normalize(lucid::Image<double>({3, 3}, 2.0));  // all 1/9
/// ```
template <class T>
Image<T> normalize(Image<T> kernel, std::string_view where = "lucid::kernels::normalize",
                   std::string_view name = "kernel") {
    const double sum = require_positive_sum(kernel, where, name);
    for (auto& v : kernel) v = T(double(v) / sum);
    return kernel;
}

}  // namespace lucid::kernels
