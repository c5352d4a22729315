#pragma once
/// \file from_image.hpp
/// A blur kernel read from an image file.

#include <algorithm>
#include <filesystem>
#include <utility>

#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"
#include "lucid/io/read.hpp"
#include "lucid/kernels/normalize.hpp"

namespace lucid::kernels {

/// The kernel stored in an image file (PNG/PGM, 8 or 16 bit; colour is
/// converted to gray by io::read_gray), normalized to sum 1: k = g / Σg. The
/// kernel centre is the pixel (h/2, w/2), so store kernels with odd sizes and
/// the PSF centred. Throws io errors for unreadable files and lucid::Error
/// naming `path` for an all-black image.
/// ```cpp
/// auto k = lucid::kernels::from_image<double>("psf.png");
/// ```
template <class T>
Image<T> from_image(const std::filesystem::path& path) {
    auto k = io::read_gray<T>(path);
    lucid::detail::require_kernel_side("lucid::kernels::from_image", "path",
                                       double(std::max(k.shape()[0], k.shape()[1])));
    return normalize(std::move(k), "lucid::kernels::from_image", "path");
}

}  // namespace lucid::kernels
