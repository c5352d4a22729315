#pragma once
/// \file image_info.hpp
/// What a file holds: format, size, channels, alpha and bit depth.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lucid::io {

/// File formats lucid reads and writes.
/// - `png`: PNG (ISO/IEC 15948), any bit depth and colour type on reading, 8 or 16 bit gray/RGB on writing.
/// - `pgm`: Netpbm gray map, P5 (binary) or P2 (plain text), maxval 1…65535.
/// - `ppm`: Netpbm pix map, P6 (binary) or P3 (plain text), maxval 1…65535.
enum class Format { png, pgm, ppm };

/// "png", "pgm" or "ppm".
constexpr std::string_view to_string(Format f) {
    switch (f) {
        case Format::png: return "png";
        case Format::pgm: return "pgm";
        case Format::ppm: return "ppm";
    }
    return "?";
}

/// Header facts of an image file (see `read_info`, `read_with_info`).
struct ImageInfo {
    Format format = Format::png;
    std::size_t width = 0;   ///< columns
    std::size_t height = 0;  ///< rows
    /// Colour channels as returned by `read`: 1 (gray) or 3 (RGB), alpha excluded.
    int channels = 1;
    /// The file has an alpha channel (PNG gray+alpha, RGBA, or a tRNS chunk).
    /// Reading drops it: colour samples are returned as stored, not composited.
    bool has_alpha = false;
    /// Bits per sample in the file: 1, 2, 4, 8 or 16 for PNG (8 for palette
    /// images, whose palette entries are 8-bit); ⌈log₂(maxval+1)⌉ for PNM.
    int bit_depth = 8;
    /// Sample value that maps to 1.0: 2^depth − 1 for PNG (255 for depths
    /// below 8, which stb expands to 8 bit exactly), maxval for PNM.
    std::uint32_t max_value = 255;
    /// PNM plain-text variant (P2, P3); false for binary PNM and PNG.
    bool plain = false;
    /// PNG Adam7 interlacing.
    bool interlaced = false;
};

}  // namespace lucid::io
