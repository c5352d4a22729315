// Validation sweep: bad input to each public entry point throws lucid::Error
// (or a subclass) whose message names the offending argument — never a crash,
// a hang, a silent NaN or a default quietly substituted. Each row is one bad
// input; the count is printed for the record (docs/reliability.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "lucid/lucid.hpp"
#include "support/peers.hpp"

using namespace lucid;

namespace {

const bool single_threaded = (lucid::set_num_threads(1), true);

struct BadInput {
    std::string what;      // description for the report
    std::string argument;  // the name the message must contain, quoted
    std::function<void()> call;
};

using T = double;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

Image<T> image(std::size_t h, std::size_t w, T v = T(0.5)) { return Image<T>({h, w}, v); }
Image<T> with_nan(std::size_t h, std::size_t w) {
    auto x = image(h, w);
    x(h / 2, w / 2) = T(nan_v);
    return x;
}

// What the cases share; it outlives them (the lambdas hold references).
struct Fixture {
    Image<T> k3 = kernels::gaussian<T>(1.0, 3);
    ops::Convolution<T> A{k3, {16, 16}, Boundary::periodic};
    Image<T> y = image(16, 16);
    TotalVariation<T> tv{T(0.1)};
};

std::vector<BadInput> cases(const Fixture& f) {
    const auto& k3 = f.k3;
    const auto& A = f.A;
    const auto& y = f.y;
    const auto& tv = f.tv;
    const auto ls = [&A, &y] { return LeastSquares(std::cref(A), y); };
    std::vector<BadInput> v = {
        // ---- core, kernels, operators
        {"unknown boundary name", "boundary", [] { (void)parse_boundary("mirror"); }},
        {"convolution kernel with NaN", "kernel", [] { ops::Convolution<T>(with_nan(3, 3), {8, 8}); }},
        {"convolution on an empty shape", "shape", [&, ls] { ops::Convolution<T>(k3, {0, 8}); }},
        {"valid convolution with a kernel larger than the image", "kernel",
         [] { ops::Convolution<T>(kernels::box<T>(9), {8, 8}, Boundary::valid); }},
        {"convolution applied to an image of the wrong shape", "x", [&, ls] {
             Image<T> out({16, 16});
             A.apply(image(8, 8), out);
         }},
        {"gaussian sigma = 0", "sigma", [] { kernels::gaussian<T>(0.0); }},
        {"gaussian sigma = NaN", "sigma", [] { kernels::gaussian<T>(nan_v); }},
        {"gaussian even size", "size", [] { kernels::gaussian<T>(1.0, 4); }},
        {"motion length < 0", "length", [] { kernels::motion<T>(-1, 0); }},
        {"motion angle = inf", "angle_degrees", [] { kernels::motion<T>(5, inf_v); }},
        {"disk radius NaN", "radius", [] { kernels::disk<T>(nan_v); }},
        {"box size 0", "size", [] { kernels::box<T>(0); }},
        {"kernel summing to zero", "kernel", [] { kernels::normalize(Image<T>({3, 3}, T(0))); }},
        {"kernel with negative sum", "kernel", [] { kernels::normalize(Image<T>({3, 3}, T(-1))); }},
        {"malformed SPEC", "spec", [] { kernels::parse_spec<T>("gaussian sigma=2"); }},
        {"unknown SPEC key", "radius", [] { kernels::parse_spec<T>("gaussian:radius=2"); }},
        {"SPEC number with junk", "length", [] { kernels::parse_spec<T>("motion:length=5px"); }},
        {"unknown wavelet", "name", [] { ops::Wavelet2D<T>("db99", {16, 16}, 1); }},
        {"wavelet levels too deep for the size", "levels", [] { ops::Wavelet2D<T>("haar", {16, 16}, 5); }},
        {"wavelet levels = 0", "levels", [] { ops::Wavelet2D<T>("haar", {16, 16}, 0); }},
        {"undecimated wavelet levels = 0", "levels", [] { ops::StationaryWavelet2D<T>("haar", {16, 16}, 0); }},
        {"diagonal weights with NaN", "weights", [] { ops::Diagonal<Image<T>>(with_nan(4, 4)); }},
        // same element count, transposed shape: a copy would silently reshape
        {"identity applied to a transposed image", "x", [&] {
             ops::Identity<Image<T>> I({3, 4});
             Image<T> out({3, 4});
             I.apply(image(4, 3), out);
         }},
        {"matrix operator applied to a transposed image", "x", [&] {
             ops::MatrixOperator<Eigen::MatrixX<T>, Image<T>> M(Eigen::MatrixX<T>::Identity(12, 12), {3, 4}, {3, 4});
             Image<T> out({3, 4});
             M.apply(image(4, 3), out);
         }},
        // ---- functionals
        {"L1 lambda = 0", "lambda", [] { L1<T>(T(0)); }},
        {"L1 lambda < 0", "lambda", [] { L1<T>(T(-1)); }},
        {"TV lambda < 0", "lambda", [] { TotalVariation<T>(T(-0.1)); }},
        {"least squares data of the wrong shape", "y", [&, ls] { LeastSquares(std::cref(A), image(8, 8)); }},
        {"least squares data with NaN", "y", [&, ls] { LeastSquares(std::cref(A), with_nan(16, 16)); }},
        {"weighted squared error of an image of the wrong shape", "x", [&] {
             WeightedSquaredError<Image<T>> f(image(4, 4), image(4, 4));
             (void)f.value(image(8, 8));
         }},
        {"L21 dual projection into an output of the wrong shape", "out", [] {
             xt::xtensor<T, 3> p({2, 8, 8}, T(1)), o({2, 1, 1});
             L21Norm<T>(T(1)).project_dual(p, o);
         }},
        // ---- solvers
        {"gradient descent max_iter = 0", "max_iter", [&, ls] { gradient_descent(ls(), y, {.max_iter = 0}); }},
        {"gradient descent step < 0", "step", [&, ls] { gradient_descent(ls(), y, {.step = -1}); }},
        {"ISTA step NaN", "step", [&, ls] { ista(ls(), tv, y, {.step = nan_v}); }},
        {"FISTA max_iter < 0", "max_iter", [&, ls] { fista(ls(), tv, y, {.max_iter = -3}); }},
        {"FISTA tol < 0", "tol", [&, ls] { fista(ls(), tv, y, {.tol = -1}); }},
        {"FISTA x0 of the wrong shape", "x0", [&, ls] { fista(ls(), tv, image(8, 8)); }},
        {"ISTA x0 of the wrong shape", "x0", [&, ls] { ista(ls(), tv, image(8, 8)); }},
        {"gradient descent x0 of the wrong shape", "x0", [&, ls] { gradient_descent(ls(), image(8, 8)); }},
        {"PnP-HQS x0 of the wrong shape", "x0", [&, ls] { pnp_hqs(ls(), denoisers::TvDenoiser<T>(), image(8, 8)); }},
        {"RED x0 of the wrong shape", "x0", [&, ls] { red(ls(), denoisers::TvDenoiser<T>(), image(8, 8)); }},
        {"ADMM-TV lambda < 0", "lambda", [&, ls] { admm_tv(A, y, T(-1), y); }},
        {"ADMM-TV data with NaN", "y", [&, ls] { admm_tv(A, with_nan(16, 16), T(0.1), y); }},
        {"ADMM-TV max_iter = 0", "max_iter", [&, ls] { admm_tv(A, y, T(0.1), y, {.max_iter = 0}); }},
        {"HQS mu = 0", "mu", [&, ls] { hqs(ls(), tv, y, {.mu = 0}); }},
        {"PDHG theta > 1", "theta", [&, ls] {
             ops::Gradient<T> D({16, 16});
             pdhg(Zero<T>(), L21Norm<T>(T(0.1)), D, y, {.theta = 2});
         }},
        {"Richardson-Lucy negative tv_lambda", "tv_lambda", [&, ls] { richardson_lucy(A, y, y, {.tv_lambda = -1}); }},
        {"Richardson-Lucy data of the wrong shape", "y", [&, ls] { richardson_lucy(A, image(8, 8), y); }},
        {"Tikhonov lambda = 0", "lambda", [&, ls] { tikhonov(A, y, 0.0); }},
        {"Wiener nsr < 0", "nsr", [&, ls] { wiener(A, y, {.nsr = -1}); }},
        {"CG max_iter = 0", "max_iter", [&, ls] {
             ops::Identity<Image<T>> I({16, 16});
             conjugate_gradient(I, y, y, {.max_iter = 0});
         }},
        {"PnP-ADMM lambda = 0", "lambda", [&, ls] { pnp_admm(ls(), denoisers::TvDenoiser<T>(), y, {.lambda = 0}); }},
        {"RED lambda < 0", "lambda", [&, ls] { red(ls(), denoisers::TvDenoiser<T>(), y, {.lambda = -1}); }},
        // ---- denoisers
        {"NLM sigma = 0", "sigma", [&, ls] {
             Image<T> out({16, 16});
             denoisers::NonLocalMeans<T>().denoise(y, T(0), out);
         }},
        {"NLM patch radius < 0", "patch_radius", [] { denoisers::NonLocalMeans<T>({.patch_radius = -1}); }},
        {"NLM image with NaN", "y", [&, ls] {
             Image<T> out({16, 16});
             denoisers::NonLocalMeans<T>().denoise(with_nan(16, 16), T(0.1), out);
         }},
        {"TV denoiser sigma < 0", "sigma", [&, ls] {
             Image<T> out({16, 16});
             denoisers::TvDenoiser<T>().denoise(y, T(-0.1), out);
         }},
        {"wavelet denoiser shifts = 0", "shifts", [] { denoisers::WaveletDenoiser<T>({.shifts = 0}); }},
        {"Gaussian denoiser output of the wrong shape", "out", [&, ls] {
             Image<T> out({8, 8});
             denoisers::GaussianDenoiser<T>().denoise(y, T(0.1), out);
         }},
        // ---- metrics, I/O, Polyblur
        {"PSNR of images of different shapes", "img", [&, ls] { metrics::psnr(y, image(8, 8)); }},
        {"PSNR data_range = 0", "data_range", [&, ls] { metrics::psnr(y, y, 0.0); }},
        // I/O errors name the file itself (quoted), the argument being the path
        {"reading a missing file", (test::scratch_dir() / "no-such-file.png").string(),
         [] { io::read_gray<T>(test::scratch_dir() / "no-such-file.png"); }},
        {"Polyblur on an empty image", "image", [] { polyblur::deblur(Image<T>({0, 0})); }},
        {"Polyblur n_iter = 0", "n_iter", [&, ls] { polyblur::deblur(y, {.n_iter = 0}); }},
        {"Polyblur even kernel_size", "kernel_size", [&, ls] { polyblur::deblur(y, {.kernel_size = 24}); }},
        {"Polyblur estimate on an image with NaN", "image", [] { polyblur::estimate_blur(with_nan(32, 32)); }},
        {"Polyblur route name", "route", [] { polyblur::parse_route("fast"); }},
    };
    return v;
}

}  // namespace

TEST_CASE("every bad input throws lucid::Error naming the argument", "[validation][errors]") {
    const Fixture fixture;
    const auto all = cases(fixture);
    int named = 0;
    for (const auto& c : all) {
        INFO(c.what);
        std::string message;
        bool lucid_error = false;
        try {
            c.call();
        } catch (const Error& e) {
            lucid_error = true;
            message = e.what();
        } catch (const std::exception& e) {
            message = std::string("not a lucid::Error: ") + e.what();
        }
        INFO("message: " << message);
        CHECK(lucid_error);
        const bool names_it = message.find("'" + c.argument + "'") != std::string::npos;
        CHECK(names_it);
        named += lucid_error && names_it;
    }
    WARN("validation sweep: " << named << " of " << all.size() << " bad inputs rejected with a message naming the argument");
}
