#pragma once
/// \file write.hpp
/// Writing images as PNG, PGM or PPM, atomically.
///
/// The format follows the file name's extension (case-insensitive): `.png`;
/// `.pgm` (1 channel, binary P5); `.ppm` (binary P6; a 1-channel image is
/// written as three equal channels); `.pnm` (P5 for 1 channel, P6 for 3).
/// Samples are q = ⌊clamp(x, 0, 1)·(2^bits − 1) + ½⌋ with bits = 8 (default)
/// or 16 (`WriteOptions::bit_depth`); 16-bit PNG and PNM store big-endian
/// samples. Non-finite values are an error, not clamped.
///
/// Writes are all-or-nothing (`write_file_atomic`): the file is encoded in
/// memory, written to a temporary file in the same directory, flushed and
/// renamed over `path`. Any failure throws and leaves `path` as it was.
///
/// Example:
/// ```
/// lucid::io::write("restored.png", x);                      // 8-bit
/// lucid::io::write("restored16.png", x, {.bit_depth = 16});  // 16-bit
/// ```

#include <algorithm>
#include <cctype>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/io/atomic_file.hpp"
#include "lucid/io/image_info.hpp"
#include "lucid/io/options.hpp"
#include "lucid/io/png.hpp"
#include "lucid/io/pnm.hpp"
#include "lucid/io/raster.hpp"

namespace lucid::io {

/// The format that `write` uses for `path`: `.png` → png, `.pgm` → pgm,
/// `.ppm` → ppm, `.pnm` → pgm for 1 channel and ppm otherwise
/// (case-insensitive). Throws `lucid::Error` naming 'path' for any other extension.
inline Format format_from_extension(const std::filesystem::path& path, std::size_t channels = 1,
                                    std::string_view where = "lucid::io::format_from_extension") {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".png") return Format::png;
    if (ext == ".pgm") return Format::pgm;
    if (ext == ".ppm") return Format::ppm;
    if (ext == ".pnm") return channels == 1 ? Format::pgm : Format::ppm;
    lucid::detail::fail_argument(where, "path", "a file name ending in .png, .pgm, .ppm or .pnm", path.string());
}

namespace detail {

/// Validates a planar image and quantizes it for `format`.
template <std::floating_point T>
Raster prepare_raster(const T* data, std::size_t channels, std::size_t h, std::size_t w, std::size_t size,
                      Format format, const WriteOptions& options, std::string_view where) {
    options.validate(where);
    if (size == 0 || h == 0 || w == 0)
        lucid::detail::fail_argument(where, "image", "a non-empty image", lucid::detail::concat(channels, "x", h, "x", w));
    if (channels != 1 && channels != 3)
        lucid::detail::fail_argument<ShapeError>(where, "image", "1 (gray) or 3 (RGB) channels",
                                                 lucid::detail::concat(channels, " channels"));
    if (format == Format::pgm && channels != 1)
        lucid::detail::fail_argument<ShapeError>(where, "image", "a 1-channel image for PGM (use .ppm or .png for color)",
                                                 lucid::detail::concat(channels, " channels"));
    for (std::size_t i = 0; i < size; ++i)
        if (!std::isfinite(data[i]))
            lucid::detail::fail_argument(where, "image", "finite everywhere",
                                         lucid::detail::concat("a non-finite value (", data[i], ") at flat index ", i));
    const int out_channels = format == Format::ppm ? 3 : int(channels);
    const std::uint32_t max_value = options.bit_depth == 16 ? 65535u : 255u;
    return stack_to_raster(data, channels, h, w, out_channels, max_value);
}

inline std::vector<std::uint8_t> encode_raster(const Raster& r, Format format, const Source& dst) {
    return format == Format::png ? png_encode(r, dst) : pnm_encode(r);
}

}  // namespace detail

/// Encodes a C×H×W image (C = 1 or 3, values in [0, 1]) as a complete PNG,
/// PGM or PPM file in memory (rules of `write`).
template <std::floating_point T>
std::vector<std::uint8_t> encode(const ImageStack<T>& image, Format format, const WriteOptions& options = {}) {
    constexpr std::string_view where = "lucid::io::encode";
    const auto& s = image.shape();
    const detail::Raster r = detail::prepare_raster(image.data(), s[0], s[1], s[2], image.size(), format, options, where);
    return detail::encode_raster(r, format, detail::Source{where, "<memory>", true});
}

/// Encodes an H×W image (values in [0, 1]) as a complete PNG, PGM or PPM file in memory.
template <std::floating_point T>
std::vector<std::uint8_t> encode(const Image<T>& image, Format format, const WriteOptions& options = {}) {
    constexpr std::string_view where = "lucid::io::encode";
    const auto& s = image.shape();
    const detail::Raster r = detail::prepare_raster(image.data(), 1, s[0], s[1], image.size(), format, options, where);
    return detail::encode_raster(r, format, detail::Source{where, "<memory>", true});
}

/// Writes a C×H×W image (C = 1 or 3) to `path` as PNG/PGM/PPM chosen by the
/// extension, 8 or 16 bit, q = ⌊clamp(x, 0, 1)·(2^bits − 1) + ½⌋, atomically.
/// Throws `lucid::Error` for bad arguments (extension, channels, non-finite
/// values, bit depth) before touching the file system, `lucid::IoError` if the
/// file cannot be written (the destination is then unchanged).
template <std::floating_point T>
void write(const std::filesystem::path& path, const ImageStack<T>& image, const WriteOptions& options = {}) {
    constexpr std::string_view where = "lucid::io::write";
    const auto& s = image.shape();
    const Format format = format_from_extension(path, s[0], where);
    const detail::Raster r = detail::prepare_raster(image.data(), s[0], s[1], s[2], image.size(), format, options, where);
    const std::vector<std::uint8_t> bytes = detail::encode_raster(r, format, detail::Source{where, path, true});
    write_file_atomic(path, bytes, where, options.cancel);
}

/// Writes an H×W image to `path` (see the C×H×W overload).
template <std::floating_point T>
void write(const std::filesystem::path& path, const Image<T>& image, const WriteOptions& options = {}) {
    constexpr std::string_view where = "lucid::io::write";
    const auto& s = image.shape();
    const Format format = format_from_extension(path, 1, where);
    const detail::Raster r = detail::prepare_raster(image.data(), 1, s[0], s[1], image.size(), format, options, where);
    const std::vector<std::uint8_t> bytes = detail::encode_raster(r, format, detail::Source{where, path, true});
    write_file_atomic(path, bytes, where, options.cancel);
}

}  // namespace lucid::io
