#pragma once
// The --kernel SPEC argument: parsed by lucid::kernels::parse_spec, with
// errors that name the option (exit 2 for a malformed SPEC, 1 for an
// unreadable `file:` kernel).

#include <string>
#include <vector>

#include "cli/common.hpp"
#include "lucid/kernels/parse_spec.hpp"

namespace lucid::cli {

inline const std::vector<std::string>& boundary_names() {
    static const std::vector<std::string> b = {"periodic", "zero", "reflect", "replicate", "valid"};
    return b;
}

/// Checks that the kernel fits in the image (names --kernel).
inline void check_kernel_fits(const Image<double>& k, std::size_t h, std::size_t w) {
    if (k.shape()[0] > h || k.shape()[1] > w)
        throw UsageError("option '--kernel': the kernel (" + std::to_string(k.shape()[0]) + "x" +
                         std::to_string(k.shape()[1]) + ") must not be larger than the image (" + std::to_string(h) +
                         "x" + std::to_string(w) + ")");
}

inline const char* kernel_spec_help() {
    return "blur kernel: gaussian:sigma=2 | gaussian:sigma0=2,sigma1=1,theta=30 | motion:length=15,angle=45 | "
           "disk:radius=4 | box:size=5 | toeplitz:1,2,3,4,3,2,1 | file:k.png";
}

/// The kernel of `--kernel SPEC`, normalized to sum 1.
inline Image<double> parse_kernel_arg(const std::string& spec) {
    const std::string arg = "option '--kernel " + spec + "'";
    Image<double> k;
    try {
        k = lucid::kernels::parse_spec<double>(spec);
    } catch (const lucid::IoError& e) {
        throw lucid::IoError(arg + ": " + e.what());
    } catch (const lucid::Error& e) {
        throw UsageError(arg + ": " + e.what());
    }
    if (k.size() == 0) throw UsageError(arg + ": the kernel is empty");
    for (double v : k)
        if (!std::isfinite(v)) throw UsageError(arg + ": the kernel has non-finite values");
    return k;
}

}  // namespace lucid::cli
