#pragma once
/// \file cnn_model.hpp
/// The `.lcnn` weights file of lucid's learned denoisers: parsing and
/// validation (magic, version, layer shapes, finite weights, CRC-32).
///
/// Layout (all integers uint32 and floats IEEE-754 binary32, little-endian):
///
/// | offset | field                                                        |
/// |--------|--------------------------------------------------------------|
/// | 0      | magic `LUCIDCNN` (8 bytes)                                   |
/// | 8      | version (= 1)                                                |
/// | 12     | input channels (= 2: image, noise-level map)                 |
/// | 16     | number of convolution layers L (2..64)                       |
/// | 20     | sigma_max (float; largest trained noise level)               |
/// | 24     | flags (bit 0: residual, D = y − R)                           |
/// | 28     | L layers: cin, cout, k (= 3), activation (0 none, 1 ReLU),   |
/// |        | then cout·cin·k·k floats in PyTorch order [cout][cin][ky][kx] |
/// | end−4  | CRC-32 (PNG/zlib polynomial) of every preceding byte          |
///
/// Layer l's cin must equal layer l−1's cout; the first cin is the input
/// channel count and the last cout is 1.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/io/checksum.hpp"

namespace lucid::denoisers {

/// A parsed `.lcnn` model: the layer weights and the header fields.
struct CnnModel {
    /// The file format version this code reads.
    static constexpr std::uint32_t format_version = 1;

    struct Layer {
        std::size_t cin = 0, cout = 0;
        bool relu = false;
        std::vector<float> weights;  ///< [cout][cin][3][3], PyTorch order
    };

    std::uint32_t version = format_version;
    std::size_t in_channels = 2;
    float sigma_max = 0;
    bool residual = true;
    std::uint32_t crc = 0;  ///< the file's CRC-32 (identifies the model)
    std::vector<Layer> layers;

    /// Number of weights.
    std::size_t parameter_count() const {
        std::size_t n = 0;
        for (const auto& l : layers) n += l.weights.size();
        return n;
    }

    /// Throws lucid::Error (naming `where` and the field) unless the model is
    /// one the network can run: 2 input channels, 2–64 layers chained by their
    /// channel counts, a one-channel last layer, cout·cin·9 finite weights per
    /// layer, σ_max in (0, 1]. `parse` checks the same while reading; this is
    /// for models built or edited in code.
    void validate(std::string_view where) const {
        const std::string w(where);
        require(in_channels == 2, w, "model.in_channels", "2 (image and noise-level map)", in_channels);
        require(layers.size() >= 2 && layers.size() <= 64, w, "model.layers", "2 to 64 layers", layers.size());
        require(std::isfinite(sigma_max) && sigma_max > 0 && sigma_max <= 1, w, "model.sigma_max",
                "finite and in (0, 1]", sigma_max);
        std::size_t prev = in_channels;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const Layer& L = layers[l];
            const std::string name = "model.layers[" + std::to_string(l) + "]";
            if (L.cin != prev) lucid::detail::fail_argument(w, name + ".cin", lucid::detail::concat(prev, " (the previous layer's cout)"), L.cin);
            if (L.cout < 1 || L.cout > 1024) lucid::detail::fail_argument(w, name + ".cout", "in [1, 1024]", L.cout);
            if (l + 1 == layers.size() && L.cout != 1)
                lucid::detail::fail_argument(w, name + ".cout", "1 (the last layer outputs one channel)", L.cout);
            if (L.weights.size() != L.cout * L.cin * 9)
                lucid::detail::fail_argument(w, name + ".weights", lucid::detail::concat(L.cout * L.cin * 9, " values (cout·cin·3·3)"),
                                             L.weights.size());
            for (float v : L.weights)
                if (!std::isfinite(v)) lucid::detail::fail_argument(w, name + ".weights", "finite", v);
            prev = L.cout;
        }
    }

    /// Parses and validates the bytes of a `.lcnn` file. `name` (the file
    /// name) appears in error messages; every failure throws lucid::Error
    /// naming the field and the expected value.
    static CnnModel parse(std::span<const std::uint8_t> bytes, std::string_view name = "model") {
        const std::string where = "lucid::denoisers::CnnModel::parse(" + std::string(name) + ")";
        auto fail = [&](std::string_view field, std::string_view expected, const auto& got) {
            lucid::detail::fail_argument(where, field, expected, got);
        };
        std::size_t off = 0;
        auto need = [&](std::size_t n, std::string_view what) {
            if (bytes.size() < 4 || off + n > bytes.size() - 4)
                fail("file", lucid::detail::concat("at least ", off + n + 4, " bytes to hold ", what, " (truncated?)"),
                     lucid::detail::concat(bytes.size(), " bytes"));
        };
        auto u32 = [&](std::string_view what) {
            need(4, what);
            std::uint32_t v = std::uint32_t(bytes[off]) | std::uint32_t(bytes[off + 1]) << 8 |
                              std::uint32_t(bytes[off + 2]) << 16 | std::uint32_t(bytes[off + 3]) << 24;
            off += 4;
            return v;
        };
        auto f32 = [&](std::string_view what) {
            const std::uint32_t u = u32(what);
            float f;
            std::memcpy(&f, &u, 4);
            return f;
        };
        if (bytes.size() < 8 || std::memcmp(bytes.data(), "LUCIDCNN", 8) != 0)
            fail("magic", "\"LUCIDCNN\" (a lucid .lcnn weights file)",
                 bytes.size() < 8 ? std::string("a file of ") + std::to_string(bytes.size()) + " bytes"
                                  : std::string(reinterpret_cast<const char*>(bytes.data()), 8));
        off = 8;
        CnnModel m;
        m.version = u32("the version");
        if (m.version != format_version)
            fail("version", lucid::detail::concat(format_version, " (the format this lucid reads)"), m.version);
        // The checksum covers everything; check it before trusting any size field.
        {
            const std::size_t n = bytes.size();
            if (n < 32) fail("file", "at least 32 bytes (header and checksum; truncated?)", lucid::detail::concat(n, " bytes"));
            const std::uint32_t stored = std::uint32_t(bytes[n - 4]) | std::uint32_t(bytes[n - 3]) << 8 |
                                         std::uint32_t(bytes[n - 2]) << 16 | std::uint32_t(bytes[n - 1]) << 24;
            const std::uint32_t computed = io::crc32(bytes.first(n - 4));
            if (stored != computed)
                fail("checksum", lucid::detail::concat("the CRC-32 of the preceding bytes, 0x", hex(computed),
                                                " (file corrupt or truncated)"),
                     "0x" + hex(stored));
            m.crc = stored;
        }
        m.in_channels = u32("the input channel count");
        if (m.in_channels != 2) fail("in_channels", "2 (image and noise-level map)", m.in_channels);
        const std::uint32_t nl = u32("the layer count");
        if (nl < 2 || nl > 64) fail("layers", "in [2, 64]", nl);
        m.sigma_max = f32("sigma_max");
        if (!(std::isfinite(m.sigma_max) && m.sigma_max > 0 && m.sigma_max <= 1))
            fail("sigma_max", "finite and in (0, 1]", m.sigma_max);
        const std::uint32_t flags = u32("the flags");
        if (flags > 1) fail("flags", "0 or 1 (bit 0: residual)", flags);
        m.residual = (flags & 1u) != 0;
        std::size_t prev = m.in_channels;
        for (std::uint32_t l = 0; l < nl; ++l) {
            Layer L;
            const std::string lname = "layer " + std::to_string(l);
            L.cin = u32(lname + " header");
            L.cout = u32(lname + " header");
            const std::uint32_t k = u32(lname + " header");
            const std::uint32_t act = u32(lname + " header");
            if (L.cin != prev) fail(lname + ".cin", lucid::detail::concat(prev, " (the previous layer's cout)"), L.cin);
            if (L.cout < 1 || L.cout > 1024) fail(lname + ".cout", "in [1, 1024]", L.cout);
            if (l + 1 == nl && L.cout != 1) fail(lname + ".cout", "1 (the last layer outputs one channel)", L.cout);
            if (k != 3) fail(lname + ".kernel_size", "3", k);
            if (act > 1) fail(lname + ".activation", "0 (none) or 1 (ReLU)", act);
            L.relu = act == 1;
            const std::size_t count = L.cout * L.cin * 9;
            need(count * 4, lname + " weights");
            L.weights.resize(count);
            std::memcpy(L.weights.data(), bytes.data() + off, count * 4);  // little-endian hosts
            off += count * 4;
            for (float w : L.weights)
                if (!std::isfinite(w)) fail(lname + ".weights", "finite", w);
            prev = L.cout;
            m.layers.push_back(std::move(L));
        }
        if (off + 4 != bytes.size())
            fail("file", lucid::detail::concat(off + 4, " bytes (header, layers, checksum)"),
                 lucid::detail::concat(bytes.size(), " bytes"));
        return m;
    }

    /// Reads and parses a `.lcnn` file (IoError when it cannot be read).
    static CnnModel read(const std::filesystem::path& path) {
        std::error_code ec;
        std::ifstream f;
        // a directory opens as an ifstream on Linux and fails only when read
        if (std::filesystem::is_regular_file(path, ec)) f.open(path, std::ios::binary);
        if (!f.is_open())
            lucid::detail::fail_argument<IoError>("lucid::denoisers::CnnModel::read", "path", "a readable .lcnn file",
                                           path.string());
        std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        return parse(bytes, path.filename().string());
    }

private:
    static std::string hex(std::uint32_t v) {
        char buf[9];
        std::snprintf(buf, sizeof buf, "%08x", v);
        return buf;
    }
};

}  // namespace lucid::denoisers
