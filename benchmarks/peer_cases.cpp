// The lucid side of benchmarks/peers/compare.py: runs one case on one thread
// and prints one JSON line with the best CPU time over the repeats.
//
//   peer_cases CASE N REPEATS [ITERS]
//
// CASE is one of fftconv, zeroconv, reflectconv, rl, wiener, tv, dwt, fista_wavelet,
// admm_tv, polyblur. Each computes exactly what compare.py's peer computes
// (same image formula, kernel, boundary, iteration count; double precision),
// timed as a user would call it: operator and solver set-up included, FFTW
// plans warm (the first repeat makes them; the best repeat is reported).
// For the convolutions `steady_seconds` is also printed: apply() alone with the
// operator (kernel spectrum, buffers) built once, as inside a solver loop;
// -1 where the case has no such split. For the FFT-bound cases (fftconv,
// wiener, admm_tv) `bound_seconds` is the floor of the same algorithm on this
// machine, measured in the same process: its FFTW transform pairs at their
// best time plus its image-sized passes at the STREAM-triad bandwidth; the
// floor divided by the peer's time is the best lucid/peer ratio the algorithm
// allows (-1 elsewhere).
// With `--check FILE` the case's output is also written as raw float64
// (row-major N×N) so compare.py can report the largest difference to its peer.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "bounds.hpp"
#include "lucid/lucid.hpp"

namespace {

using lucid::Boundary;
using lucid::Image;
using lucid::ops::Convolution;
using lucid::ops::ConvolutionMethod;

// The test image of compare.py: smooth waves plus a checkerboard of 37×53 blocks, in [0.05, 0.95].
Image<double> test_image(std::size_t n) {
    Image<double> x({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            x(i, j) = 0.5 + 0.3 * std::sin(0.05 * double(i)) * std::cos(0.031 * double(j)) +
                      ((i / 37 + j / 53) % 2 ? 0.15 : -0.15);
    return x;
}

// A non-separable, non-symmetric s×s kernel (compare.py builds the same one).
Image<double> odd_kernel(std::size_t s) {
    Image<double> k({s, s});
    double sum = 0;
    for (std::size_t a = 0; a < s; ++a)
        for (std::size_t b = 0; b < s; ++b) sum += k(a, b) = 1.0 + std::sin(1.3 * double(a) + 0.7 * double(b) * double(b));
    for (auto& v : k) v /= sum;
    return k;
}

Image<double> gauss(double sigma, std::size_t size) { return lucid::kernels::gaussian<double>(sigma, sigma, 0.0, size); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: peer_cases CASE N REPEATS [ITERS] [--check FILE]\n");
        return 2;
    }
    const std::string name = argv[1];
    const std::size_t n = std::strtoul(argv[2], nullptr, 10);
    const int repeats = std::atoi(argv[3]);
    int iters = 0;
    std::string check;
    for (int i = 4; i < argc; ++i) {
        if (std::strcmp(argv[i], "--check") == 0 && i + 1 < argc) check = argv[++i];
        else iters = std::atoi(argv[i]);
    }
    lucid::set_num_threads(1);
    const Image<double> x = test_image(n);
    Image<double> out;
    std::function<void()> run;
    std::function<void()> steady;  // optional: the same work with the operator built once (what a solver loop sees)
    std::unique_ptr<Convolution<double>> op;
    // Case data lives here, outside the branches: `run` refers to it.
    const auto g2 = gauss(2.0, 13);
    Image<double> k, y, c;
    Convolution<double> periodic(g2, {n, n}, Boundary::periodic);
    std::unique_ptr<lucid::ops::Wavelet2D<double>> W;
    // The floor of the same algorithm on this machine, for the FFT-bound cases:
    // its transform pairs at their measured time plus its image-sized passes at
    // the STREAM-triad bandwidth (see bench_solvers.cpp for the pass counts).
    std::function<double()> floor;
    const double plane_bytes = double(n) * double(n) * sizeof(double);
    auto passes = [&](double planes) {
        return planes * plane_bytes / lucid::bench::triad_bandwidth<double>(n * n);  // 3 image-sized arrays
    };

    if (name == "fftconv") {  // scipy.signal.fftconvolve(x, k, mode='same'): zero boundary, 31×31 Gaussian σ = 5
        k = gauss(5.0, 31);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::zero, {.method = ConvolutionMethod::fft});
            out = A(x);
        };
        op = std::make_unique<Convolution<double>>(k, lucid::Shape<2>{n, n}, Boundary::zero,
                                                   lucid::ops::ConvolutionOptions{.method = ConvolutionMethod::fft});
        steady = [&] { op->apply(x, out); };
        // one r2c + product + c2r on the padded grid; zero-pad in (read x, write the grid: 2),
        // crop out (2); the Gaussian is separable, so its spectrum is formed from two
        // 1-D DFTs inside the product (no table written)
        floor = [&] {
            const std::size_t p = lucid::detail::conv::fft_length(n + 30, false),
                              q = lucid::detail::conv::fft_length(n + 30, true);
            return lucid::bench::fft_pair_seconds<double>(p, q) + passes(4);
        };
    } else if (name == "zeroconv") {  // the same convolution, method chosen by lucid's cost model
        k = gauss(5.0, 31);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::zero);
            out = A(x);
        };
        op = std::make_unique<Convolution<double>>(k, lucid::Shape<2>{n, n}, Boundary::zero);
        steady = [&] { op->apply(x, out); };
    } else if (name == "reflectconv") {  // scipy.ndimage.convolve(mode='reflect'), cv2.filter2D(BORDER_REFLECT)
        k = odd_kernel(9);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::reflect);
            out = A(x);
        };
        op = std::make_unique<Convolution<double>>(k, lucid::Shape<2>{n, n}, Boundary::reflect);
        steady = [&] { op->apply(x, out); };
    } else if (name == "rl") {  // skimage.restoration.richardson_lucy: zero boundary ('same'), x0 = 0.5
        k = g2;
        y = Convolution<double>(k, {n, n}, Boundary::zero)(x);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::zero);
            Image<double> x0({n, n}, 0.5);
            out = lucid::richardson_lucy(A, y, x0, {.max_iter = iters, .compute_objective = false}).x;
        };
    } else if (name == "wiener") {  // skimage.restoration.wiener: periodic
        k = g2;
        y = periodic(x);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::periodic);
            out = lucid::wiener(A, y, {.nsr = 1e-2}).x;
        };
        // r2c + filter + c2r on the image grid, the symbol written once (1)
        floor = [&] { return lucid::bench::fft_pair_seconds<double>(n, n) + passes(1); };
    } else if (name == "tv") {  // ROF prox, iters FGP iterations vs Chambolle's projection iterations
        run = [&] {
            lucid::TotalVariation<double> tv(0.1, lucid::TvNorm::isotropic,
                                             {.max_iter = iters, .tol = 0, .check_every = 0, .warm_start = false});
            out = Image<double>({n, n});
            tv.prox(x, 1.0, out);
        };
    } else if (name == "dwt") {  // pywt.wavedec2 + waverec2, db4, 4 levels, periodization
        W = std::make_unique<lucid::ops::Wavelet2D<double>>("db4", lucid::Shape<2>{n, n}, 4);
        c = Image<double>({n, n});
        out = Image<double>({n, n});
        run = [&] {
            W->apply(x, c);
            W->apply_adjoint(c, out);
        };
    } else if (name == "fista_wavelet") {  // FISTA, ½‖Ax − y‖² + λ‖detail coefficients‖₁, periodic A
        k = g2;
        y = periodic(x);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::periodic, {.method = ConvolutionMethod::fft});
            lucid::WaveletL1 g(lucid::ops::Wavelet2D<double>("db4", {n, n}, 4), 1e-3);
            out = lucid::fista(lucid::LeastSquares(std::cref(A), y), g, y,
                               {.max_iter = iters, .tol = 0, .compute_objective = false})
                      .x;
        };
    } else if (name == "admm_tv") {  // ADMM, ½‖Ax − y‖² + λ TV_iso, periodic A and ∇, fixed ρ
        k = g2;
        y = periodic(x);
        run = [&] {
            Convolution<double> A(k, {n, n}, Boundary::periodic, {.method = ConvolutionMethod::fft});
            out = lucid::admm_tv(A, y, 1e-3, y,
                                 {.max_iter = iters, .rho = 1e-2, .tol = 0, .adaptive_rho = false,
                                  .compute_objective = false})
                      .x;
        };
        // per iteration one pair and 11.5 passes (bench_solvers.cpp, ADMM-TV periodic)
        floor = [&] { return iters * (lucid::bench::fft_pair_seconds<double>(n, n) + passes(11.5)); };
    } else if (name == "polyblur") {  // POLYBLUR.md defaults: 3 passes, α = 6, β = 1, halo removal
        y = Convolution<double>(gauss(1.5, 13), {n, n}, Boundary::reflect)(x);
        run = [&] { out = lucid::polyblur::deblur(y).image; };
    } else {
        std::fprintf(stderr, "peer_cases: unknown case '%s'\n", name.c_str());
        return 2;
    }

    double best = 1e300;
    for (int r = 0; r < std::max(1, repeats); ++r) {
        const double t0 = lucid::bench::thread_cpu_seconds();
        run();
        best = std::min(best, lucid::bench::thread_cpu_seconds() - t0);
    }
    double best_steady = -1;
    if (steady) {
        best_steady = 1e300;
        for (int r = 0; r < std::max(3, repeats); ++r) {
            const double t0 = lucid::bench::thread_cpu_seconds();
            steady();
            best_steady = std::min(best_steady, lucid::bench::thread_cpu_seconds() - t0);
        }
    }
    const double bound = floor ? floor() : -1;
    if (!check.empty()) {
        std::ofstream f(check, std::ios::binary);
        f.write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size() * sizeof(double)));
    }
    std::printf("{\"case\": \"%s\", \"n\": %zu, \"iters\": %d, \"repeats\": %d, \"seconds\": %.6g, "
                "\"steady_seconds\": %.6g, \"bound_seconds\": %.6g}\n",
                name.c_str(), n, iters, repeats, best, best_steady, bound);
    return 0;
}
