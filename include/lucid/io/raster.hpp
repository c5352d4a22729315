#pragma once
/// \file raster.hpp
/// The integer pixels between a file and an image: decoders produce a
/// `detail::Raster`, encoders consume one. Conversions to and from planar
/// [0, 1] images live here, including BT.601 luma and the rounding rule.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/io/file_error.hpp"

namespace lucid::io {

/// ITU-R BT.601 luma weights used to convert RGB files to gray:
/// Y = 0.299 R + 0.587 G + 0.114 B (as OpenCV and PIL do; scikit-image's
/// rgb2gray uses the BT.709 weights 0.2125, 0.7154, 0.0721 instead).
inline constexpr double luma_weights[3] = {0.299, 0.587, 0.114};

namespace detail {

/// The file (or buffer) being decoded or encoded, for error messages:
/// "<where>: cannot read '<name>': <reason>" ("cannot write" when `writing`).
struct Source {
    std::string_view where;
    std::filesystem::path name;
    bool writing = false;
    [[noreturn]] void fail(std::string_view reason) const {
        if (writing) fail_write(where, name, reason);
        fail_read(where, name, reason);
    }
};

/// Interleaved, row-major integer samples: sample (y, x, c) is
/// samples[(y·width + x)·channels + c], in 0 … max_value.
struct Raster {
    std::size_t width = 0;
    std::size_t height = 0;
    int channels = 0;            ///< samples per pixel, alpha included: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    std::uint32_t max_value = 255;  ///< the sample value that means 1.0
    std::vector<std::uint16_t> samples;
};

/// Colour channels of a raster with `channels` samples per pixel (alpha excluded).
constexpr int color_channels(int channels) { return channels == 2 || channels == 4 ? channels - 1 : channels; }

/// Which channels `raster_to_stack` returns.
enum class ChannelMode {
    native,  ///< the file's colour channels (1 or 3)
    gray,    ///< 1 channel: gray as is, RGB → BT.601 luma
    color,   ///< 3 channels: RGB as is, gray replicated
};

/// Planar C×H×W image with values sample / max_value, alpha dropped.
template <std::floating_point T>
ImageStack<T> raster_to_stack(const Raster& r, ChannelMode mode) {
    const int in_color = color_channels(r.channels);
    const std::size_t out_c = mode == ChannelMode::native ? std::size_t(in_color) : mode == ChannelMode::gray ? 1 : 3;
    const std::size_t n = r.width * r.height;
    ImageStack<T> out({out_c, r.height, r.width});
    T* dst = out.data();
    const std::uint16_t* src = r.samples.data();
    const std::size_t stride = std::size_t(r.channels);
    const double m = double(r.max_value);
    if (in_color == 3 && out_c == 1) {
        const double wr = luma_weights[0], wg = luma_weights[1], wb = luma_weights[2];
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint16_t* p = src + i * stride;
            dst[i] = T((wr * p[0] + wg * p[1] + wb * p[2]) / m);
        }
        return out;
    }
    for (std::size_t c = 0; c < out_c; ++c) {
        const std::size_t sc = in_color == 1 ? 0 : c;  // gray replicated when out_c = 3
        T* plane = dst + c * n;
        for (std::size_t i = 0; i < n; ++i) plane[i] = T(double(src[i * stride + sc]) / m);  // correctly rounded v/max
    }
    return out;
}

/// Quantizes planar [0, 1] data (`channels_in` planes of h×w) into an
/// interleaved raster with `channels_out` channels (1 → 3 replicates):
/// q = ⌊clamp(x, 0, 1)·max_value + ½⌋. Values must be finite (checked by the caller).
template <std::floating_point T>
Raster stack_to_raster(const T* planes, std::size_t channels_in, std::size_t h, std::size_t w, int channels_out,
                       std::uint32_t max_value) {
    Raster r;
    r.width = w;
    r.height = h;
    r.channels = channels_out;
    r.max_value = max_value;
    const std::size_t n = h * w;
    r.samples.resize(n * std::size_t(channels_out));
    const double m = double(max_value);
    for (int c = 0; c < channels_out; ++c) {
        const T* plane = planes + (channels_in == 1 ? 0 : std::size_t(c)) * n;
        std::uint16_t* dst = r.samples.data() + c;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = std::clamp(double(plane[i]), 0.0, 1.0);
            dst[i * std::size_t(channels_out)] = std::uint16_t(std::floor(x * m + 0.5));
        }
    }
    return r;
}

/// True when a·b overflows std::uint64_t; otherwise stores the product.
inline bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

/// Throws unless width × height <= max_pixels (decompression-bomb guard).
inline void check_pixel_limit(const Source& src, std::uint64_t width, std::uint64_t height, std::uint64_t max_pixels) {
    std::uint64_t pixels = 0;
    if (mul_overflows(width, height, pixels) || pixels > max_pixels)
        src.fail(lucid::detail::concat("the image is ", width, "x", height, " pixels, more than the limit of ",
                                       max_pixels, " pixels (ReadOptions::max_pixels)"));
}

}  // namespace detail
}  // namespace lucid::io
