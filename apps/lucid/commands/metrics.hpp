#pragma once
// lucid metrics REF IMG [--json]

#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/quality.hpp"

namespace lucid::cli {

inline CommandSpec metrics_spec() {
    return {"metrics",
            "Image quality of IMG against the reference REF (same size and channel count, values in [0,1]):\n"
            "MSE, PSNR = 10 log10(1/MSE) dB, SSIM (Gaussian window sigma 1.5, scikit-image conventions).",
            {"REF", "IMG"},
            {json_option(), threads_option(), max_pixels_option()}};
}

inline int run_metrics(const std::vector<std::string>& argv) {
    const CommandSpec spec = metrics_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const auto ref = read_image(args.positional(0), "REF").image;
    const auto img = read_image(args.positional(1), "IMG").image;
    if (ref.shape() != img.shape())  // a usage error (exit 2), as for --reference elsewhere
        throw UsageError("IMG: '" + args.positional(1) + "' is " + shape_string(img.shape()) +
                      " (channels x height x width) but REF is " + shape_string(ref.shape()));
    const Quality q = quality(ref, img);
    if (common.json) {
        JsonObject j;
        j.add("command", "metrics").add("reference", args.positional(0)).add("image", args.positional(1));
        j.add("mse", q.mse).add("psnr", q.psnr).add("ssim", q.ssim);
        std::printf("%s\n", j.str().c_str());
    } else {
        std::printf("psnr %.4f\nssim %.6f\nmse %.6g\n", q.psnr, q.ssim, q.mse);
    }
    return exit_ok;
}

}  // namespace lucid::cli
