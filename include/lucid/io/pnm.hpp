#pragma once
/// \file pnm.hpp
/// Netpbm gray and pix maps: P2/P5 (PGM) and P3/P6 (PPM), maxval 1…65535,
/// written by lucid (no library). Follows netpbm's pgm(5)/ppm(5): header
/// tokens separated by whitespace, `#` comments to the end of the line
/// anywhere in the header (and, leniently, between plain-text samples),
/// exactly one whitespace character between maxval and binary data, samples
/// of 1 byte (maxval < 256) or 2 bytes big-endian, each <= maxval. Only the
/// first image of a multi-image file is read.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lucid/io/image_info.hpp"
#include "lucid/io/options.hpp"
#include "lucid/io/raster.hpp"

namespace lucid::io::detail {

/// Header fields of a PNM file and where its raster starts.
struct PnmHeader {
    char kind = '5';  ///< '2', '3', '5' or '6'
    std::uint64_t width = 0, height = 0;
    std::uint32_t maxval = 0;
    std::size_t data_offset = 0;
    int channels() const { return kind == '3' || kind == '6' ? 3 : 1; }
    bool plain() const { return kind == '2' || kind == '3'; }
};

constexpr bool pnm_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/// Skips whitespace and comments from `pos`.
inline void pnm_skip(std::span<const std::uint8_t> b, std::size_t& pos) {
    while (pos < b.size()) {
        if (pnm_space(b[pos])) {
            ++pos;
        } else if (b[pos] == '#') {
            while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r') ++pos;
        } else {
            break;
        }
    }
}

/// Reads one header field (decimal digits) after whitespace/comments.
inline std::uint64_t pnm_header_number(std::span<const std::uint8_t> b, std::size_t& pos, const char* field,
                                       const Source& src) {
    pnm_skip(b, pos);
    if (pos >= b.size()) src.fail(lucid::detail::concat("truncated PNM header: the file ends before the ", field));
    if (b[pos] < '0' || b[pos] > '9')
        src.fail(lucid::detail::concat("corrupt PNM header: expected the ", field, " at byte ", pos, ", found '",
                                       char(b[pos]), "'"));
    std::uint64_t v = 0;
    while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9') {
        v = v * 10 + std::uint64_t(b[pos] - '0');
        if (v > 0xFFFFFFFFull) src.fail(lucid::detail::concat("corrupt PNM header: the ", field, " is absurdly large"));
        ++pos;
    }
    if (pos < b.size() && !pnm_space(b[pos]) && b[pos] != '#')
        src.fail(lucid::detail::concat("corrupt PNM header: unexpected '", char(b[pos]), "' after the ", field));
    return v;
}

/// Parses and validates the header (size, maxval, pixel limit, data length).
inline PnmHeader pnm_parse_header(std::span<const std::uint8_t> b, const Source& src,
                                  std::uint64_t max_pixels = ~std::uint64_t(0)) {
    if (b.size() < 2 || b[0] != 'P') src.fail("not a PNM file (no 'P' magic number)");
    PnmHeader h;
    h.kind = char(b[1]);
    if (h.kind != '2' && h.kind != '3' && h.kind != '5' && h.kind != '6')
        src.fail(lucid::detail::concat("unsupported Netpbm variant 'P", char(b[1]),
                                       "' (lucid reads P2/P5 gray maps and P3/P6 pix maps)"));
    if (b.size() < 3 || !(pnm_space(b[2]) || b[2] == '#')) src.fail("corrupt PNM header: no whitespace after the magic number");
    std::size_t pos = 2;
    h.width = pnm_header_number(b, pos, "width", src);
    h.height = pnm_header_number(b, pos, "height", src);
    const std::uint64_t maxval = pnm_header_number(b, pos, "maxval", src);
    if (h.width == 0 || h.height == 0)
        src.fail(lucid::detail::concat("corrupt PNM header: invalid size ", h.width, "x", h.height));
    if (maxval < 1 || maxval > 65535)
        src.fail(lucid::detail::concat("corrupt PNM header: maxval must be in 1..65535 (got ", maxval, ")"));
    h.maxval = std::uint32_t(maxval);
    check_pixel_limit(src, h.width, h.height, max_pixels);
    if (pos >= b.size()) src.fail("truncated PNM: the file ends after the header, no pixel data");
    if (!pnm_space(b[pos])) src.fail("corrupt PNM header: no whitespace after maxval");
    h.data_offset = pos + 1;  // exactly one whitespace character before the raster

    std::uint64_t samples = 0, need = 0;
    if (mul_overflows(h.width * h.height, std::uint64_t(h.channels()), samples))
        src.fail("the image is too large");
    const std::uint64_t available = b.size() - h.data_offset;
    if (h.plain()) {
        // each sample needs a digit and all but the last a separator
        if (samples > (available + 1) / 2)
            src.fail(lucid::detail::concat("truncated PNM: ", samples, " samples need at least ", 2 * samples - 1,
                                           " bytes of text, the file has ", available, " after the header"));
    } else {
        if (mul_overflows(samples, h.maxval > 255 ? 2 : 1, need)) src.fail("the image is too large");
        if (need > available)
            src.fail(lucid::detail::concat("truncated PNM: ", h.width, "x", h.height, "x", h.channels(), " samples need ",
                                           need, " bytes of pixel data, the file has ", available));
    }
    return h;
}

/// Header facts of a PNM file.
inline ImageInfo pnm_info(const PnmHeader& h) {
    ImageInfo info;
    info.format = h.channels() == 3 ? Format::ppm : Format::pgm;
    info.width = std::size_t(h.width);
    info.height = std::size_t(h.height);
    info.channels = h.channels();
    info.has_alpha = false;
    int bits = 0;
    while ((std::uint32_t(1) << bits) - 1 < h.maxval) ++bits;
    info.bit_depth = bits;
    info.max_value = h.maxval;
    info.plain = h.plain();
    return info;
}

/// Decodes a whole PNM file held in memory.
inline Raster pnm_decode(std::span<const std::uint8_t> b, const ReadOptions& options, const Source& src,
                         ImageInfo* info_out = nullptr) {
    const PnmHeader h = pnm_parse_header(b, src, options.max_pixels);
    Raster r;
    r.width = std::size_t(h.width);
    r.height = std::size_t(h.height);
    r.channels = h.channels();
    r.max_value = h.maxval;
    const std::size_t n = r.width * r.height * std::size_t(r.channels);
    r.samples.resize(n);
    auto too_big = [&](std::size_t i, std::uint32_t v) {
        src.fail(lucid::detail::concat("corrupt PNM: sample ", i, " is ", v, ", above maxval ", h.maxval));
    };
    if (h.plain()) {
        std::size_t pos = h.data_offset;
        for (std::size_t i = 0; i < n; ++i) {
            pnm_skip(b, pos);
            if (pos >= b.size())
                src.fail(lucid::detail::concat("truncated PNM: found ", i, " of ", n, " samples"));
            if (b[pos] < '0' || b[pos] > '9')
                src.fail(lucid::detail::concat("corrupt PNM: unexpected '", char(b[pos]), "' at byte ", pos,
                                               " in the pixel data"));
            std::uint32_t v = 0;
            while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9') {
                v = v * 10 + std::uint32_t(b[pos] - '0');
                if (v > h.maxval) too_big(i, v);
                ++pos;
            }
            r.samples[i] = std::uint16_t(v);
        }
    } else {
        const std::uint8_t* p = b.data() + h.data_offset;
        if (h.maxval > 255) {
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint32_t v = (std::uint32_t(p[2 * i]) << 8) | p[2 * i + 1];
                if (v > h.maxval) too_big(i, v);
                r.samples[i] = std::uint16_t(v);
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                if (p[i] > h.maxval) too_big(i, p[i]);
                r.samples[i] = p[i];
            }
        }
    }
    if (info_out) *info_out = pnm_info(h);
    return r;
}

/// Encodes a raster as binary PGM (1 channel, P5) or PPM (3 channels, P6).
inline std::vector<std::uint8_t> pnm_encode(const Raster& r) {
    const std::string header = lucid::detail::concat(r.channels == 3 ? "P6" : "P5", "\n", r.width, " ", r.height, "\n",
                                                     r.max_value, "\n");
    const bool wide = r.max_value > 255;
    std::vector<std::uint8_t> out;
    out.reserve(header.size() + r.samples.size() * (wide ? 2 : 1));
    out.insert(out.end(), header.begin(), header.end());
    for (std::uint16_t v : r.samples) {
        if (wide) out.push_back(std::uint8_t(v >> 8));
        out.push_back(std::uint8_t(v & 0xFF));
    }
    return out;
}

}  // namespace lucid::io::detail
