// Blind deblurring of camera shake: blur a shipped photo with a random
// camera-shake kernel, add 1 % noise, and recover kernel and image without
// being told the kernel (lucid::blind::deblur).
//
//   example_blind_deblur [--smoke] [--size N] [--seed S] [IMAGE]
//   example_blind_deblur --evaluate [--threads N] [--kernel-weight G] [--edge-fraction F]
//                        [--iterations I]
//   example_blind_deblur --timing
//
// Default: writes blind_sharp.png, blind_blurry.png, blind_restored.png,
// blind_nonblind.png (same deconvolution with the true kernel),
// blind_kernel_true.png and blind_kernel_estimated.png (kernels scaled to
// their peak), and prints the kernel similarity (max normalized
// cross-correlation over shifts), the error ratio of Levin et al. (CVPR
// 2009) and the time per pyramid level.
//
// --smoke: a 15×15 kernel on camera.png with 2 alternations per level (CI).
//
// --evaluate: the measurements of docs/blind-deblurring.md: the 4 shipped
// photos (gray) × 8 kernels (sizes 15..31) + 1 % noise, once with seeds 1..8
// (on which kernel_weight and edge_fraction were tuned) and once with seeds
// 9..16 (held out): kernel similarity and error ratio per case, the
// fractions with ratio <= 2 and <= 3,
// then the time of a 512×512 gray image (camera.png upsampled 2×) with a
// 25×25 kernel on one thread, per pyramid level. FFTW plans are made with
// FFTW_ESTIMATE unless LUCID_FFTW_EFFORT says otherwise.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "lucid/lucid.hpp"
#include "lucid/blind/aligned_error.hpp"
#include "lucid/blind/deblur.hpp"
#include "lucid/blind/kernel_similarity.hpp"
#include "lucid/kernels/camera_shake.hpp"

namespace blind = lucid::blind;
using lucid::Image;

namespace {

std::string data(const std::string& name) { return std::string(LUCID_SOURCE_DIR) + "/data/" + name; }

/// y = k ∗ x (reflect boundary) + N(0, sigma²), the degradation the method does not know.
Image<double> degrade(const Image<double>& x, const Image<double>& k, double sigma, unsigned seed) {
    lucid::ops::Convolution<double> A(k, x.shape(), lucid::Boundary::reflect);
    Image<double> y = A(x);
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, sigma);
    for (auto& v : y) v += noise(rng);
    return y;
}

/// Kernel scaled to its peak, for viewing.
Image<double> for_display(const Image<double>& k) {
    Image<double> out = k;
    const double peak = *std::max_element(k.begin(), k.end());
    if (peak > 0) out /= peak;
    return out;
}

/// 2× bilinear upsampling (pixel centres at (i + ½)/2), for the 512² timing image.
Image<double> upsample2(const Image<double>& x) {
    const std::size_t h = x.shape()[0], w = x.shape()[1];
    Image<double> out({2 * h, 2 * w});
    for (std::size_t i = 0; i < 2 * h; ++i)
        for (std::size_t j = 0; j < 2 * w; ++j) {
            const double y = std::clamp((double(i) + 0.5) / 2 - 0.5, 0.0, double(h - 1));
            const double z = std::clamp((double(j) + 0.5) / 2 - 0.5, 0.0, double(w - 1));
            const std::size_t i0 = std::size_t(y), j0 = std::size_t(z);
            const std::size_t i1 = std::min(i0 + 1, h - 1), j1 = std::min(j0 + 1, w - 1);
            const double a = y - double(i0), b = z - double(j0);
            out(i, j) = (1 - a) * ((1 - b) * x(i0, j0) + b * x(i0, j1)) + a * ((1 - b) * x(i1, j0) + b * x(i1, j1));
        }
    return out;
}

/// Estimation options of --evaluate (defaults unless --kernel-weight / --edge-fraction / --iterations).
blind::KernelEstimationOptions g_estimation;

struct Case {
    double similarity, ratio, seconds, psnr_blurry, psnr_blind, psnr_nonblind;
};

/// One case: blur, blind deblur, non-blind deblur with the true kernel, compare.
Case run_case(const Image<double>& sharp, const Image<double>& k_true, unsigned noise_seed,
              const blind::DeblurOptions& options, blind::DeblurResult<double>* keep = nullptr,
              Image<double>* nonblind = nullptr, Image<double>* blurry = nullptr) {
    const Image<double> y = degrade(sharp, k_true, 0.01, noise_seed);
    auto r = blind::deblur(y, options);
    const auto nb = blind::deconvolve(y, k_true, options.deconvolution);
    const std::size_t n = k_true.shape()[0];
    // Error ratio: sum of squared errors after the best alignment (shifts up to
    // 5 px, 0.1 px steps), ignoring a border of n pixels, as Levin et al.
    const double ratio = blind::error_ratio(sharp, r.x, nb.x, 5, n);
    Case c{blind::kernel_similarity(r.kernel, k_true), ratio, r.seconds, lucid::metrics::psnr(sharp, y),
           lucid::metrics::psnr(sharp, r.x), lucid::metrics::psnr(sharp, nb.x)};
    if (keep) *keep = std::move(r);
    if (nonblind) *nonblind = nb.x;
    if (blurry) *blurry = y;
    return c;
}

void print_levels(const blind::KernelEstimate<double>& e) {
    std::printf("  %-5s %-9s %-6s %-7s %-9s %-9s %-9s\n", "level", "image", "kernel", "grid", "seconds", "x-steps",
                "k-steps");
    for (std::size_t i = 0; i < e.levels.size(); ++i) {
        const auto& l = e.levels[i];
        std::printf("  %-5zu %4zux%-4zu %3zux%-2zu %3zux%-3zu %9.3f %9.3f %9.3f\n", i + 1, l.width, l.height,
                    l.kernel_size, l.kernel_size, l.grid_cols, l.grid_rows, l.seconds, l.image_seconds,
                    l.kernel_seconds);
    }
    std::printf("  total estimation %.3f s\n", e.seconds);
}

/// The 4 photos × 8 kernels of one seed block (seeds first..first+7, sizes 15..31); prints and summarizes.
void evaluate_block(unsigned first, const char* title) {
    const char* photos[] = {"camera.png", "astronaut.png", "chelsea.png", "grass.png"};
    const std::size_t sizes[] = {15, 17, 19, 21, 23, 25, 27, 31};
    std::printf("\n# %s: 4 photos x 8 camera-shake kernels (seeds %u..%u, sizes 15..31), reflect boundary, 1%% noise\n",
                title, first, first + 7);
    std::printf("%-14s %4s %4s %10s %8s %8s %9s %9s %9s\n", "photo", "seed", "size", "similarity", "ratio",
                "time_s", "psnr_y", "psnr_bl", "psnr_nb");
    std::vector<Case> all;
    double per_photo[4] = {0, 0, 0, 0};
    for (int p = 0; p < 4; ++p) {
        const auto sharp = lucid::io::read_gray<double>(data(photos[p]));
        for (unsigned i = 0; i < 8; ++i) {
            const unsigned s = first + i;
            const std::size_t n = sizes[i];
            const auto k_true = lucid::kernels::camera_shake<double>(n, s);
            blind::DeblurOptions o;
            o.estimation = g_estimation;
            o.estimation.kernel_size = n;
            const Case c = run_case(sharp, k_true, 100 * unsigned(p) + s, o);
            std::printf("%-14s %4u %4zu %10.4f %8.3f %8.2f %9.2f %9.2f %9.2f\n", photos[p], s, n, c.similarity,
                        c.ratio, c.seconds, c.psnr_blurry, c.psnr_blind, c.psnr_nonblind);
            std::fflush(stdout);
            all.push_back(c);
            per_photo[p] += c.similarity / 8;
        }
    }
    std::vector<double> sims, ratios;
    for (auto& c : all) sims.push_back(c.similarity), ratios.push_back(c.ratio);
    std::sort(sims.begin(), sims.end());
    std::sort(ratios.begin(), ratios.end());
    double mean_sim = 0;
    for (double v : sims) mean_sim += v / double(sims.size());
    const int le2 = int(std::count_if(all.begin(), all.end(), [](const Case& c) { return c.ratio <= 2; }));
    const int le3 = int(std::count_if(all.begin(), all.end(), [](const Case& c) { return c.ratio <= 3; }));
    std::printf("# %s summary over %zu cases\n", title, all.size());
    std::printf("kernel similarity: mean %.4f, median %.4f, min %.4f, max %.4f\n", mean_sim,
                0.5 * (sims[sims.size() / 2 - 1] + sims[sims.size() / 2]), sims.front(), sims.back());
    for (int p = 0; p < 4; ++p) std::printf("  %-14s mean similarity %.4f\n", photos[p], per_photo[p]);
    std::printf("error ratio: median %.3f, max %.3f; ratio <= 2: %d/%zu = %.3f; ratio <= 3: %d/%zu = %.3f\n",
                0.5 * (ratios[ratios.size() / 2 - 1] + ratios[ratios.size() / 2]), ratios.back(), le2, all.size(),
                double(le2) / double(all.size()), le3, all.size(), double(le3) / double(all.size()));
}

void timing();

int evaluate() {
    std::printf("# estimation: defaults but kernel_weight = %g, edge_fraction = %g, iterations = %d\n",
                g_estimation.kernel_weight, g_estimation.edge_fraction, g_estimation.iterations);
    std::printf("# deconvolution for both blind and non-blind: lucid::blind::deconvolve defaults (ADMM-TV)\n");
    std::printf("# error ratio: aligned SSD (shifts <= 5 px, 0.1 px steps, border = kernel size), blind / true kernel\n");
    evaluate_block(1, "tuning set");
    evaluate_block(9, "held-out set");

    timing();
    return 0;
}

/// 512×512 gray, 25×25 kernel, one thread: wall time per pyramid level and
/// the process's CPU time (which a busy machine does not inflate).
void timing() {
    lucid::set_num_threads(1);
    const auto big = upsample2(lucid::io::read_gray<double>(data("camera.png")));
    const auto k25 = lucid::kernels::camera_shake<double>(25, 3);
    const auto y = degrade(big, k25, 0.01, 7);
    blind::KernelEstimationOptions eo;
    eo.kernel_size = 25;
    // A first run makes the FFTW plans (cached per size); the second is timed.
    (void)blind::estimate_kernel(y, eo);
    const std::clock_t c0 = std::clock();
    const auto est = blind::estimate_kernel(y, eo);
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("\n# timing: 512x512 gray (camera.png upsampled 2x), 25x25 kernel (seed 3), 1 thread, plans cached\n");
    print_levels(est);
    std::printf("  CPU time of the estimation %.3f s (wall %.3f s)\n", cpu, est.seconds);
    lucid::detail::Stopwatch clock;
    const auto d = blind::deconvolve(y, est.kernel);
    std::printf("  non-blind ADMM-TV deconvolution %.3f s (%d iterations); similarity %.4f\n", clock.seconds(),
                d.iterations, blind::kernel_similarity(est.kernel, k25));
}

}  // namespace

int main(int argc, char** argv) {
    try {
        bool smoke = false, eval = false, time_only = false;
        std::size_t size = 23;
        unsigned seed = 4;
        std::string path = data("camera.png");
        for (int i = 1; i < argc; ++i) {
            if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
            else if (std::strcmp(argv[i], "--evaluate") == 0) eval = true;
            else if (std::strcmp(argv[i], "--timing") == 0) time_only = true;
            else if (std::strcmp(argv[i], "--kernel-weight") == 0 && i + 1 < argc)
                g_estimation.kernel_weight = std::stod(argv[++i]);
            else if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
                g_estimation.iterations = std::stoi(argv[++i]);
            else if (std::strcmp(argv[i], "--edge-fraction") == 0 && i + 1 < argc)
                g_estimation.edge_fraction = std::stod(argv[++i]);
            else if (std::strcmp(argv[i], "--size") == 0 && i + 1 < argc) size = std::stoul(argv[++i]);
            else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = unsigned(std::stoul(argv[++i]));
            else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) lucid::set_num_threads(std::stoi(argv[++i]));
            else path = argv[i];
        }
        if (!std::getenv("LUCID_FFTW_EFFORT")) lucid::fft::set_planner_effort(lucid::fft::Effort::estimate);
        if (eval) return evaluate();
        if (time_only) {
            timing();
            return 0;
        }

        const auto sharp = lucid::io::read_gray<double>(path);
        if (smoke) size = 15;
        const auto k_true = lucid::kernels::camera_shake<double>(size, seed);
        blind::DeblurOptions o;
        o.estimation.kernel_size = size;
        if (smoke) o.estimation.iterations = 2;
        std::printf("%s: %zux%zu gray; camera-shake kernel %zux%zu (seed %u), 1%% noise\n", path.c_str(),
                    sharp.shape()[1], sharp.shape()[0], size, size, seed);
        blind::DeblurResult<double> r;
        Image<double> nb, y;
        const Case c = run_case(sharp, k_true, 1, o, &r, &nb, &y);
        print_levels(r.estimate);
        std::printf("kernel similarity %.4f (1 = exact up to a shift)\n", c.similarity);
        std::printf("PSNR blurry %.2f dB, blind %.2f dB, non-blind with the true kernel %.2f dB\n", c.psnr_blurry,
                    c.psnr_blind, c.psnr_nonblind);
        std::printf("error ratio (Levin et al. 2009) %.3f (<= 2: as good as knowing the kernel)\n", c.ratio);
        auto clip = [](Image<double> x) {
            for (auto& v : x) v = std::clamp(v, 0.0, 1.0);
            return x;
        };
        lucid::io::write("blind_sharp.png", sharp);
        lucid::io::write("blind_blurry.png", clip(y));
        lucid::io::write("blind_restored.png", clip(r.x));
        lucid::io::write("blind_nonblind.png", clip(nb));
        lucid::io::write("blind_kernel_true.png", for_display(k_true));
        lucid::io::write("blind_kernel_estimated.png", for_display(r.kernel));
        std::printf("wrote blind_{sharp,blurry,restored,nonblind,kernel_true,kernel_estimated}.png\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "blind_deblur: %s\n", e.what());
        return 1;
    }
}
