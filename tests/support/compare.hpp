#pragma once
// Test support: the largest elementwise difference of two arrays, NaN-aware.
// A NaN on either side makes it +inf: std::max(m, NaN) returns m, so the plain
// loop would let a NaN output pass every `<= tolerance` check.

#include <cmath>
#include <cstddef>
#include <limits>

#include <catch2/catch.hpp>

namespace lucid::test {

/// max_i |a_i − b_i| over two arrays of equal size with data() and size()
/// (xtensor, Eigen, std::vector); +inf when any difference is NaN.
template <class A, class B>
double max_abs_diff(const A& a, const B& b) {
    REQUIRE(std::size_t(a.size()) == std::size_t(b.size()));
    double m = 0;
    for (std::size_t i = 0; i < std::size_t(a.size()); ++i) {
        const double d = std::abs(double(a.data()[i]) - double(b.data()[i]));
        if (std::isnan(d)) return std::numeric_limits<double>::infinity();
        m = std::max(m, d);
    }
    return m;
}

}  // namespace lucid::test
