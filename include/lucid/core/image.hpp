#pragma once
/// \file image.hpp
/// Image types: `Image<T>` is H×W, `ImageStack<T>` is planar C×H×W.
/// Values are in [0, 1] by convention (I/O maps 8/16-bit data there).

#include <array>
#include <cstddef>
#include <string>
#include <tuple>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/finite.hpp"

namespace lucid {

/// A single-channel image, row-major H×W (x = column index, y = row index).
template <class T>
using Image = xt::xtensor<T, 2>;

/// A planar multi-channel image C×H×W; channel c is the contiguous plane [c, :, :].
template <class T>
using ImageStack = xt::xtensor<T, 3>;

/// Shape of an xtensor of rank N.
template <std::size_t N>
using Shape = std::array<std::size_t, N>;

/// "H×W" or "C×H×W" for messages.
template <std::size_t N>
std::string shape_string(const Shape<N>& s) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i) out += "x";
        out += std::to_string(s[i]);
    }
    return out;
}

template <class S>
std::string shape_string(const S& s) {
    std::string out;
    bool first = true;
    for (auto v : s) {
        if (!first) out += "x";
        out += std::to_string(v);
        first = false;
    }
    return out;
}

/// "(8x8, 2x8x8)" for the product shapes of stacked operators.
template <class... S>
std::string shape_string(const std::tuple<S...>& s) {
    std::string out = "(";
    std::apply([&](const auto&... e) {
        bool first = true;
        ((out += (first ? "" : ", ") + shape_string(e), first = false), ...);
    }, s);
    return out + ")";
}

/// Throws ShapeError unless `got` equals `expected`.
template <class S1, class S2>
void require_shape(std::string_view where, std::string_view name, const S1& got, const S2& expected) {
    bool same = got.size() == expected.size();
    for (std::size_t i = 0; same && i < got.size(); ++i) same = std::size_t(got[i]) == std::size_t(expected[i]);
    if (!same)
        detail::fail_argument<ShapeError>(where, name, "of shape " + shape_string(expected), shape_string(got));
}

/// Number of planes of an image of rank 2 (1) or 3 (C).
template <std::size_t N>
constexpr std::size_t channel_count(const Shape<N>& s) {
    static_assert(N == 2 || N == 3, "images are H×W or C×H×W");
    if constexpr (N == 2) return 1; else return s[0];
}

/// Height and width of an image shape of rank 2 or 3.
template <std::size_t N>
constexpr Shape<2> plane_shape(const Shape<N>& s) {
    static_assert(N == 2 || N == 3, "images are H×W or C×H×W");
    return {s[N - 2], s[N - 1]};
}

/// The same plane size with another number of channels (rank kept).
template <std::size_t N>
constexpr Shape<N> with_plane(const Shape<N>& s, Shape<2> hw) {
    Shape<N> out = s;
    out[N - 2] = hw[0];
    out[N - 1] = hw[1];
    return out;
}

/// Throws unless the image is non-empty and every value is finite.
template <class E>
void require_finite_image(std::string_view where, std::string_view name, const E& image) {
    if (image.size() == 0) detail::fail_argument(where, name, "a non-empty image", "an empty image");
    const auto* p = image.data();
    if (detail::all_finite_values(p, image.size())) return;
    for (std::size_t i = 0, n = image.size(); i < n; ++i)  // find the index for the message
        if (!std::isfinite(p[i]))
            detail::fail_argument(where, name, "finite everywhere",
                                  detail::concat("a non-finite value at flat index ", i));
}

}  // namespace lucid
