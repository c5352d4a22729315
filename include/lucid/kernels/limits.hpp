#pragma once
/// \file limits.hpp
/// The largest kernel the generators build.
///
/// A blur kernel wider than a few hundred pixels is almost always a typo
/// (`motion:length=9210`), and building it would take gigabytes before any
/// image is touched; so every generator refuses sides above `max_kernel_side`
/// with an error naming its parameter instead of allocating.

#include <cstddef>
#include <string_view>

#include "lucid/core/error.hpp"

namespace lucid::kernels {

/// Largest side (rows or columns) of a generated or loaded kernel: 2049 pixels.
inline constexpr std::size_t max_kernel_side = 2049;

}  // namespace lucid::kernels

namespace lucid::detail {

/// Throws lucid::Error naming `name` unless `side` <= kernels::max_kernel_side.
inline void require_kernel_side(std::string_view where, std::string_view name, double side) {
    static_assert(kernels::max_kernel_side == 2049, "update the message below");
    require(side <= double(kernels::max_kernel_side), where, name, "small enough for a kernel side <= 2049 pixels",
            concat(side, " pixels of side"));
}

}  // namespace lucid::detail
