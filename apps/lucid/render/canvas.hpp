#pragma once
// An RGB raster for the demo's comparison image: gray tiles, filled
// rectangles and text from stb_easy_font (public domain, libstb-dev), whose
// glyph quads are filled here pixel by pixel at an integer scale.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "lucid/core/image.hpp"

namespace lucid::cli::render {

using Rgb = std::array<double, 3>;

/// A W×H RGB canvas with values in [0, 1].
class Canvas {
public:
    Canvas(std::size_t width, std::size_t height, Rgb background = {1, 1, 1})
        : w_(width), h_(height), px_(3 * width * height) {
        fill_rect(0, 0, width, height, background);
    }

    std::size_t width() const { return w_; }
    std::size_t height() const { return h_; }

    void set(std::ptrdiff_t x, std::ptrdiff_t y, Rgb c) {
        if (x < 0 || y < 0 || std::size_t(x) >= w_ || std::size_t(y) >= h_) return;
        for (std::size_t k = 0; k < 3; ++k) px_[(k * h_ + std::size_t(y)) * w_ + std::size_t(x)] = c[k];
    }

    void fill_rect(std::ptrdiff_t x, std::ptrdiff_t y, std::size_t w, std::size_t h, Rgb c) {
        for (std::size_t i = 0; i < h; ++i)
            for (std::size_t j = 0; j < w; ++j) set(x + std::ptrdiff_t(j), y + std::ptrdiff_t(i), c);
    }

    /// Copies a gray image (clamped to [0, 1]) with its top-left corner at (x, y).
    void blit(const Image<double>& g, std::ptrdiff_t x, std::ptrdiff_t y) {
        for (std::size_t i = 0; i < g.shape()[0]; ++i)
            for (std::size_t j = 0; j < g.shape()[1]; ++j) {
                const double v = std::clamp(g(i, j), 0.0, 1.0);
                set(x + std::ptrdiff_t(j), y + std::ptrdiff_t(i), {v, v, v});
            }
    }

    /// Draws ASCII `text` with its top-left corner at (x, y), glyph pixels
    /// `scale`×`scale` (stb_easy_font glyphs are about 7 pixels tall at scale 1).
    void text(std::ptrdiff_t x, std::ptrdiff_t y, const std::string& text, int scale = 2, Rgb c = {0, 0, 0}) {
        struct Vertex {
            float x, y, z;
            unsigned char color[4];
        };
        std::vector<Vertex> buf(text.size() * 300 / sizeof(Vertex) * 4 + 64);
        std::string copy = text;
        const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf.data(), int(buf.size() * sizeof(Vertex)));
        for (int q = 0; q < quads; ++q) {
            const Vertex* v = &buf[std::size_t(q) * 4];
            float x0 = v[0].x, x1 = v[0].x, y0 = v[0].y, y1 = v[0].y;
            for (int k = 1; k < 4; ++k) {
                x0 = std::min(x0, v[k].x), x1 = std::max(x1, v[k].x);
                y0 = std::min(y0, v[k].y), y1 = std::max(y1, v[k].y);
            }
            const auto px0 = std::ptrdiff_t(std::lround(x0 * float(scale))), px1 = std::ptrdiff_t(std::lround(x1 * float(scale)));
            const auto py0 = std::ptrdiff_t(std::lround(y0 * float(scale))), py1 = std::ptrdiff_t(std::lround(y1 * float(scale)));
            if (px1 > px0 && py1 > py0) fill_rect(x + px0, y + py0, std::size_t(px1 - px0), std::size_t(py1 - py0), c);
        }
    }

    /// Width in pixels of `text` at `scale`.
    static int text_width(const std::string& text, int scale = 2) {
        std::string copy = text;
        return stb_easy_font_width(copy.data()) * scale;
    }

    /// The canvas as a planar 3×H×W image for lucid::io::write.
    ImageStack<double> stack() const {
        ImageStack<double> s({3, h_, w_});
        std::copy(px_.begin(), px_.end(), s.data());
        return s;
    }

private:
    std::size_t w_, h_;
    std::vector<double> px_;
};

/// Box-averaging downscale by an integer factor f >= 1 (the edge remainder is dropped).
inline Image<double> downscale(const Image<double>& g, std::size_t f) {
    if (f <= 1) return g;
    const std::size_t h = g.shape()[0] / f, w = g.shape()[1] / f;
    Image<double> out({std::max<std::size_t>(h, 1), std::max<std::size_t>(w, 1)}, 0.0);
    for (std::size_t i = 0; i < h * f; ++i)
        for (std::size_t j = 0; j < w * f; ++j) out(i / f, j / f) += g(i, j) / double(f * f);
    return out;
}

/// A kernel for display: scaled to a maximum of 1 and enlarged f×f per tap
/// (nearest neighbour), so that its shape is visible.
inline Image<double> kernel_image(const Image<double>& k, std::size_t f) {
    double mx = 0;
    for (double v : k) mx = std::max(mx, v);
    const double s = mx > 0 ? 1 / mx : 0;
    Image<double> out({k.shape()[0] * f, k.shape()[1] * f});
    for (std::size_t i = 0; i < out.shape()[0]; ++i)
        for (std::size_t j = 0; j < out.shape()[1]; ++j) out(i, j) = k(i / f, j / f) * s;
    return out;
}

}  // namespace lucid::cli::render
