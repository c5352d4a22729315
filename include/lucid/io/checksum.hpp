#pragma once
/// \file checksum.hpp
/// The two checksums of the PNG container: CRC-32 of every chunk and the
/// Adler-32 that ends the zlib stream of the image data.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lucid::io {

namespace detail {

/// Table of the reflected CRC-32 polynomial 0xEDB88320, one entry per byte value.
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    return table;
}

inline constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

}  // namespace detail

/// CRC-32 of ISO 3309 / ITU-T V.42 as used by PNG (ISO/IEC 15948 §5.5):
/// the remainder of \f$ x^{32} M(x) \f$ modulo the generator
/// \f$ x^{32}+x^{26}+x^{23}+x^{22}+x^{16}+x^{12}+x^{11}+x^{10}+x^8+x^7+x^5+x^4+x^2+x+1 \f$,
/// bit-reflected, with register preset to 0xFFFFFFFF and the result complemented.
///
/// Incremental use: `crc = crc32(part2, crc32(part1))` equals `crc32(part1 ∥ part2)`.
/// Check value: `crc32("123456789") == 0xCBF43926`.
inline std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t previous = 0) {
    std::uint32_t c = previous ^ 0xFFFFFFFFu;
    for (std::uint8_t b : bytes) c = detail::crc32_table[(c ^ b) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/// Adler-32 of RFC 1950 §9: \f$ A = 1 + \sum_i d_i \bmod 65521 \f$,
/// \f$ B = \sum_i A_i \bmod 65521 \f$ (A after each byte), result \f$ B\cdot 2^{16} + A \f$.
/// Check value: `adler32("Wikipedia") == 0x11E60398`.
inline std::uint32_t adler32(std::span<const std::uint8_t> bytes) {
    constexpr std::uint32_t mod = 65521;
    std::uint32_t a = 1, b = 0;
    std::size_t i = 0;
    const std::size_t n = bytes.size();
    while (i < n) {
        // 5552 is the largest block for which b cannot overflow 32 bits (zlib's NMAX).
        const std::size_t end = std::min(n, i + 5552);
        for (; i < end; ++i) {
            a += bytes[i];
            b += a;
        }
        a %= mod;
        b %= mod;
    }
    return (b << 16) | a;
}

}  // namespace lucid::io
