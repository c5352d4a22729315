#pragma once
/// \file boundary.hpp
/// How an operator extends an image beyond its border.

#include <string>
#include <string_view>

#include "lucid/core/error.hpp"

namespace lucid {

/// Boundary handling of convolution-like operators.
///
/// For an image x of width W and an index i outside [0, W):
/// - `periodic`  x[i mod W]                       (circular; Fourier-diagonal)
/// - `zero`      0                                (output has the input's size)
/// - `reflect`   x[-i-1], x[2W-i-1] (half-sample symmetric, scipy.ndimage 'reflect',
///               numpy 'symmetric'; cosine-diagonal with a symmetric kernel)
/// - `replicate` x[0], x[W-1]                     (scipy.ndimage 'nearest')
/// - `valid`     not needed: the output keeps only the pixels whose whole
///               kernel support lies inside the image (H-kh+1 × W-kw+1)
enum class Boundary { periodic, zero, reflect, replicate, valid };

constexpr std::string_view to_string(Boundary b) {
    switch (b) {
        case Boundary::periodic: return "periodic";
        case Boundary::zero: return "zero";
        case Boundary::reflect: return "reflect";
        case Boundary::replicate: return "replicate";
        case Boundary::valid: return "valid";
    }
    return "?";
}

/// Parses "periodic", "zero", "reflect", "replicate" or "valid".
inline Boundary parse_boundary(std::string_view name) {
    for (Boundary b : {Boundary::periodic, Boundary::zero, Boundary::reflect, Boundary::replicate, Boundary::valid})
        if (to_string(b) == name) return b;
    detail::fail_argument("lucid::parse_boundary", "boundary",
                          "one of periodic, zero, reflect, replicate, valid", std::string(name));
}

}  // namespace lucid
