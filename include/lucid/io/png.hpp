#pragma once
/// \file png.hpp
/// PNG decoding and encoding.
///
/// Decoding: lucid walks the chunk structure itself (signature, chunk
/// lengths, CRC-32 of every chunk, IHDR fields, IEND present), refuses images
/// above `ReadOptions::max_pixels` from the IHDR, inflates the image data into
/// a buffer of exactly the size the header implies (so a zlib bomb cannot
/// grow it) and checks the zlib Adler-32 — checks stb_image does not make —
/// and only then lets stb_image (Debian's libstb) unfilter, de-interlace and
/// expand palettes and sub-byte depths. The image data is therefore inflated
/// twice. stb_image's process-wide settings (`stbi_set_flip_vertically_on_load`,
/// `stbi_set_unpremultiply_on_load`, `stbi_convert_iphone_png_to_rgb`) must
/// stay at their defaults.
///
/// Encoding: 8-bit files by stb_image_write; 16-bit files by lucid (IHDR,
/// one IDAT compressed by stb's `stbi_zlib_compress` with filter type 0 on
/// every row, big-endian samples, IEND), since stb_image_write only writes 8 bit.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <stb_image.h>
#include <stb_image_write.h>

#include "lucid/io/checksum.hpp"
#include "lucid/io/image_info.hpp"
#include "lucid/io/options.hpp"
#include "lucid/io/raster.hpp"

// Exported by libstb (stb_image_write.c) but declared only in the
// implementation part of stb_image_write.h.
extern "C" unsigned char* stbi_zlib_compress(unsigned char* data, int data_len, int* out_len, int quality);

namespace lucid::io::detail {

inline constexpr std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

inline std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

inline void store_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(std::uint8_t(v >> 24));
    out.push_back(std::uint8_t(v >> 16));
    out.push_back(std::uint8_t(v >> 8));
    out.push_back(std::uint8_t(v));
}

/// What the chunk walk learned: IHDR fields and where the image data is.
struct PngLayout {
    std::uint32_t width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    bool has_trns = false;
    std::uint32_t palette_entries = 0;  ///< PLTE length / 3 (colour type 3)
    std::vector<std::span<const std::uint8_t>> idat;  ///< IDAT payloads in file order
    std::uint64_t idat_bytes = 0;
};

/// Samples per pixel of a PNG colour type (palette: 1 index).
constexpr int png_samples(int color_type) {
    switch (color_type) {
        case 0: return 1;
        case 2: return 3;
        case 3: return 1;
        case 4: return 2;
        case 6: return 4;
    }
    return 0;
}

/// Number of passes of the image data: 7 (Adam7) when interlaced, else 1.
inline int png_pass_count(const PngLayout& h) { return h.interlace == 0 ? 1 : 7; }

/// Width and rows of pass p's sub-image (the whole image when not interlaced;
/// an Adam7 pass may be empty, and then has no bytes at all, not even filter bytes).
inline std::pair<std::uint64_t, std::uint64_t> png_pass_size(const PngLayout& h, int p) {
    if (h.interlace == 0) return {h.width, h.height};
    static constexpr int xs[7] = {0, 4, 0, 2, 0, 1, 0}, ys[7] = {0, 0, 4, 0, 2, 0, 1};
    static constexpr int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    const std::uint64_t w = h.width > std::uint32_t(xs[p]) ? (h.width - xs[p] + dx[p] - 1) / dx[p] : 0;
    const std::uint64_t r = h.height > std::uint32_t(ys[p]) ? (h.height - ys[p] + dy[p] - 1) / dy[p] : 0;
    return {w, r};
}

/// Bytes of filtered image data the IHDR implies: Σ over (Adam7) passes of
/// rows × (1 filter byte + ⌈width·bits/8⌉).
inline std::uint64_t png_raw_size(const PngLayout& h) {
    const std::uint64_t bits = std::uint64_t(h.bit_depth) * std::uint64_t(png_samples(h.color_type));
    std::uint64_t total = 0;
    for (int p = 0; p < png_pass_count(h); ++p) {
        const auto [w, rows] = png_pass_size(h, p);
        if (w != 0 && rows != 0) total += rows * (1 + (w * bits + 7) / 8);
    }
    return total;
}

/// Validates the PNG container: signature, chunk lengths and types, CRCs,
/// IHDR first and valid, PLTE for palette images, at least one IDAT, IEND.
/// With `max_pixels` set, refuses larger images right after the IHDR.
inline PngLayout png_parse(std::span<const std::uint8_t> bytes, const Source& src,
                           std::uint64_t max_pixels = std::numeric_limits<std::uint64_t>::max()) {
    if (bytes.size() < 8 || std::memcmp(bytes.data(), png_signature, 8) != 0)
        src.fail("not a PNG file (bad signature)");
    PngLayout h;
    bool seen_ihdr = false, seen_plte = false, seen_iend = false;
    std::size_t pos = 8;
    while (!seen_iend) {
        if (bytes.size() - pos < 12)
            src.fail(lucid::detail::concat("truncated PNG: the file ends at byte ", bytes.size(),
                                           " before the IEND chunk"));
        const std::uint32_t len = load_be32(bytes.data() + pos);
        const std::uint8_t* type = bytes.data() + pos + 4;
        const std::string name(reinterpret_cast<const char*>(type), 4);
        for (int k = 0; k < 4; ++k) {
            const bool letter = (type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z');
            if (!letter) src.fail(lucid::detail::concat("corrupt PNG: invalid chunk type at byte ", pos + 4));
        }
        if (len > 0x7FFFFFFFu)
            src.fail(lucid::detail::concat("corrupt PNG: chunk '", name, "' claims ", len, " bytes (limit 2^31-1)"));
        if (bytes.size() - pos - 12 < len)
            src.fail(lucid::detail::concat("truncated PNG: chunk '", name, "' at byte ", pos, " needs ", len,
                                           " data bytes, only ", bytes.size() - pos - 12, " remain"));
        const std::uint8_t* data = type + 4;
        const std::uint32_t stored = load_be32(data + len);
        const std::uint32_t computed = crc32(std::span<const std::uint8_t>(type, std::size_t(len) + 4));
        if (stored != computed)
            src.fail(lucid::detail::concat("corrupt PNG: CRC mismatch in chunk '", name, "' at byte ", pos, " (stored 0x",
                                           std::hex, stored, ", computed 0x", computed, ")"));
        if (!seen_ihdr) {
            if (name != "IHDR") src.fail("corrupt PNG: the first chunk is '" + name + "', expected 'IHDR'");
            if (len != 13) src.fail(lucid::detail::concat("corrupt PNG: IHDR has ", len, " bytes, expected 13"));
            h.width = load_be32(data);
            h.height = load_be32(data + 4);
            h.bit_depth = data[8];
            h.color_type = data[9];
            h.interlace = data[12];
            if (h.width == 0 || h.height == 0 || h.width > 0x7FFFFFFFu || h.height > 0x7FFFFFFFu)
                src.fail(lucid::detail::concat("corrupt PNG: invalid size ", h.width, "x", h.height));
            const int d = h.bit_depth;
            bool ok = false;
            switch (h.color_type) {
                case 0: ok = d == 1 || d == 2 || d == 4 || d == 8 || d == 16; break;
                case 3: ok = d == 1 || d == 2 || d == 4 || d == 8; break;
                case 2: case 4: case 6: ok = d == 8 || d == 16; break;
                default: ok = false;
            }
            if (!ok)
                src.fail(lucid::detail::concat("corrupt PNG: invalid colour type ", h.color_type, " with bit depth ", d));
            if (data[10] != 0 || data[11] != 0 || h.interlace > 1)
                src.fail("corrupt PNG: unknown compression, filter or interlace method in IHDR");
            check_pixel_limit(src, h.width, h.height, max_pixels);
            // stb_image's own limit (STBI_MAX_DIMENSIONS), named here rather than as its "too large"
            if (h.width > (1u << 24) || h.height > (1u << 24))
                src.fail(lucid::detail::concat("PNG of ", h.width, "x", h.height,
                                               " not supported: width and height must be at most 16777216"));
            seen_ihdr = true;
        } else if (name == "IHDR") {
            src.fail("corrupt PNG: a second IHDR chunk");
        } else if (name == "PLTE") {
            if (len == 0 || len % 3 != 0 || len > 3 * 256)
                src.fail(lucid::detail::concat("corrupt PNG: PLTE has ", len,
                                               " bytes, expected a multiple of 3 between 3 and 768"));
            if (h.color_type == 3 && len / 3 > (1u << h.bit_depth))
                src.fail(lucid::detail::concat("corrupt PNG: PLTE has ", len / 3, " entries, more than ", 1u << h.bit_depth,
                                               " for bit depth ", h.bit_depth));
            seen_plte = true;
            h.palette_entries = len / 3;
        } else if (name == "tRNS") {
            h.has_trns = true;
        } else if (name == "IDAT") {
            h.idat.emplace_back(data, std::size_t(len));
            h.idat_bytes += len;
        } else if (name == "IEND") {
            seen_iend = true;
        }
        pos += 12 + std::size_t(len);
    }
    if (h.idat.empty()) src.fail("corrupt PNG: no IDAT chunk (no image data)");
    if (h.color_type == 3 && !seen_plte) src.fail("corrupt PNG: palette image without a PLTE chunk");
    return h;
}

/// Header facts of a parsed PNG.
inline ImageInfo png_info(const PngLayout& h) {
    ImageInfo info;
    info.format = Format::png;
    info.width = h.width;
    info.height = h.height;
    info.channels = (h.color_type == 2 || h.color_type == 3 || h.color_type == 6) ? 3 : 1;
    info.has_alpha = h.color_type == 4 || h.color_type == 6 || h.has_trns;
    info.bit_depth = h.color_type == 3 ? 8 : h.bit_depth;
    info.max_value = h.bit_depth == 16 ? 65535u : 255u;
    info.interlaced = h.interlace == 1;
    return info;
}

/// Undoes the PNG row filters (None, Sub, Up, Average, Paeth) in place on
/// `rows` rows of `1 + stride` bytes (filter byte first); `bpp` is the filter's
/// byte distance, max(1, bits per pixel / 8). Returns false on an unknown filter type.
inline bool png_unfilter(std::uint8_t* data, std::size_t rows, std::size_t stride, std::size_t bpp) {
    const std::uint8_t* prev = nullptr;
    for (std::size_t r = 0; r < rows; ++r) {
        std::uint8_t* row = data + r * (stride + 1);
        const std::uint8_t type = row[0];
        std::uint8_t* x = row + 1;
        auto up = [&](std::size_t i) -> int { return prev ? prev[i] : 0; };
        auto left = [&](std::size_t i) -> int { return i >= bpp ? x[i - bpp] : 0; };
        auto up_left = [&](std::size_t i) -> int { return prev && i >= bpp ? prev[i - bpp] : 0; };
        switch (type) {
            case 0: break;
            case 1: for (std::size_t i = 0; i < stride; ++i) x[i] = std::uint8_t(x[i] + left(i)); break;
            case 2: for (std::size_t i = 0; i < stride; ++i) x[i] = std::uint8_t(x[i] + up(i)); break;
            case 3: for (std::size_t i = 0; i < stride; ++i) x[i] = std::uint8_t(x[i] + ((left(i) + up(i)) >> 1)); break;
            case 4:
                for (std::size_t i = 0; i < stride; ++i) {
                    const int a = left(i), b = up(i), c = up_left(i), p = a + b - c;
                    const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
                    x[i] = std::uint8_t(x[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
                }
                break;
            default: return false;
        }
        prev = x;
    }
    return true;
}

/// For a palette image: every index in the (inflated, filtered) image data
/// must name a PLTE entry. stb_image would read its uninitialized palette
/// slots for the others; the PNG specification calls them an error.
inline void png_check_palette_indices(const PngLayout& h, std::uint8_t* raw, const Source& src) {
    const std::size_t depth = std::size_t(h.bit_depth);
    auto check_pass = [&](std::uint8_t* data, std::size_t w, std::size_t rows) {
        if (w == 0 || rows == 0) return std::size_t(0);
        const std::size_t stride = (w * depth + 7) / 8;
        if (!png_unfilter(data, rows, stride, 1)) src.fail("corrupt PNG: unknown row filter type in the image data");
        for (std::size_t r = 0; r < rows; ++r) {
            const std::uint8_t* x = data + r * (stride + 1) + 1;
            for (std::size_t i = 0; i < w; ++i) {
                const std::size_t bit = i * depth;  // samples are packed from the byte's high bits
                const unsigned index = (x[bit / 8] >> (8 - depth - bit % 8)) & ((1u << depth) - 1);
                if (index >= h.palette_entries)
                    src.fail(lucid::detail::concat("corrupt PNG: palette index ", index, " but PLTE has only ",
                                                   h.palette_entries, " entries"));
            }
        }
        return rows * (stride + 1);
    };
    for (int p = 0; p < png_pass_count(h); ++p) {
        const auto [w, rows] = png_pass_size(h, p);
        raw += check_pass(raw, std::size_t(w), std::size_t(rows));
    }
}

/// Inflates the IDAT stream into a buffer of exactly png_raw_size bytes and
/// checks the size and the zlib Adler-32 (stb_image checks neither), and for
/// palette images that every index has a PLTE entry.
inline void png_check_image_data(const PngLayout& h, const Source& src) {
    const std::uint64_t expected = png_raw_size(h);
    constexpr std::uint64_t int_max = std::uint64_t(std::numeric_limits<int>::max());
    if (expected > int_max || h.idat_bytes > int_max)
        src.fail(lucid::detail::concat("the image needs ", expected,
                                       " bytes of decompressed data, more than stb_image's limit of 2^31-1"));
    std::vector<char> stream;
    stream.reserve(std::size_t(h.idat_bytes));
    for (auto part : h.idat) stream.insert(stream.end(), part.begin(), part.end());
    if (stream.size() < 6) src.fail("corrupt PNG: the image data is too short to be a zlib stream");
    std::unique_ptr<char[]> raw(new char[std::size_t(expected)]);
    const int got = stbi_zlib_decode_buffer(raw.get(), int(expected), stream.data(), int(stream.size()));
    if (got < 0) {
        const char* why = stbi_failure_reason();
        if (why && std::strcmp(why, "output buffer limit") == 0)
            src.fail(lucid::detail::concat("corrupt PNG: the image data inflates to more than the ", expected,
                                           " bytes a ", h.width, "x", h.height, " image needs"));
        src.fail(lucid::detail::concat("corrupt PNG: invalid zlib data in IDAT (", why ? why : "unknown error", ")"));
    }
    if (std::uint64_t(got) != expected)
        src.fail(lucid::detail::concat("corrupt or truncated PNG: the image data inflates to ", got, " of the ",
                                       expected, " bytes a ", h.width, "x", h.height, " image needs"));
    const auto* tail = reinterpret_cast<const std::uint8_t*>(stream.data() + stream.size() - 4);
    const std::uint32_t stored = load_be32(tail);
    const std::uint32_t computed =
        adler32(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.get()), std::size_t(expected)));
    if (stored != computed)
        src.fail("corrupt or truncated PNG: zlib Adler-32 checksum mismatch in the image data "
                 "(or bytes after the end of the zlib stream)");
    if (h.color_type == 3) png_check_palette_indices(h, reinterpret_cast<std::uint8_t*>(raw.get()), src);
}

/// Decodes a whole PNG file held in memory.
inline Raster png_decode(std::span<const std::uint8_t> bytes, const ReadOptions& options, const Source& src,
                         ImageInfo* info_out = nullptr) {
    const PngLayout h = png_parse(bytes, src, options.max_pixels);
    if (bytes.size() > std::size_t(std::numeric_limits<int>::max()))
        src.fail("the file is larger than stb_image's limit of 2^31-1 bytes");
    png_check_image_data(h, src);

    Raster r;
    r.width = h.width;
    r.height = h.height;
    int x = 0, y = 0, n = 0;
    const bool sixteen = h.bit_depth == 16;
    void* pixels = sixteen ? static_cast<void*>(stbi_load_16_from_memory(bytes.data(), int(bytes.size()), &x, &y, &n, 0))
                           : static_cast<void*>(stbi_load_from_memory(bytes.data(), int(bytes.size()), &x, &y, &n, 0));
    if (!pixels) {
        const char* why = stbi_failure_reason();
        src.fail(lucid::detail::concat("corrupt PNG (stb_image: ", why ? why : "unknown error", ")"));
    }
    std::unique_ptr<void, void (*)(void*)> guard(pixels, [](void* p) { stbi_image_free(p); });
    const ImageInfo expect = png_info(h);
    const int expected_n = expect.channels + (expect.has_alpha ? 1 : 0);
    if (std::uint32_t(x) != h.width || std::uint32_t(y) != h.height || n != expected_n)
        src.fail(lucid::detail::concat("stb_image returned ", x, "x", y, "x", n, " for a ", h.width, "x", h.height,
                                       " PNG of colour type ", h.color_type));
    r.channels = n;
    r.max_value = sixteen ? 65535u : 255u;
    const std::size_t count = r.width * r.height * std::size_t(n);
    r.samples.resize(count);
    if (sixteen) {
        const auto* p = static_cast<const std::uint16_t*>(pixels);
        std::copy(p, p + count, r.samples.begin());
    } else {
        const auto* p = static_cast<const std::uint8_t*>(pixels);
        std::copy(p, p + count, r.samples.begin());
    }
    if (info_out) *info_out = expect;
    return r;
}

/// Appends one chunk: length, type, data, CRC-32 of type ∥ data.
inline void png_put_chunk(std::vector<std::uint8_t>& out, const char (&type)[5], std::span<const std::uint8_t> data) {
    store_be32(out, std::uint32_t(data.size()));
    const std::size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    store_be32(out, crc32(std::span<const std::uint8_t>(out.data() + start, data.size() + 4)));
}

/// Encodes a raster with 1 or 3 channels and max_value 255 (8 bit, via
/// stb_image_write) or 65535 (16 bit, by lucid). Throws `IoError` (naming
/// `dst`) if the image exceeds the encoders' 2^31-1 byte limit.
inline std::vector<std::uint8_t> png_encode(const Raster& r, const Source& dst) {
    const std::uint64_t bytes_per_sample = r.max_value > 255 ? 2 : 1;
    const std::uint64_t row = std::uint64_t(r.width) * std::uint64_t(r.channels) * bytes_per_sample;
    const std::uint64_t raw = std::uint64_t(r.height) * (row + 1);
    if (raw > std::uint64_t(std::numeric_limits<int>::max()) || r.width > 0x7FFFFFFFu || r.height > 0x7FFFFFFFu)
        dst.fail(lucid::detail::concat("a ", r.width, "x", r.height, "x", r.channels,
                                       " image exceeds the PNG encoder's limit of 2^31-1 bytes of raw data"));
    std::vector<std::uint8_t> out;
    if (bytes_per_sample == 1) {
        std::vector<std::uint8_t> px(r.samples.size());
        std::copy(r.samples.begin(), r.samples.end(), px.begin());
        struct Sink {
            std::vector<std::uint8_t>* out;
            bool failed = false;
        } sink{&out};
        auto append = [](void* ctx, void* data, int size) {
            auto* s = static_cast<Sink*>(ctx);
            try {
                const auto* p = static_cast<const std::uint8_t*>(data);
                s->out->insert(s->out->end(), p, p + size);
            } catch (...) {
                s->failed = true;
            }
        };
        const int ok = stbi_write_png_to_func(append, &sink, int(r.width), int(r.height), r.channels, px.data(), int(row));
        if (!ok || sink.failed) dst.fail("stb_image_write could not encode the PNG (out of memory?)");
        return out;
    }

    std::vector<std::uint8_t> filtered(static_cast<std::size_t>(raw));
    std::size_t k = 0;
    const std::size_t per_row = r.width * std::size_t(r.channels);
    for (std::size_t y = 0; y < r.height; ++y) {
        filtered[k++] = 0;  // filter type None
        const std::uint16_t* s = r.samples.data() + y * per_row;
        for (std::size_t i = 0; i < per_row; ++i) {
            filtered[k++] = std::uint8_t(s[i] >> 8);
            filtered[k++] = std::uint8_t(s[i] & 0xFF);
        }
    }
    int zlen = 0;
    unsigned char* z = stbi_zlib_compress(filtered.data(), int(filtered.size()), &zlen, stbi_write_png_compression_level);
    if (!z) dst.fail("stbi_zlib_compress failed (out of memory?)");
    std::unique_ptr<unsigned char, void (*)(void*)> zguard(z, std::free);

    out.reserve(std::size_t(zlen) + 64);
    out.insert(out.end(), png_signature, png_signature + 8);
    std::vector<std::uint8_t> ihdr;
    store_be32(ihdr, std::uint32_t(r.width));
    store_be32(ihdr, std::uint32_t(r.height));
    ihdr.push_back(16);                          // bit depth
    ihdr.push_back(r.channels == 3 ? 2 : 0);     // colour type: truecolour or greyscale
    ihdr.push_back(0);                           // compression: deflate
    ihdr.push_back(0);                           // filter method 0
    ihdr.push_back(0);                           // no interlace
    png_put_chunk(out, "IHDR", ihdr);
    png_put_chunk(out, "IDAT", std::span<const std::uint8_t>(z, std::size_t(zlen)));
    png_put_chunk(out, "IEND", {});
    return out;
}

}  // namespace lucid::io::detail
