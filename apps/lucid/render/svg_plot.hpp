#pragma once
// Line plots written as SVG by hand (the demo's convergence figure): a grid
// of panels, each with its own axes, linear or logarithmic y, and a legend.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace lucid::cli::render {

struct Series {
    std::string label;
    std::vector<double> y;  ///< y[k] at iteration k + 1; non-finite points are skipped
    std::string color;      ///< CSS color
};

struct Panel {
    std::string title;
    std::string ylabel;
    bool log_y = false;
    bool legend_bottom = false;  ///< legend in the lower right corner (for rising curves)
    std::vector<Series> series;
};

namespace detail {

inline std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '&') o += "&amp;";
        else if (c == '"') o += "&quot;";
        else o += c;
    }
    return o;
}

inline std::string num(double v, const char* f = "%.1f") {
    char b[48];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

inline std::string tick_label(double v) {
    char b[48];
    if (v != 0 && (std::abs(v) >= 1e4 || std::abs(v) < 1e-2)) std::snprintf(b, sizeof b, "%.0e", v);
    else std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

/// "Nice" linear ticks covering [lo, hi].
inline std::vector<double> linear_ticks(double lo, double hi) {
    const double span = hi - lo;
    if (!(span > 0)) return {lo};
    const double raw = span / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    std::vector<double> t;
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) t.push_back(v);
    return t;
}

}  // namespace detail

/// One SVG with the panels in a grid of `columns`.
inline std::string svg_figure(const std::string& title, const std::vector<Panel>& panels, int columns = 3,
                              int panel_w = 360, int panel_h = 250) {
    using detail::esc;
    using detail::num;
    const int rows = int((panels.size() + std::size_t(columns) - 1) / std::size_t(columns));
    const int W = columns * panel_w, H = rows * panel_h + 36;
    std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                    std::to_string(H) + "\" viewBox=\"0 0 " + std::to_string(W) + " " + std::to_string(H) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += "<text x=\"" + std::to_string(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + esc(title) +
         "</text>\n";
    for (std::size_t p = 0; p < panels.size(); ++p) {
        const Panel& P = panels[p];
        const double ox = double(int(p) % columns * panel_w), oy = 36.0 + double(int(p) / columns * panel_h);
        const double l = ox + 62, r = ox + panel_w - 14, t = oy + 24, b = oy + panel_h - 38;
        // data range
        double xmax = 1, ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
        bool log_y = P.log_y;
        for (const auto& se : P.series) {
            xmax = std::max(xmax, double(se.y.size()));
            for (double v : se.y)
                if (std::isfinite(v)) {
                    if (log_y && v <= 0) log_y = false;
                    ylo = std::min(ylo, v), yhi = std::max(yhi, v);
                }
        }
        s += "<text x=\"" + num((l + r) / 2) + "\" y=\"" + num(oy + 16) + "\" text-anchor=\"middle\" font-size=\"13\">" +
             esc(P.title) + "</text>\n";
        s += "<rect x=\"" + num(l) + "\" y=\"" + num(t) + "\" width=\"" + num(r - l) + "\" height=\"" + num(b - t) +
             "\" fill=\"none\" stroke=\"#444\"/>\n";
        if (!std::isfinite(ylo)) {
            s += "<text x=\"" + num((l + r) / 2) + "\" y=\"" + num((t + b) / 2) +
                 "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
            continue;
        }
        auto fy = [&](double v) { return log_y ? std::log10(v) : v; };
        double a = fy(ylo), c = fy(yhi);
        if (!(c > a)) a -= 0.5, c += 0.5;
        const double pad = 0.04 * (c - a);
        a -= pad, c += pad;
        auto X = [&](double k) { return l + (r - l) * (xmax > 1 ? (k - 1) / (xmax - 1) : 0.5); };
        auto Y = [&](double v) { return b - (b - t) * (fy(v) - a) / (c - a); };
        // y ticks
        std::vector<double> ticks;
        if (log_y) {
            for (double e = std::ceil(a); e <= std::floor(c); e += 1) ticks.push_back(std::pow(10.0, e));
            if (ticks.size() < 2)
                for (double v : detail::linear_ticks(std::pow(10.0, a), std::pow(10.0, c)))
                    if (v > 0) ticks.push_back(v);
        } else {
            ticks = detail::linear_ticks(a, c);
        }
        for (double v : ticks) {
            const double yy = Y(v);
            if (yy < t - 0.5 || yy > b + 0.5) continue;
            s += "<line x1=\"" + num(l) + "\" y1=\"" + num(yy) + "\" x2=\"" + num(r) + "\" y2=\"" + num(yy) +
                 "\" stroke=\"#e4e4e4\"/>\n";
            s += "<text x=\"" + num(l - 4) + "\" y=\"" + num(yy + 4) + "\" text-anchor=\"end\">" +
                 detail::tick_label(v) + "</text>\n";
        }
        for (double k : detail::linear_ticks(1, xmax)) {
            if (k < 1) continue;
            s += "<text x=\"" + num(X(k)) + "\" y=\"" + num(b + 14) + "\" text-anchor=\"middle\">" +
                 detail::tick_label(k) + "</text>\n";
        }
        s += "<text x=\"" + num((l + r) / 2) + "\" y=\"" + num(b + 28) + "\" text-anchor=\"middle\">iteration</text>\n";
        s += "<text transform=\"translate(" + num(ox + 13) + "," + num((t + b) / 2) +
             ") rotate(-90)\" text-anchor=\"middle\">" + esc(P.ylabel + (log_y ? " (log)" : "")) + "</text>\n";
        // lines, then the legend on a white box
        for (const auto& se : P.series) {
            std::string pts;
            for (std::size_t k = 0; k < se.y.size(); ++k)
                if (std::isfinite(se.y[k]) && (!log_y || se.y[k] > 0))
                    pts += num(X(double(k + 1)), "%.2f") + "," + num(Y(se.y[k]), "%.2f") + " ";
            if (!pts.empty())
                s += "<polyline fill=\"none\" stroke=\"" + se.color + "\" stroke-width=\"1.6\" points=\"" + pts +
                     "\"/>\n";
        }
        std::size_t longest = 0;
        for (const auto& se : P.series) longest = std::max(longest, se.label.size());
        const double lw = 30 + 6.2 * double(longest), lh = 6 + 13 * double(P.series.size());
        const double lx = r - lw - 4, ly0 = P.legend_bottom ? b - lh - 4 : t + 4;
        if (!P.series.empty())
            s += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly0) + "\" width=\"" + num(lw) + "\" height=\"" + num(lh) +
                 "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
        int li = 0;
        for (const auto& se : P.series) {
            const double ly = ly0 + 14 + 13 * li++;
            s += "<line x1=\"" + num(lx + 5) + "\" y1=\"" + num(ly - 4) + "\" x2=\"" + num(lx + 21) + "\" y2=\"" +
                 num(ly - 4) + "\" stroke=\"" + se.color + "\" stroke-width=\"2\"/>\n";
            s += "<text x=\"" + num(lx + 25) + "\" y=\"" + num(ly) + "\">" + esc(se.label) + "</text>\n";
        }
    }
    s += "</svg>\n";
    return s;
}

}  // namespace lucid::cli::render
