#pragma once
// PSNR / SSIM of a result against a --reference image, and the JSON fields.

#include <optional>
#include <string>

#include "cli/common.hpp"
#include "lucid/metrics/mse.hpp"
#include "lucid/metrics/psnr.hpp"
#include "lucid/metrics/ssim.hpp"

namespace lucid::cli {

struct Quality {
    double psnr = 0;
    double ssim = 0;
    double mse = 0;
};

/// Metrics of `img` against `ref` (both C×H×W in [0, 1], data range 1).
inline Quality quality(const ImageStack<double>& ref, const ImageStack<double>& img) {
    Quality q;
    q.mse = lucid::metrics::mse(ref, img);
    q.psnr = lucid::metrics::psnr(ref, img);
    q.ssim = lucid::metrics::ssim(ref, img);
    return q;
}

inline Quality quality(const Image<double>& ref, const Image<double>& img) {
    Quality q;
    q.mse = lucid::metrics::mse(ref, img);
    q.psnr = lucid::metrics::psnr(ref, img);
    q.ssim = lucid::metrics::ssim(ref, img);
    return q;
}

/// Reads --reference (if given) and checks it has the shape `shape` (C×H×W).
inline std::optional<ImageStack<double>> read_reference(const Args& args, const Shape<3>& shape) {
    auto path = args.text("reference");
    if (!path) return std::nullopt;
    auto r = read_image(*path, "option '--reference'").image;
    if (r.shape()[0] != shape[0] || r.shape()[1] != shape[1] || r.shape()[2] != shape[2])
        throw UsageError("option '--reference': the image '" + *path + "' is " + shape_string(r.shape()) +
                         " (channels x height x width) but the result is " + shape_string(shape));
    // checked now, not after the run: SSIM's window must fit in the image
    const std::size_t side = lucid::metrics::SsimOptions{}.window_size();
    if (shape[1] < side || shape[2] < side)
        throw UsageError("option '--reference': SSIM needs images of at least " + std::to_string(side) + "x" +
                         std::to_string(side) + " (got " + std::to_string(shape[1]) + "x" + std::to_string(shape[2]) + ")");
    return r;
}

inline void add_quality(JsonObject& j, const std::optional<Quality>& q) {
    if (!q) return;
    j.add("psnr", q->psnr);
    j.add("ssim", q->ssim);
}

}  // namespace lucid::cli
