#pragma once
// lucid blur IN OUT --kernel SPEC [--boundary B] [--noise SIGMA] [--seed N]

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/kernel_arg.hpp"
#include "lucid/ops/convolution.hpp"

namespace lucid::cli {

/// Reproducible N(0, 1) samples: Box–Muller on a 64-bit Mersenne Twister, so
/// a seed gives the same image with every standard library.
class NormalSource {
public:
    explicit NormalSource(std::uint64_t seed) : rng_(seed) {}
    double operator()() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = 0;
        do u1 = double(rng_() >> 11) * 0x1.0p-53;
        while (u1 <= 0);
        const double u2 = double(rng_() >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2 * M_PI * u2);
        has_spare_ = true;
        return r * std::cos(2 * M_PI * u2);
    }

private:
    std::mt19937_64 rng_;
    double spare_ = 0;
    bool has_spare_ = false;
};

/// y = k * x per channel under `b`, plus N(0, sigma²) noise (not clamped; the
/// file writer clamps to [0, 1]).
inline ImageStack<double> blur_image(const ImageStack<double>& x, const Image<double>& k, Boundary b, double sigma,
                                     std::uint64_t seed) {
    const std::size_t C = x.shape()[0], H = x.shape()[1], W = x.shape()[2];
    ops::Convolution<double> A(k, {H, W}, b);
    const auto r = A.range_shape();
    ImageStack<double> y({C, r[0], r[1]});
    Image<double> out(r);
    for (std::size_t c = 0; c < C; ++c) {
        A.apply(plane_of(x, c), out);
        set_plane(y, c, out);
    }
    if (sigma > 0) {
        NormalSource normal(seed);
        for (auto& v : y) v += sigma * normal();
    }
    return y;
}

inline CommandSpec blur_spec() {
    return {"blur",
            "Simulates a blurred, noisy observation y = k * x + n, n ~ N(0, SIGMA^2) (values in [0,1]; the\n"
            "file is clamped to [0,1]). With --boundary valid the output is smaller by the kernel size - 1.",
            {"IN", "OUT"},
            {{"kernel", true, "SPEC", kernel_spec_help()},
             {"boundary", true, "B", "periodic | zero | reflect | replicate | valid (default reflect)"},
             {"noise", true, "SIGMA", "standard deviation of added Gaussian noise, in [0, 1] (default 0)"},
             {"seed", true, "N", "noise seed, integer >= 0 (default 1)"},
             bit_depth_option(), json_option(), quiet_option(), threads_option(), max_pixels_option()}};
}

inline int run_blur(const std::vector<std::string>& argv) {
    const CommandSpec spec = blur_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const std::optional<int> requested_depth = requested_bit_depth(args);
    if (!args.has("kernel")) throw UsageError("lucid blur: option '--kernel SPEC' is required");
    const Boundary b = parse_boundary(args.choice("boundary", "reflect", boundary_names()));
    const double noise = args.number("noise", 0.0, "nonnegative");
    if (noise > 1)
        throw UsageError("lucid blur: option '--noise' must be <= 1 (the noise level on the [0, 1] scale; got " +
                         fmt(noise) + ")");
    const long seed = args.integer("seed", 1, 0, std::numeric_limits<long>::max());
    const std::string spec_text = *args.text("kernel");
    const Image<double> k = parse_kernel_arg(spec_text);
    const std::string in = args.positional(0), out_path = args.positional(1);
    auto input = read_image(in, "IN");
    const int bit_depth = output_bit_depth(requested_depth, input.info);
    check_output_path(out_path, "OUT", input.image.shape()[0]);
    check_kernel_fits(k, input.image.shape()[1], input.image.shape()[2]);
    Stopwatch clock;
    const ImageStack<double> y = blur_image(input.image, k, b, noise, std::uint64_t(seed));
    const double t = clock.seconds();
    write_image(out_path, y, "OUT", bit_depth);
    if (common.json) {
        JsonObject p;
        p.add("kernel", spec_text).add("kernel_size", std::vector<double>{double(k.shape()[0]), double(k.shape()[1])});
        p.add("boundary", std::string(to_string(b))).add("noise", noise).add("seed", seed);
        JsonObject j;
        j.add("command", "blur").add("input", in).add("output", out_path).add("bit_depth", bit_depth).add("parameters", p);
        j.add("shape", std::vector<double>{double(y.shape()[0]), double(y.shape()[1]), double(y.shape()[2])});
        j.add("time_seconds", t);
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("blur: %s (%zux%zu), boundary %s, noise %g -> %s (%zux%zu)\n", spec_text.c_str(), k.shape()[0],
                    k.shape()[1], std::string(to_string(b)).c_str(), noise, out_path.c_str(), y.shape()[1],
                    y.shape()[2]);
    }
    return exit_ok;
}

}  // namespace lucid::cli
