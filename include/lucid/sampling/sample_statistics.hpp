#pragma once
/// \file sample_statistics.hpp
/// Per-pixel mean and standard deviation of a set of posterior samples.

#include <cmath>
#include <cstddef>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::sampling {

/// Pixelwise statistics of N samples.
template <class V>
struct SampleStatistics {
    V mean;    ///< \f$ \bar x = \frac1N \sum_k x^{(k)} \f$ (the MMSE estimate as N → ∞)
    V stddev;  ///< \f$ s = \sqrt{\frac1{N-1}\sum_k (x^{(k)} - \bar x)^2} \f$ (0 for N = 1)
};

/// Mean and unbiased standard deviation, pixel by pixel (accumulated in double).
template <Vector V>
SampleStatistics<V> sample_statistics(const std::vector<V>& samples) {
    require(!samples.empty(), "lucid::sampling::sample_statistics", "samples", "at least one sample", 0);
    SampleStatistics<V> out{zeros_like(samples[0]), zeros_like(samples[0])};
    const std::size_t n = element_count(samples[0]);
    std::vector<double> s1(n, 0.0), s2(n, 0.0);
    for (const auto& x : samples) {
        if (shape_of(x) != shape_of(samples[0]))  // equal sizes are not enough: a transposed sample would mix pixels
            lucid::detail::fail_argument("lucid::sampling::sample_statistics", "samples",
                                         "samples of one shape (" + shape_string(shape_of(samples[0])) + ")",
                                         shape_string(shape_of(x)));
        std::size_t i = 0;
        lucid::detail::for_each_leaf([&](auto a) {
            for (auto v : a) {
                s1[i] += double(v);
                s2[i] += double(v) * double(v);
                ++i;
            }
        }, x);
    }
    const double N = double(samples.size());
    std::size_t i = 0;
    lucid::detail::for_each_leaf([&](auto m, auto s) {
        for (std::size_t j = 0; j < m.size(); ++j, ++i) {
            const double mu = s1[i] / N;
            m[j] = scalar_t<V>(mu);
            const double var = N > 1 ? std::max(0.0, (s2[i] - N * mu * mu) / (N - 1)) : 0.0;
            s[j] = scalar_t<V>(std::sqrt(var));
        }
    }, out.mean, out.stddev);
    return out;
}

}  // namespace lucid::sampling
