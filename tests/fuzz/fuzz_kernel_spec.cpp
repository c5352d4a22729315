// Fuzzes the kernel SPEC parser of the CLI ("gaussian:sigma=2", "motion:…"):
// any string must give a finite kernel normalized to sum 1 or throw
// lucid::Error — never crash, hang or allocate without bound. `file:` specs
// are skipped (they read files; the image reader has its own fuzzer).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lucid/kernels/parse_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view spec(reinterpret_cast<const char*>(data), size);
    if (spec.find("file") != std::string_view::npos) return 0;
    try {
        auto k = lucid::kernels::parse_spec<double>(spec);
        double total = 0;
        for (double v : k) {
            if (!std::isfinite(v) || v < 0) __builtin_trap();
            total += v;
        }
        if (std::abs(total - 1.0) > 1e-9) __builtin_trap();
    } catch (const lucid::Error&) {
    }
    return 0;
}
