#pragma once
/// \file noise.hpp
/// Seeded white Gaussian noise for the samplers (reproducible per seed).

#include <cstdint>
#include <random>

#include "lucid/core/vector_space.hpp"

namespace lucid::sampling {

/// Fills vectors with i.i.d. N(0, 1) samples from a 64-bit Mersenne Twister
/// seeded with `seed`; the sequence depends only on the seed and the call
/// order (never on the thread count).
template <class T>
class GaussianNoise {
public:
    explicit GaussianNoise(std::uint64_t seed) : rng_(seed) {}

    /// z ← N(0, I).
    template <Vector V>
    void fill(V& z) {
        lucid::detail::for_each_leaf([&](auto a) {
            for (auto& v : a) v = T(normal_(rng_));
        }, z);
    }

private:
    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_{0.0, 1.0};
};

}  // namespace lucid::sampling
