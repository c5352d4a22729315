#pragma once
/// \file options.hpp
/// Parameters of image reading (`ReadOptions`) and writing (`WriteOptions`).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lucid/core/error.hpp"

namespace lucid::io {

/// Options of `read`, `read_gray`, `read_color`, `read_with_info`, `decode`.
struct ReadOptions {
    /// Decompression-bomb guard: files with width × height above this are
    /// refused from their header, before any pixel memory is allocated.
    /// Default 2²⁸ = 268 435 456 pixels (16384 × 16384); a 3-channel double
    /// image of that size needs 6 GiB.
    std::uint64_t max_pixels = std::uint64_t(1) << 28;

    /// Throws unless max_pixels >= 1.
    void validate(std::string_view where = "lucid::io::ReadOptions") const {
        require(max_pixels >= 1, where, "options.max_pixels", ">= 1", max_pixels);
    }
};

/// Options of `write` and `encode`.
struct WriteOptions {
    /// Bits per sample in the file: 8 (default) or 16. Values x ∈ [0, 1] are
    /// stored as round(x·(2^bits − 1)) after clamping to [0, 1].
    int bit_depth = 8;

    /// Optional cancel flag (see `write_file_atomic`): when it reads true
    /// before the file is in place, nothing is written and `lucid::Cancelled`
    /// is thrown. Not owned; must outlive the call.
    const std::atomic<bool>* cancel = nullptr;

    /// Throws unless bit_depth is 8 or 16.
    void validate(std::string_view where = "lucid::io::WriteOptions") const {
        require(bit_depth == 8 || bit_depth == 16, where, "options.bit_depth", "8 or 16", bit_depth);
    }
};

}  // namespace lucid::io
