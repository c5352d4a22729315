// Image I/O: PNG and PGM/PPM round trips, peers (OpenCV, Pillow), corrupt
// and hostile files, the pixel limit, atomic writes.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>

#include "lucid/lucid.hpp"
#include "support/peers.hpp"
#include "support/compare.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

fs::path scratch(const std::string& name) {
    const fs::path dir = test::scratch_dir() / "io";
    fs::create_directories(dir);
    return dir / name;
}

template <class T>
ImageStack<T> random_stack(std::size_t c, std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    ImageStack<T> x({c, h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

Bytes read_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const fs::path& p, const Bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    REQUIRE(f.good());
}

void write_text(const fs::path& p, const std::string& s) { write_bytes(p, Bytes(s.begin(), s.end())); }

std::vector<std::string> directory_listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A PNG built chunk by chunk with lucid's chunk writer, for hostile and unusual files.
struct PngBuilder {
    Bytes out{std::begin(io::detail::png_signature), std::end(io::detail::png_signature)};
    void chunk(const char (&type)[5], const Bytes& data) { io::detail::png_put_chunk(out, type, data); }
    void ihdr(std::uint32_t w, std::uint32_t h, int depth, int color_type, int interlace = 0) {
        Bytes d;
        io::detail::store_be32(d, w);
        io::detail::store_be32(d, h);
        d.insert(d.end(), {std::uint8_t(depth), std::uint8_t(color_type), 0, 0, std::uint8_t(interlace)});
        chunk("IHDR", d);
    }
    void idat_compressed(Bytes raw) {
        int zlen = 0;
        unsigned char* z = stbi_zlib_compress(raw.data(), int(raw.size()), &zlen, 8);
        REQUIRE(z);
        chunk("IDAT", Bytes(z, z + zlen));
        std::free(z);
    }
    void iend() { chunk("IEND", {}); }
};

// The scanlines of PNG image data in file order (the test's own Adam7 tables,
// independent of the decoder's): start_pass() before each pass, then
// put_row(y, x0, dx) for each of its rows — one pass of every row, or Adam7's
// seven; an Adam7 pass with no columns has no rows at all.
template <class StartPass, class PutRow>
void for_each_scanline(std::size_t w, std::size_t h, bool interlace, StartPass&& start_pass, PutRow&& put_row) {
    if (!interlace) {
        start_pass();
        for (std::size_t y = 0; y < h; ++y) put_row(y, 0, 1);
        return;
    }
    const int xs[7] = {0, 4, 0, 2, 0, 1, 0}, ys[7] = {0, 0, 4, 0, 2, 0, 1};
    const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    for (int p = 0; p < 7; ++p) {
        start_pass();
        if (std::size_t(xs[p]) >= w) continue;
        for (std::size_t y = std::size_t(ys[p]); y < h; y += std::size_t(dy[p])) put_row(y, std::size_t(xs[p]), std::size_t(dx[p]));
    }
}

// Raw (filter type 0) scanlines of 8/16-bit samples, optionally Adam7-interlaced.
Bytes png_raw(const std::vector<std::uint16_t>& samples, std::size_t w, std::size_t h, int spp, int depth,
              bool interlace) {
    Bytes raw;
    auto put_row = [&](std::size_t y, std::size_t x0, std::size_t dx) {
        raw.push_back(0);
        for (std::size_t x = x0; x < w; x += dx)
            for (int c = 0; c < spp; ++c) {
                const std::uint16_t v = samples[(y * w + x) * std::size_t(spp) + std::size_t(c)];
                if (depth == 16) raw.push_back(std::uint8_t(v >> 8));
                raw.push_back(std::uint8_t(v & 0xFF));
            }
    };
    for_each_scanline(w, h, interlace, [] {}, put_row);
    return raw;
}

// Palette indices (1, 2, 4 or 8 bits, packed from the byte's high bits) as
// PNG image data, each row with a random filter type 0..4 (filter distance 1
// byte), optionally Adam7-interlaced: an encoder independent of the decoder's.
Bytes png_palette_raw(const std::vector<std::uint8_t>& index, std::size_t w, std::size_t h, int depth, bool interlace,
                      unsigned seed) {
    std::mt19937 rng(seed);
    Bytes raw;
    Bytes prev;  // the previous unfiltered row of the current pass (empty at a pass start)
    auto put_row = [&](std::size_t y, std::size_t x0, std::size_t dx) {
        Bytes row;
        std::size_t bit = 0;
        for (std::size_t x = x0; x < w; x += dx, bit += std::size_t(depth)) {
            if (bit % 8 == 0) row.push_back(0);
            row.back() = std::uint8_t(row.back() | (index[y * w + x] << (8 - depth - int(bit % 8))));
        }
        const int type = int(rng() % 5);
        raw.push_back(std::uint8_t(type));
        for (std::size_t i = 0; i < row.size(); ++i) {
            const int a = i > 0 ? row[i - 1] : 0, b = prev.empty() ? 0 : prev[i], c = i > 0 && !prev.empty() ? prev[i - 1] : 0;
            const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
            const int predictor[5] = {0, a, b, (a + b) / 2, pa <= pb && pa <= pc ? a : pb <= pc ? b : c};
            raw.push_back(std::uint8_t(row[i] - predictor[type]));
        }
        prev = row;
    };
    for_each_scanline(w, h, interlace, [&] { prev.clear(); }, put_row);
    return raw;
}

std::vector<std::uint16_t> random_samples(std::size_t n, std::uint32_t max, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::uint32_t> u(0, max);
    std::vector<std::uint16_t> s(n);
    for (auto& v : s) v = std::uint16_t(u(rng));
    return s;
}

// Expected planar [0,1] image of interleaved samples, alpha dropped.
ImageStack<double> expected_stack(const std::vector<std::uint16_t>& s, std::size_t w, std::size_t h, int spp, double max) {
    const std::size_t cc = (spp == 2 || spp == 4) ? std::size_t(spp - 1) : std::size_t(spp);
    ImageStack<double> e({cc, h, w});
    for (std::size_t c = 0; c < cc; ++c)
        for (std::size_t i = 0; i < h * w; ++i) e.data()[c * h * w + i] = s[i * std::size_t(spp) + c] / max;
    return e;
}

bool have_python_peers(const char* module) {
    if (!test::python_has(module)) {
        WARN("skipped: /usr/bin/python3 has no " << module);
        return false;
    }
    return true;
}

}  // namespace

TEST_CASE("CRC-32 and Adler-32 match their standard check values", "[io][checksum]") {
    const std::string digits = "123456789";
    const auto* d = reinterpret_cast<const std::uint8_t*>(digits.data());
    CHECK(io::crc32({d, 9}) == 0xCBF43926u);
    CHECK(io::crc32({d + 4, 5}, io::crc32({d, 4})) == 0xCBF43926u);  // incremental
    CHECK(io::crc32({}) == 0u);
    const std::string wiki = "Wikipedia";
    CHECK(io::adler32({reinterpret_cast<const std::uint8_t*>(wiki.data()), wiki.size()}) == 0x11E60398u);
    CHECK(io::adler32({}) == 1u);
    // long input crosses the 5552-byte reduction blocks: all 0xFF bytes, closed form
    const Bytes ff(100000, 0xFF);
    const std::uint64_t n = ff.size();
    const std::uint64_t a = (1 + 255 * n) % 65521, b = (n + 255 * n * (n + 1) / 2) % 65521;
    CHECK(io::adler32(ff) == std::uint32_t((b << 16) | a));
}

TEMPLATE_TEST_CASE("round trips: PNG and PGM/PPM, 8 and 16 bit, gray and RGB", "[io][roundtrip]", float, double) {
    using T = TestType;
    const double eps = std::is_same_v<T, float> ? 1e-7 : 1e-15;
    const auto rgb = random_stack<T>(3, 37, 53, 1);
    const auto gray_stack = random_stack<T>(1, 41, 29, 2);
    Image<T> gray({41, 29});
    std::copy(gray_stack.begin(), gray_stack.end(), gray.begin());

    for (int bits : {8, 16}) {
        const double step = bits == 8 ? 1.0 / 255 : 1.0 / 65535;
        for (const char* ext : {".png", ".ppm", ".pnm"}) {
            const auto p = scratch(std::string("rgb") + std::to_string(bits) + ext);
            io::write(p, rgb, {.bit_depth = bits});
            auto back = io::read_with_info<T>(p);
            CAPTURE(p, bits);
            REQUIRE(back.image.shape() == rgb.shape());
            CHECK(max_abs_diff(back.image, rgb) <= step / 2 + eps);
            CHECK(back.info.channels == 3);
            CHECK(back.info.bit_depth == bits);
            CHECK(back.info.width == 53);
            CHECK(back.info.height == 37);
            CHECK_FALSE(back.info.has_alpha);
            // quantized values survive a second round exactly
            io::write(p, back.image, {.bit_depth = bits});
            CHECK(max_abs_diff(io::read<T>(p), back.image) <= eps);
        }
        for (const char* ext : {".png", ".pgm", ".pnm", ".PNG"}) {
            const auto p = scratch(std::string("gray") + std::to_string(bits) + ext);
            io::write(p, gray, {.bit_depth = bits});
            const auto back = io::read_gray<T>(p);
            CAPTURE(p, bits);
            REQUIRE(back.shape() == gray.shape());
            CHECK(max_abs_diff(back, gray) <= step / 2 + eps);
            const auto info = io::read_info(p);
            CHECK(info.channels == 1);
            CHECK(info.bit_depth == bits);
            CHECK(info.max_value == (bits == 8 ? 255u : 65535u));
            CHECK(info.format == (std::string(ext) == ".pgm" || std::string(ext) == ".pnm" ? io::Format::pgm : io::Format::png));
            // a 1-channel stack writes the same file as the H×W image
            const auto p2 = scratch(std::string("gray_stack") + std::to_string(bits) + ext);
            io::write(p2, gray_stack, {.bit_depth = bits});
            CHECK(read_bytes(p2) == read_bytes(p));
        }
    }
}

TEST_CASE("quantization: clamping, round half up, exact 16-bit grid", "[io][roundtrip]") {
    Image<double> x({1, 6});
    x(0, 0) = -0.5;             // clamped to 0
    x(0, 1) = 1.7;              // clamped to 1
    x(0, 2) = 0.5;              // 127.5 -> 128
    x(0, 3) = 0.5 / 255 - 1e-9; // rounds down to 0
    x(0, 4) = 1.0 / 3;          // 85
    x(0, 5) = 1.0;
    const auto p = scratch("quant.pgm");
    io::write(p, x);
    const Bytes b = read_bytes(p);
    const std::string header = "P5\n6 1\n255\n";
    REQUIRE(b.size() == header.size() + 6);
    CHECK(std::string(b.begin(), b.begin() + std::ptrdiff_t(header.size())) == header);
    CHECK(Bytes(b.begin() + std::ptrdiff_t(header.size()), b.end()) == Bytes{0, 255, 128, 0, 85, 255});

    // every 16-bit level k/65535 round-trips exactly through PNG
    Image<double> levels({256, 256});
    for (std::size_t i = 0; i < levels.size(); ++i) levels.data()[i] = double(i) / 65535.0;
    const auto q = scratch("levels16.png");
    io::write(q, levels, {.bit_depth = 16});
    CHECK(max_abs_diff(io::read_gray<double>(q), levels) == 0.0);
}

TEST_CASE("gray/color conversions: BT.601 luma, replication, alpha dropped", "[io][channels]") {
    auto rgb = random_stack<double>(3, 8, 9, 3);
    const auto p = scratch("luma.png");
    io::write(p, rgb, {.bit_depth = 16});
    const auto stored = io::read<double>(p);
    const auto gray = io::read_gray<double>(p);
    for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t j = 0; j < 9; ++j)
            CHECK(gray(i, j) == Approx(0.299 * stored(0, i, j) + 0.587 * stored(1, i, j) + 0.114 * stored(2, i, j)).margin(1e-15));

    Image<float> g({5, 4});
    for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = float(i) / 19.0f;
    const auto pg = scratch("rep.pgm");
    io::write(pg, g, {.bit_depth = 16});
    const auto color = io::read_color<float>(pg);
    REQUIRE(color.shape() == (ImageStack<float>::shape_type{3, 5, 4}));
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 4; ++j) CHECK(color(c, i, j) == Approx(g(i, j)).margin(0.5 / 65535 + 1e-7));
    CHECK(io::read<float>(pg).shape()[0] == 1);

    // a gray image written as .ppm has three equal channels
    const auto pp = scratch("gray_as.ppm");
    io::write(pp, g);
    CHECK(io::read_info(pp).format == io::Format::ppm);
    const auto c3 = io::read<double>(pp);
    REQUIRE(c3.shape()[0] == 3);
    for (std::size_t i = 0; i < 5 * 4; ++i) CHECK(c3.data()[i] == c3.data()[2 * 5 * 4 + i]);

    // RGBA and gray+alpha PNG (8 and 16 bit): alpha dropped, flagged in the info
    for (int spp : {2, 4}) {
        for (int depth : {8, 16}) {
            const std::size_t w = 11, h = 7;
            const auto s = random_samples(w * h * std::size_t(spp), depth == 8 ? 255 : 65535, unsigned(spp * depth));
            PngBuilder png;
            png.ihdr(w, h, depth, spp == 2 ? 4 : 6);
            png.idat_compressed(png_raw(s, w, h, spp, depth, false));
            png.iend();
            const auto pa = scratch("alpha" + std::to_string(spp) + "_" + std::to_string(depth) + ".png");
            write_bytes(pa, png.out);
            const auto r = io::read_with_info<double>(pa);
            CAPTURE(spp, depth);
            CHECK(r.info.has_alpha);
            CHECK(r.info.channels == spp - 1);
            CHECK(r.info.bit_depth == depth);
            CHECK(max_abs_diff(r.image, expected_stack(s, w, h, spp, depth == 8 ? 255.0 : 65535.0)) < 1e-15);
        }
    }
}

TEST_CASE("interlaced (Adam7) PNG of every small size decodes exactly", "[io][png]") {
    // small sizes exercise empty Adam7 passes; the bounded inflate must size them right
    for (std::size_t w : {1u, 2u, 3u, 5u, 8u, 9u, 17u})
        for (std::size_t h : {1u, 2u, 4u, 7u, 13u})
            for (int spp : {1, 3}) {
                const int depth = (w + h) % 2 ? 16 : 8;
                const auto s = random_samples(w * h * std::size_t(spp), depth == 8 ? 255 : 65535, unsigned(w * 100 + h));
                PngBuilder png;
                png.ihdr(std::uint32_t(w), std::uint32_t(h), depth, spp == 1 ? 0 : 2, 1);
                png.idat_compressed(png_raw(s, w, h, spp, depth, true));
                png.iend();
                CAPTURE(w, h, spp, depth);
                const auto r = io::decode<double>(png.out);
                CHECK(r.info.interlaced);
                CHECK(max_abs_diff(r.image, expected_stack(s, w, h, spp, depth == 8 ? 255.0 : 65535.0)) < 1e-15);
            }
}

TEST_CASE("palette PNG: filtered indices decode to their PLTE colours; an index past PLTE is refused", "[io][png]") {
    const auto path = scratch("palette.png");
    unsigned seed = 1;
    for (int depth : {1, 2, 4, 8})
        for (bool interlace : {false, true})
            for (auto [w, h] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {3, 5}, {13, 7}, {33, 9}}) {
                // one entry short of the depth's range (depth 1: both), so a wrong unfilter shows as a bad index
                const unsigned entries = depth == 1 ? 2u : depth == 8 ? 200u : (1u << depth) - 1;
                Bytes plte;
                for (unsigned k = 0; k < entries; ++k)
                    plte.insert(plte.end(), {std::uint8_t(k), std::uint8_t(255 - k), std::uint8_t((3 * k) & 0xFF)});
                std::mt19937 rng(seed++);
                std::vector<std::uint8_t> index(w * h);
                for (auto& v : index) v = std::uint8_t(rng() % entries);
                auto build = [&](const std::vector<std::uint8_t>& idx) {
                    PngBuilder png;
                    png.ihdr(std::uint32_t(w), std::uint32_t(h), depth, 3, interlace ? 1 : 0);
                    png.chunk("PLTE", plte);
                    png.idat_compressed(png_palette_raw(idx, w, h, depth, interlace, seed));
                    png.iend();
                    return png.out;
                };
                CAPTURE(depth, interlace, w, h);
                const auto r = io::decode<double>(build(index));
                REQUIRE(r.image.shape()[0] == 3);
                double worst = 0;
                for (std::size_t i = 0; i < w * h; ++i)
                    for (std::size_t c = 0; c < 3; ++c)
                        worst = std::max(worst, std::abs(r.image.data()[c * w * h + i] * 255 - plte[3 * index[i] + c]));
                CHECK(worst < 1e-9);
                if (entries < (1u << depth)) {
                    auto bad = index;
                    bad[(w * h) / 2] = std::uint8_t(entries);
                    write_bytes(path, build(bad));
                    CHECK_THROWS_AS(io::read<double>(path), IoError);
                    CHECK_THROWS_WITH(io::read<double>(path), Catch::Contains("palette index " + std::to_string(entries)) &&
                                                                  Catch::Contains(path.string()));
                }
            }
    // PLTE lengths: not a multiple of 3, more entries than the bit depth allows
    for (auto [bytes, depth, reason] : std::vector<std::tuple<std::size_t, int, const char*>>{
             {4, 8, "multiple of 3"}, {0, 8, "multiple of 3"}, {3 * 257, 8, "multiple of 3"}, {3 * 5, 2, "more than 4"}}) {
        PngBuilder png;
        png.ihdr(2, 2, depth, 3);
        png.chunk("PLTE", Bytes(bytes, 9));
        png.idat_compressed(Bytes(2 * 2, 0));
        png.iend();
        write_bytes(path, png.out);
        CAPTURE(bytes, depth);
        CHECK_THROWS_WITH(io::read<double>(path), Catch::Contains(reason));
    }
}

TEST_CASE("plain and binary PNM with comments, any maxval", "[io][pnm]") {
    const auto p2 = scratch("plain.pgm");
    write_text(p2, "P2\n# a comment\n3 2 # width height\n# another\n1000\n0 500 1000\n# inside the data\n1 2\n3\n");
    const auto r2 = io::read_with_info<double>(p2);
    CHECK(r2.info.plain);
    CHECK(r2.info.max_value == 1000);
    CHECK(r2.info.bit_depth == 10);
    CHECK(r2.info.format == io::Format::pgm);
    CHECK(r2.image(0, 0, 1) == Approx(0.5));
    CHECK(r2.image(0, 1, 2) == Approx(0.003));

    const auto p3 = scratch("plain.ppm");
    write_text(p3, "P3 2 1 7\n7 0 0  1 2 3");
    const auto r3 = io::read<double>(p3);
    REQUIRE(r3.shape() == (ImageStack<double>::shape_type{3, 1, 2}));
    CHECK(r3(0, 0, 0) == Approx(1.0));
    CHECK(r3(2, 0, 1) == Approx(3.0 / 7));

    // binary P5, maxval 300 (2 bytes big-endian), comment in the header
    std::string s = "P5\n#c\n2 1\n300\n";
    Bytes b(s.begin(), s.end());
    b.insert(b.end(), {0x01, 0x2C, 0x00, 0x96});  // 300, 150
    const auto p5 = scratch("wide.pgm");
    write_bytes(p5, b);
    const auto r5 = io::read_gray<double>(p5);
    CHECK(r5(0, 0) == 1.0);
    CHECK(r5(0, 1) == Approx(0.5));
}

TEST_CASE("shipped data files read as their documented shapes", "[io][data]") {
    CHECK(io::read<double>(test::source_path("data/camera.png")).shape() == (ImageStack<double>::shape_type{1, 256, 256}));
    CHECK(io::read<double>(test::source_path("data/grass.png")).shape() == (ImageStack<double>::shape_type{1, 256, 256}));
    CHECK(io::read<double>(test::source_path("data/astronaut.png")).shape() == (ImageStack<double>::shape_type{3, 256, 256}));
    CHECK(io::read<double>(test::source_path("data/chelsea.png")).shape() == (ImageStack<double>::shape_type{3, 240, 320}));
}

TEST_CASE("peer: OpenCV reads our files and we read OpenCV's and Pillow's", "[io][peer]") {
    if (!have_python_peers("cv2") || !have_python_peers("PIL")) return;
    // our files, 8 and 16 bit; OpenCV's integer samples must equal round(x·max)
    const auto rgb = random_stack<double>(3, 23, 31, 7);
    Image<double> gray({19, 27});
    {
        const auto g = random_stack<double>(1, 19, 27, 8);
        std::copy(g.begin(), g.end(), gray.begin());
    }
    std::vector<std::string> files;
    for (int bits : {8, 16})
        for (const char* ext : {".png", ".ppm", ".pgm"}) {
            const auto p = scratch(std::string("ours") + std::to_string(bits) + ext);
            if (std::string(ext) == ".pgm") io::write(p, gray, {.bit_depth = bits});
            else io::write(p, rgb, {.bit_depth = bits});
            files.push_back(p.string());
        }
    const auto out_dir = scratch("peer_out");
    fs::create_directories(out_dir);
    test::run_python_code(R"PY(
import sys, cv2, numpy as np
out = sys.argv[1]
for i, f in enumerate(sys.argv[2:]):
    a = cv2.imread(f, cv2.IMREAD_UNCHANGED)
    if a is None: raise SystemExit("cv2 cannot read " + f)
    if a.ndim == 3: a = a[:, :, ::-1].transpose(2, 0, 1)   # BGR HxWxC -> RGB CxHxW
    else: a = a[None]
    np.save(f"{out}/ours_{i}.npy", a.astype(np.int64))
    np.save(f"{out}/ours_{i}_depth.npy", np.array([16 if a.dtype == np.uint16 else 8], dtype=np.int64))
)PY", [&] {
        std::vector<std::string> a{out_dir.string()};
        a.insert(a.end(), files.begin(), files.end());
        return a;
    }());
    for (std::size_t i = 0; i < files.size(); ++i) {
        CAPTURE(files[i]);
        const auto got = test::read_npy<double>(out_dir / ("ours_" + std::to_string(i) + ".npy"));
        const auto depth = test::read_npy<double>(out_dir / ("ours_" + std::to_string(i) + "_depth.npy"));
        const int bits = i < 3 ? 8 : 16;
        CHECK(depth(0) == bits);
        const double m = bits == 8 ? 255.0 : 65535.0;
        const bool is_gray = files[i].ends_with(".pgm");
        const std::size_t n = is_gray ? gray.size() : rgb.size();
        REQUIRE(got.size() == n);
        std::size_t mismatches = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const double x = is_gray ? gray.data()[k] : rgb.data()[k];
            if (got.data()[k] != std::floor(x * m + 0.5)) ++mismatches;
        }
        CHECK(mismatches == 0);
    }

    // files written by OpenCV and Pillow: 16-bit PNG/PGM/PPM, palette, 1-bit,
    // gray+alpha, RGBA; truth = Pillow's / OpenCV's integer arrays
    const auto in_dir = scratch("peer_in");
    fs::create_directories(in_dir);
    test::run_python_code(R"PY(
import sys, cv2, numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(5)
def save(name, chw, maxv):
    np.save(f"{d}/{name}.npy", np.asarray(chw, dtype=np.float64) / maxv)
g16 = rng.integers(0, 65536, (13, 21), dtype=np.uint16)
c16 = rng.integers(0, 65536, (13, 21, 3), dtype=np.uint16)
cv2.imwrite(f"{d}/cv_g16.png", g16); save("cv_g16.png", g16[None], 65535)
cv2.imwrite(f"{d}/cv_c16.png", c16); save("cv_c16.png", c16[:, :, ::-1].transpose(2, 0, 1), 65535)
cv2.imwrite(f"{d}/cv_g16.pgm", g16); save("cv_g16.pgm", g16[None], 65535)
cv2.imwrite(f"{d}/cv_c16.ppm", c16); save("cv_c16.ppm", c16[:, :, ::-1].transpose(2, 0, 1), 65535)
c8 = rng.integers(0, 256, (9, 14, 3), dtype=np.uint8)
Image.fromarray(c8).save(f"{d}/pil_rgb8.png"); save("pil_rgb8.png", c8.transpose(2, 0, 1), 255)
rgba = rng.integers(0, 256, (9, 14, 4), dtype=np.uint8)
Image.fromarray(rgba, "RGBA").save(f"{d}/pil_rgba.png"); save("pil_rgba.png", rgba[:, :, :3].transpose(2, 0, 1), 255)
la = rng.integers(0, 256, (9, 14, 2), dtype=np.uint8)
Image.fromarray(la, "LA").save(f"{d}/pil_la.png"); save("pil_la.png", la[None, :, :, 0], 255)
p = Image.fromarray(c8).quantize(16)
p.save(f"{d}/pil_palette.png"); save("pil_palette.png", np.asarray(p.convert("RGB")).transpose(2, 0, 1), 255)
p.save(f"{d}/pil_palette4.png", bits=4); save("pil_palette4.png", np.asarray(p.convert("RGB")).transpose(2, 0, 1), 255)
b = Image.fromarray(rng.integers(0, 2, (10, 13), dtype=np.uint8) * 255).convert("1")
b.save(f"{d}/pil_1bit.png"); save("pil_1bit.png", np.asarray(b, dtype=np.float64)[None], 1)
)PY", {in_dir.string()});
    for (const char* name : {"cv_g16.png", "cv_c16.png", "cv_g16.pgm", "cv_c16.ppm", "pil_rgb8.png", "pil_rgba.png",
                             "pil_la.png", "pil_palette.png", "pil_palette4.png", "pil_1bit.png"}) {
        CAPTURE(name);
        const auto want = test::read_npy<double>(in_dir / (std::string(name) + ".npy"));
        const auto got = io::read_with_info<double>(in_dir / name);
        REQUIRE(got.image.size() == want.size());
        CHECK(std::equal(got.image.shape().begin(), got.image.shape().end(), want.shape().begin()));
        CHECK(max_abs_diff(got.image, want) < 1e-15);
        CHECK(got.info.has_alpha == (std::string(name) == "pil_rgba.png" || std::string(name) == "pil_la.png"));
    }
    CHECK(io::read_info(in_dir / "pil_1bit.png").bit_depth == 1);
    CHECK(io::read_info(in_dir / "pil_palette4.png").bit_depth == 8);

    // the shipped PNGs decode to the same integers as OpenCV
    test::run_python_code(R"PY(
import sys, cv2, numpy as np
for name in ["camera", "astronaut"]:
    a = cv2.imread(f"{sys.argv[1]}/data/{name}.png", cv2.IMREAD_UNCHANGED)
    a = a[:, :, ::-1].transpose(2, 0, 1) if a.ndim == 3 else a[None]
    np.save(f"{sys.argv[2]}/{name}.npy", a.astype(np.float64) / 255)
)PY", {LUCID_SOURCE_DIR, in_dir.string()});
    for (const char* name : {"camera", "astronaut"}) {
        const auto want = test::read_npy<double>(in_dir / (std::string(name) + ".npy"));
        CHECK(max_abs_diff(io::read<double>(test::source_path(std::string("data/") + name + ".png")), want) < 1e-15);
    }
}

TEST_CASE("missing, empty, special and unsupported files give IoError naming the path", "[io][errors]") {
    const auto missing = scratch("does-not-exist.png");
    CHECK_THROWS_AS(io::read<double>(missing), IoError);
    CHECK_THROWS_WITH(io::read<double>(missing), Catch::Contains(missing.string()) && Catch::Contains("No such file"));
    CHECK_THROWS_WITH(io::read_gray<double>(missing), Catch::Contains("lucid::io::read_gray"));

    const auto empty = scratch("empty.png");
    write_bytes(empty, {});
    CHECK_THROWS_WITH(io::read<double>(empty), Catch::Contains(empty.string()) && Catch::Contains("empty"));

    const auto dir = scratch("a-directory.png");
    fs::create_directories(dir);
    CHECK_THROWS_WITH(io::read<double>(dir), Catch::Contains(dir.string()) && Catch::Contains("directory"));

    const auto fifo = scratch("fifo.png");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(io::read<double>(fifo), Catch::Contains("not a regular file"));  // and no hang

    const auto garbage = scratch("garbage.png");
    std::mt19937 rng(9);
    Bytes g(4096);
    for (auto& v : g) v = std::uint8_t(rng());
    g[0] = 'x';
    write_bytes(garbage, g);
    CHECK_THROWS_WITH(io::read<double>(garbage), Catch::Contains(garbage.string()) && Catch::Contains("unrecognized"));

    const auto jpeg = scratch("photo.png");
    write_bytes(jpeg, {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'});
    CHECK_THROWS_WITH(io::read<double>(jpeg), Catch::Contains("JPEG"));

    const auto pbm = scratch("bits.pbm");
    write_text(pbm, "P4\n8 1\n\xAA");
    CHECK_THROWS_WITH(io::read<double>(pbm), Catch::Contains("P4") && Catch::Contains(pbm.string()));

    CHECK_THROWS_AS(io::read<double>(""), Error);
    CHECK_THROWS_WITH(io::read<double>(test::source_path("data/camera.png"), {.max_pixels = 0}),
                      Catch::Contains("options.max_pixels"));
}

TEST_CASE("corrupt and truncated PNG files are refused", "[io][errors][png]") {
    Image<double> x({32, 40});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = double(i % 97) / 96;
    const Bytes good = io::encode(x, io::Format::png, {.bit_depth = 16});
    REQUIRE_NOTHROW(io::decode<double>(good));
    const auto path = scratch("bad.png");
    // structural errors are found by read_info too; errors in the compressed data only by decoding
    auto expect_error = [&](const Bytes& b, const char* reason, bool structural = true) {
        write_bytes(path, b);
        CAPTURE(reason);
        CHECK_THROWS_AS(io::read<double>(path), IoError);
        CHECK_THROWS_WITH(io::read<double>(path), Catch::Contains(path.string()) && Catch::Contains(reason));
        if (structural) CHECK_THROWS_WITH(io::read_info(path), Catch::Contains(path.string()));
        else CHECK_NOTHROW(io::read_info(path));
    };
    // truncated anywhere: in the signature, a chunk header, IDAT, before IEND
    expect_error(Bytes(good.begin(), good.begin() + 5), "");
    for (std::size_t cut : {std::size_t(20), good.size() / 2, good.size() - 12, good.size() - 1}) {
        CAPTURE(cut);
        expect_error(Bytes(good.begin(), good.begin() + std::ptrdiff_t(cut)), "truncated");
    }
    // a flipped bit in the IDAT payload breaks its CRC (stb_image alone would not notice)
    const std::size_t idat = 8 + 25 + 8;  // first IDAT payload byte
    Bytes flipped = good;
    flipped[idat + 10] ^= 0x10;
    expect_error(flipped, "CRC mismatch in chunk 'IDAT'");
    // ... and with the CRC recomputed the zlib stream itself is caught
    {
        const std::uint32_t len = io::detail::load_be32(flipped.data() + idat - 8);
        const std::uint32_t crc = io::crc32({flipped.data() + idat - 4, std::size_t(len) + 4});
        for (int k = 0; k < 4; ++k) flipped[idat + len + std::size_t(k)] = std::uint8_t(crc >> (24 - 8 * k));
        expect_error(flipped, "corrupt", false);
    }
    // an IDAT that inflates to more than the header allows (zlib bomb) or less
    for (std::size_t raw_size : {std::size_t(1) << 20, std::size_t(16 * 9)}) {
        PngBuilder png;
        png.ihdr(16, 16, 8, 0);
        png.idat_compressed(Bytes(raw_size, 0));
        png.iend();
        expect_error(png.out, raw_size > 1000 ? "inflates to more than" : "inflates to 144 of the 272 bytes", false);
    }
    // structural errors
    {
        PngBuilder png;
        png.chunk("tEXt", {'a', 0, 'b'});
        expect_error(png.out, "first chunk is 'tEXt'");
    }
    {
        PngBuilder png;
        png.ihdr(4, 4, 3, 0);  // gray depth 3 does not exist
        expect_error(png.out, "bit depth 3");
    }
    {
        PngBuilder png;
        png.ihdr(4, 4, 8, 3);
        png.idat_compressed(Bytes(4 * 5, 0));
        png.iend();
        expect_error(png.out, "PLTE");
    }
    {
        PngBuilder png;
        png.ihdr(4, 4, 8, 0);
        png.iend();
        expect_error(png.out, "no IDAT");
    }
    {
        PngBuilder png;
        png.ihdr(0, 4, 8, 0);
        expect_error(png.out, "invalid size 0x4");
    }
}

TEST_CASE("corrupt PNM files are refused", "[io][errors][pnm]") {
    const auto path = scratch("bad.pgm");
    auto expect_error = [&](const std::string& content, const char* reason) {
        write_text(path, content);
        CAPTURE(content.substr(0, 40), reason);
        CHECK_THROWS_AS(io::read<double>(path), IoError);
        CHECK_THROWS_WITH(io::read<double>(path), Catch::Contains(path.string()) && Catch::Contains(reason));
    };
    expect_error("P5\n4 4\n255\n" + std::string(15, 'a'), "need 16 bytes");
    expect_error("P6\n4 4\n65535\n" + std::string(95, 'a'), "need 96 bytes");
    expect_error("P5\n100000 100000\n255\n" + std::string(100, 'a'), "100000x100000");
    expect_error("P2\n3 3\n255\n1 2 3 4 5 6 7 8 # a long comment, no ninth sample\n", "found 8 of 9 samples");
    expect_error("P2\n300000 300000\n255\n1 2 3", "max_pixels");
    expect_error("P2\n2 2\n255\n1 2 3", "truncated");
    expect_error("P2\n2 1\n9\n1 10", "above maxval");
    expect_error("P2\n2 1\n9\n1 x", "unexpected 'x'");
    expect_error("P5\n2 1\n0\nab", "maxval must be in 1..65535");
    expect_error("P5\n2 1\n70000\nabcd", "maxval must be in 1..65535");
    expect_error("P5\n0 1\n255\nab", "invalid size 0x1");
    expect_error("P5\n99999999999 1\n255\nab", "absurdly large");
    expect_error("P5\n2 1\n", "truncated");
    expect_error("P5\n2", "truncated");
    expect_error("P5 -2 1 255 ab", "expected the width");
    expect_error("P5\n2 1\n255", "no pixel data");
    expect_error("P52 1 255 ab", "no whitespace after the magic");
    expect_error("P5\n2 1\n100\n\xFF\x01", "above maxval");
}

TEST_CASE("pixel limit refuses large images before decoding", "[io][limit]") {
    const auto camera = test::source_path("data/camera.png");  // 256×256 = 65536 pixels
    CHECK_NOTHROW(io::read<float>(camera, {.max_pixels = 65536}));
    CHECK_THROWS_AS(io::read<float>(camera, {.max_pixels = 65535}), IoError);
    CHECK_THROWS_WITH(io::read<float>(camera, {.max_pixels = 65535}),
                      Catch::Contains("256x256") && Catch::Contains("max_pixels") && Catch::Contains(camera));
    // a PNG header claiming 100000×100000 (valid CRC, no data): refused from the IHDR
    PngBuilder png;
    png.ihdr(100000, 100000, 16, 2);
    png.idat_compressed(Bytes(64, 0));
    png.iend();
    const auto huge = scratch("huge.png");
    write_bytes(huge, png.out);
    CHECK_THROWS_WITH(io::read<double>(huge), Catch::Contains("100000x100000") && Catch::Contains("max_pixels"));
    // read_info reports the header without a limit; decoding then fails on the data
    CHECK(io::read_info(huge).width == 100000);
    CHECK_THROWS_AS(io::read<double>(huge, {.max_pixels = std::uint64_t(1) << 40}), IoError);
    // default limit is 2^28
    CHECK(io::ReadOptions{}.max_pixels == (std::uint64_t(1) << 28));
}

TEST_CASE("write validates its arguments before touching the file system", "[io][errors][write]") {
    const auto dir = scratch("write_args");
    fs::create_directories(dir);
    Image<double> x({4, 5}, 0.5);
    CHECK_THROWS_WITH(io::write(dir / "x.jpg", x), Catch::Contains("'path'") && Catch::Contains(".png, .pgm, .ppm"));
    CHECK_THROWS_WITH(io::write(dir / "x", x), Catch::Contains("'path'"));
    CHECK_THROWS_WITH(io::write(dir / "x.png", x, {.bit_depth = 12}), Catch::Contains("options.bit_depth"));
    ImageStack<double> two({2, 4, 5}, 0.5);
    CHECK_THROWS_AS(io::write(dir / "x.png", two), ShapeError);
    CHECK_THROWS_WITH(io::write(dir / "x.png", two), Catch::Contains("'image'") && Catch::Contains("1 (gray) or 3"));
    ImageStack<double> rgb({3, 4, 5}, 0.5);
    CHECK_THROWS_WITH(io::write(dir / "x.pgm", rgb), Catch::Contains("'image'") && Catch::Contains("PGM"));
    Image<double> empty({0, 5});
    CHECK_THROWS_WITH(io::write(dir / "x.png", empty), Catch::Contains("non-empty"));
    Image<float> bad({4, 5}, 0.5f);
    bad(2, 3) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(io::write(dir / "x.png", bad), Catch::Contains("'image'") && Catch::Contains("finite"));
    bad(2, 3) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(io::write(dir / "x.png", bad), Catch::Contains("flat index 13"));
    CHECK(directory_listing(dir).empty());  // nothing was created
}

TEST_CASE("writes are atomic: failures leave no partial or temporary file", "[io][atomic]") {
    const auto dir = scratch("atomic");
    fs::create_directories(dir);
    const auto target = dir / "keep.png";
    Image<double> x({64, 64}, 0.25);
    io::write(target, x);
    const Bytes before = read_bytes(target);
    REQUIRE(directory_listing(dir) == std::vector<std::string>{"keep.png"});

    // a non-finite value: refused, old file intact
    Image<double> nan_image({64, 64}, 0.5);
    nan_image(3, 3) = std::nan("");
    CHECK_THROWS_AS(io::write(target, nan_image), Error);
    CHECK(read_bytes(target) == before);

    // the file system refuses the data half-way (file size limit): IoError, the
    // old file intact, the temporary removed
    {
        struct rlimit old {};
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
        auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit small = old;
        small.rlim_cur = 1000;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
        Image<double> noisy({128, 128});
        const auto r = random_stack<double>(1, 128, 128, 4);
        std::copy(r.begin(), r.end(), noisy.begin());
        bool threw = false;
        std::string what;
        try {
            io::write(target, noisy, {.bit_depth = 16});
        } catch (const IoError& e) {
            threw = true;
            what = e.what();
        }
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, old_handler);
        CHECK(threw);
        CHECK_THAT(what, Catch::Contains(target.string()) && Catch::Contains("write failed"));
        CHECK(read_bytes(target) == before);
        CHECK(directory_listing(dir) == std::vector<std::string>{"keep.png"});
    }

    // a directory that does not exist: IoError, nothing created
    const auto nowhere = dir / "no" / "such" / "dir" / "x.png";
    CHECK_THROWS_AS(io::write(nowhere, x), IoError);
    CHECK_THROWS_WITH(io::write(nowhere, x), Catch::Contains(nowhere.string()) && Catch::Contains("does not exist"));
    CHECK_FALSE(fs::exists(dir / "no"));

    // the destination is a directory
    fs::create_directories(dir / "sub.png");
    CHECK_THROWS_WITH(io::write(dir / "sub.png", x), Catch::Contains("is a directory"));
    fs::remove(dir / "sub.png");

    // a successful overwrite replaces the content and keeps the file's mode
    ::chmod(target.c_str(), 0640);
    Image<double> y({8, 8}, 0.75);
    io::write(target, y);
    CHECK(read_bytes(target) != before);
    CHECK(max_abs_diff(io::read_gray<double>(target), y) <= 0.5 / 255);
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    CHECK(directory_listing(dir) == std::vector<std::string>{"keep.png"});

    // the raw helper
    const Bytes payload{1, 2, 3};
    io::write_file_atomic(dir / "raw.bin", payload);
    CHECK(read_bytes(dir / "raw.bin") == payload);
}

TEST_CASE("a raised cancel flag stops a write: Cancelled, no file, no temporary", "[io][atomic]") {
    const auto dir = scratch("cancel");
    fs::create_directories(dir);
    const auto target = dir / "keep.pgm";
    Image<double> x({32, 32}, 0.25);
    io::write(target, x);
    const Bytes before = read_bytes(target);

    // raised before the call: nothing is created
    std::atomic<bool> cancel{true};
    CHECK_THROWS_AS(io::write(target, Image<double>({32, 32}, 0.75), {.cancel = &cancel}), Cancelled);
    CHECK_THROWS_WITH(io::write_file_atomic(dir / "new.bin", Bytes{1, 2}, "here", &cancel),
                      Catch::Contains("here") && Catch::Contains("new.bin") && Catch::Contains("cancelled"));
    CHECK(read_bytes(target) == before);
    CHECK(directory_listing(dir) == std::vector<std::string>{"keep.pgm"});

    // raised by another thread while the temporary exists (a 192 MiB payload
    // is written in 16 MiB chunks): the temporary is removed, the old file kept
    cancel = false;
    const Bytes big(std::size_t(192) << 20, 7);
    std::atomic<bool> done{false}, saw_temporary{false};
    std::thread watcher([&] {
        while (!done.load()) {
            for (const auto& e : fs::directory_iterator(dir))
                if (e.path().filename().string().find(".lucid-tmp-") != std::string::npos) {
                    saw_temporary = true;
                    cancel = true;
                    return;
                }
        }
    });
    bool cancelled = false;
    try {
        io::write_file_atomic(target, big, "here", &cancel);
    } catch (const Cancelled&) {
        cancelled = true;
    }
    done = true;
    watcher.join();
    if (!saw_temporary) {
        WARN("the write finished before the watcher saw its temporary; mid-write cancel not exercised");
    } else {
        CHECK(cancelled);
        CHECK(read_bytes(target) == before);
    }
    if (cancelled) CHECK(directory_listing(dir) == std::vector<std::string>{"keep.pgm"});
}

TEST_CASE("long file names and concurrent writers of one file", "[io][atomic]") {
    const auto dir = scratch("concurrent");
    fs::create_directories(dir);
    // a 250-character name: the temporary's name must stay within NAME_MAX
    const auto long_name = dir / (std::string(246, 'n') + ".png");
    Image<double> x({6, 7}, 0.5);
    io::write(long_name, x);
    CHECK(max_abs_diff(io::read_gray<double>(long_name), x) <= 0.5 / 255);

    // four threads write different images to the same file and read their own
    // copies back: every write is whole, the final file is one of them
    const auto target = dir / "shared.pgm";
    std::vector<Image<double>> images;
    for (int t = 0; t < 4; ++t) images.emplace_back(Image<double>({32, 32}, double(t + 1) / 5));
    std::vector<int> ok(4, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t)
        pool.emplace_back([&, t] {
            for (int k = 0; k < 10; ++k) {
                io::write(target, images[std::size_t(t)]);
                const auto own = dir / ("own" + std::to_string(t) + ".png");
                io::write(own, images[std::size_t(t)], {.bit_depth = 16});
                const auto back = io::read_gray<double>(own);  // no Catch assertions off the main thread
                if (back.shape() != images[std::size_t(t)].shape()) return;
                for (std::size_t i = 0; i < back.size(); ++i)
                    if (std::abs(back.data()[i] - images[std::size_t(t)].data()[i]) > 0.5 / 65535) return;
            }
            ok[std::size_t(t)] = 1;
        });
    for (auto& th : pool) th.join();
    CHECK(ok == std::vector<int>{1, 1, 1, 1});
    const auto final_image = io::read_gray<double>(target);
    bool matches_one = false;
    for (const auto& im : images) matches_one = matches_one || max_abs_diff(final_image, im) <= 0.5 / 255;
    CHECK(matches_one);
    CHECK(directory_listing(dir).size() == 6);  // long name, shared, own0..3: no temporaries left
}
