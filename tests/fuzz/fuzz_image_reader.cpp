// Fuzzes the PNG/PGM/PPM decoder: any byte string must either decode or throw
// lucid::Error — never crash, hang, read out of bounds or allocate unboundedly.
#include <cstddef>
#include <cstdint>
#include <span>

#include "lucid/io/read.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    lucid::io::ReadOptions options;
    options.max_pixels = 1u << 22;  // keep each run's memory small; the guard itself is under test
    try {
        auto r = lucid::io::decode<float>(std::span<const std::uint8_t>(data, size), options);
        for (float v : r.image)
            if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // decoded values must be in [0, 1]
    } catch (const lucid::Error&) {
    }
    return 0;
}
