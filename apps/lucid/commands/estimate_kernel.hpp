#pragma once
// lucid estimate-kernel IN KERNEL_OUT --size N

#include <string>
#include <vector>

#include "cli/blind_bridge.hpp"
#include "cli/common.hpp"

namespace lucid::cli {

inline CommandSpec estimate_kernel_spec() {
    return {"estimate-kernel",
            "Blind kernel estimation: the blur kernel (N x N, sum 1) of IN, written as an image scaled to a\n"
            "maximum of 1 (read it back with --kernel file:KERNEL_OUT, which renormalizes it).",
            {"IN", "KERNEL_OUT"},
            {{"size", true, "N", "kernel size, odd, >= 3 (required)"},
             {"iters", true, "N", "iteration budget of the estimation"},
             json_option(), quiet_option(), threads_option(), max_pixels_option()}};
}

inline int run_estimate_kernel(const std::vector<std::string>& argv) {
    const CommandSpec spec = estimate_kernel_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    if (!args.has("size")) throw UsageError("lucid estimate-kernel: option '--size N' is required");
    const long size = args.integer("size", 15, 3, 255);
    if (size % 2 == 0)
        throw UsageError("lucid estimate-kernel: option '--size' must be odd (got " + std::to_string(size) + ")");
    std::optional<int> iters;
    if (args.has("iters")) iters = int(args.integer("iters", 1, 1, max_blind_iters));  // alternations per pyramid level
    require_blind_available();
    const std::string in = args.positional(0), out_path = args.positional(1);
    auto input = read_image(in, "IN");
    check_output_path(out_path, "KERNEL_OUT", 1);
    const std::size_t H = input.image.shape()[1], W = input.image.shape()[2];
    check_blind_size(std::size_t(size), H, W);
    Progress progress("lucid estimate-kernel", !common.quiet && stderr_is_terminal());
    Stopwatch clock;
    BlindOutcome r = run_blind(input.image, int(size), iters, progress, /*restore=*/false);
    const double t = clock.seconds();
    progress.finish();
    double mx = 0;
    for (double v : r.kernel) mx = std::max(mx, v);
    Image<double> scaled = r.kernel;
    if (mx > 0)
        for (auto& v : scaled) v /= mx;
    write_image(out_path, scaled, "KERNEL_OUT", 16);
    if (common.json) {
        JsonObject p;
        p.add("size", size);
        if (iters) p.add("iters", *iters);
        JsonObject j;
        j.add("command", "estimate-kernel").add("input", in).add("output", out_path).add("parameters", p);
        j.add("kernel_size", std::vector<double>{double(r.kernel.shape()[0]), double(r.kernel.shape()[1])});
        j.add("iterations", r.iterations).add("time_seconds", t);
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("estimate-kernel: %zux%zu kernel in %.3f s -> %s\n", r.kernel.shape()[0], r.kernel.shape()[1], t,
                    out_path.c_str());
    }
    return exit_ok;
}

}  // namespace lucid::cli
