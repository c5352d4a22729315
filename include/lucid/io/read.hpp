#pragma once
/// \file read.hpp
/// Reading PNG, PGM and PPM files into [0, 1] images.
///
/// The format is recognized from the file's first bytes, not its name.
/// Samples map to [0, 1] as v / max_value: 8-bit /255, 16-bit /65535, PNM
/// /maxval (PNG depths 1, 2, 4 are expanded to 8 bit exactly, e.g. 1-bit 1 → 1.0).
/// Alpha is dropped (colour samples returned as stored, not composited);
/// `read_with_info` reports it in `ImageInfo::has_alpha`.
/// Every failure — missing, unreadable, empty, truncated or corrupt file,
/// unsupported format, image above `ReadOptions::max_pixels` — throws
/// `lucid::IoError` "lucid::io::read: cannot read '<path>': <reason>".
/// No partial image is ever returned.
///
/// Example:
/// ```
/// auto y = lucid::io::read_gray<double>("data/camera.png");          // 256×256
/// auto rgb = lucid::io::read_color<float>("data/astronaut.png");      // 3×256×256
/// auto big = lucid::io::read<double>("scan.png", {.max_pixels = 1u << 30});
/// ```

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/io/image_info.hpp"
#include "lucid/io/input_file.hpp"
#include "lucid/io/options.hpp"
#include "lucid/io/png.hpp"
#include "lucid/io/pnm.hpp"
#include "lucid/io/raster.hpp"

namespace lucid::io {

/// An image with the header facts of the file it came from.
template <class T>
struct ReadResult {
    ImageStack<T> image;  ///< C×H×W, C = 1 or 3 (alpha dropped)
    ImageInfo info;
};

namespace detail {

enum class Container { png, pnm };

/// Recognizes PNG and PNM from the first bytes; names other common formats in the error.
inline Container sniff(std::span<const std::uint8_t> head, const Source& src) {
    auto starts = [&](std::string_view magic) {
        return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
    };
    if (head.size() >= 8 && std::memcmp(head.data(), png_signature, 8) == 0) return Container::png;
    if (head.size() >= 2 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7') return Container::pnm;
    const char* other = nullptr;
    if (starts("\xFF\xD8\xFF")) other = "JPEG";
    else if (starts("GIF87a") || starts("GIF89a")) other = "GIF";
    else if (starts("BM")) other = "BMP";
    else if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) other = "TIFF";
    else if (starts("RIFF")) other = "RIFF/WebP";
    else if (starts("\x93NUMPY")) other = "NumPy .npy";
    else if (head.size() >= 4 && std::memcmp(head.data(), "\x89PNG", 4) == 0)
        src.fail("corrupt PNG: damaged signature (the file may have been transferred in text mode)");
    if (other)
        src.fail(lucid::detail::concat("unsupported format ", other, " (lucid reads PNG, PGM and PPM)"));
    src.fail("unrecognized file format (not PNG, PGM or PPM)");
}

/// Decodes PNG or PNM bytes into a raster and its info.
inline Raster decode_raster(std::span<const std::uint8_t> bytes, const ReadOptions& options, const Source& src,
                            ImageInfo& info) {
    if (bytes.empty()) src.fail("the data is empty (0 bytes)");
    if (sniff(bytes, src) == Container::png) return png_decode(bytes, options, src, &info);
    return pnm_decode(bytes, options, src, &info);
}

/// Reads the whole file after checking its first bytes name a supported format.
inline std::vector<std::uint8_t> read_supported_file(const std::filesystem::path& path, const Source& src) {
    const InputFile file(path, src.where);
    const Container c = sniff(file.head(8), src);
    // stb_image takes the length as an int
    const std::uint64_t limit = c == Container::png ? std::uint64_t(std::numeric_limits<int>::max())
                                                    : std::numeric_limits<std::uint64_t>::max();
    return file.all(limit, "the file is larger than stb_image's limit of 2^31-1 bytes");
}

template <std::floating_point T>
ReadResult<T> read_as(const std::filesystem::path& path, const ReadOptions& options, ChannelMode mode,
                      std::string_view where) {
    options.validate(where);
    const Source src{where, path};
    const std::vector<std::uint8_t> bytes = read_supported_file(path, src);
    ReadResult<T> out;
    const Raster r = decode_raster(bytes, options, src, out.info);
    out.image = raster_to_stack<T>(r, mode);
    return out;
}

}  // namespace detail

/// Header facts of an image file (format, size, channels, alpha, bit depth)
/// after validating the whole file structure (PNG: all chunks and CRCs; PNM:
/// header and data length), without decoding pixels. No pixel limit applies.
inline ImageInfo read_info(const std::filesystem::path& path) {
    const detail::Source src{"lucid::io::read_info", path};
    const std::vector<std::uint8_t> bytes = detail::read_supported_file(path, src);
    if (detail::sniff(bytes, src) == detail::Container::png) return detail::png_info(detail::png_parse(bytes, src));
    return detail::pnm_info(detail::pnm_parse_header(bytes, src));
}

/// Reads an image with its own channel count: C×H×W with C = 1 (gray,
/// gray+alpha) or 3 (RGB, RGBA, palette), values sample / max_value ∈ [0, 1],
/// and the file's `ImageInfo` (alpha dropped if `info.has_alpha`).
template <std::floating_point T>
ReadResult<T> read_with_info(const std::filesystem::path& path, const ReadOptions& options = {}) {
    return detail::read_as<T>(path, options, detail::ChannelMode::native, "lucid::io::read_with_info");
}

/// Reads an image with its own channel count (1 or 3) as C×H×W in [0, 1]; alpha dropped.
template <std::floating_point T>
ImageStack<T> read(const std::filesystem::path& path, const ReadOptions& options = {}) {
    return detail::read_as<T>(path, options, detail::ChannelMode::native, "lucid::io::read").image;
}

/// Reads an image as gray H×W in [0, 1]. Colour files are converted with the
/// ITU-R BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B (on values in [0, 1]);
/// alpha dropped.
template <std::floating_point T>
Image<T> read_gray(const std::filesystem::path& path, const ReadOptions& options = {}) {
    ImageStack<T> s = detail::read_as<T>(path, options, detail::ChannelMode::gray, "lucid::io::read_gray").image;
    const std::size_t h = s.shape()[1], w = s.shape()[2];
    Image<T> out({h, w});
    std::copy(s.data(), s.data() + h * w, out.data());
    return out;
}

/// Reads an image as RGB 3×H×W in [0, 1]; gray files are replicated to three
/// equal channels, alpha dropped.
template <std::floating_point T>
ImageStack<T> read_color(const std::filesystem::path& path, const ReadOptions& options = {}) {
    return detail::read_as<T>(path, options, detail::ChannelMode::color, "lucid::io::read_color").image;
}

/// Decodes a PNG/PGM/PPM file held in memory (same rules as `read_with_info`;
/// errors name `name`, "<memory>" by default).
template <std::floating_point T>
ReadResult<T> decode(std::span<const std::uint8_t> bytes, const ReadOptions& options = {},
                     const std::filesystem::path& name = "<memory>") {
    options.validate("lucid::io::decode");
    const detail::Source src{"lucid::io::decode", name};
    ReadResult<T> out;
    const detail::Raster r = detail::decode_raster(bytes, options, src, out.info);
    out.image = detail::raster_to_stack<T>(r, detail::ChannelMode::native);
    return out;
}

}  // namespace lucid::io
