// Thread safety: operators (float and double), functionals, solvers,
// denoisers and Polyblur used from 8 threads at
// once (distinct objects, one shared FFTW plan cache that is filled while
// they run) give results bitwise identical to the same work done serially.
// Built like every test; under -DLUCID_SANITIZE=thread it is the TSan check.
#include <catch2/catch.hpp>

#include <array>
#include <exception>
#include <random>
#include <thread>
#include <vector>

#include "lucid/lucid.hpp"

using namespace lucid;

namespace {

// Inner OpenMP teams would multiply 8 threads by the core count, and libgomp
// is not TSan-instrumented; the concurrency under test is the callers'.
const bool single_threaded = (lucid::set_num_threads(1), true);

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

bool bitwise_equal(const Image<double>& a, const Image<double>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

// One job: everything a deblurring run touches, on a size of its own so that
// FFTW plans are created concurrently (sizes 40+4j are not used elsewhere).
std::vector<Image<double>> job(int j) {
    const std::size_t n = 40 + 4 * std::size_t(j);
    const Image<double> x = random_image<double>(n, n + 4, 100 + unsigned(j));
    const Image<double> k = kernels::gaussian<double>(1.0 + 0.1 * j, 0);
    std::vector<Image<double>> out;
    for (Boundary b : {Boundary::periodic, Boundary::zero, Boundary::reflect, Boundary::replicate, Boundary::valid}) {
        ops::Convolution<double> A(k, {n, n + 4}, b);
        const Image<double> y = A(x);
        out.push_back(y);
        out.push_back(A.adjoint_of(y));
    }
    ops::Convolution<double> A(k, {n, n + 4}, Boundary::reflect);
    const Image<double> y = A(x);
    out.push_back(admm_tv(A, y, 1e-3, y, {.max_iter = 15, .tol = 0}).x);
    out.push_back(fista(LeastSquares(A, y), TotalVariation<double>(1e-3), y, {.max_iter = 10, .tol = 0}).x);
    ops::Wavelet2D<double> W("db4", {n, n + 4}, 2);
    out.push_back(W.adjoint_of(W(x)));
    out.push_back(wiener(ops::Convolution<double>(k, {n, n + 4}, Boundary::periodic), y, {.nsr = 1e-2}).x);
    // float: the single-precision plan cache is filled concurrently too
    const Image<float> xf = xt::cast<float>(x);
    const Image<float> kf = kernels::gaussian<float>(1.0f + 0.1f * float(j), 0);
    for (Boundary b : {Boundary::periodic, Boundary::reflect})
        out.push_back(xt::cast<double>(ops::Convolution<float>(kf, {n, n + 4}, b, {.method = ops::ConvolutionMethod::fft})(xf)));
    // denoisers and Polyblur (their workspaces and plans)
    Image<double> d(x.shape());
    denoisers::TvDenoiser<double>().denoise(x, 0.1, d);
    out.push_back(d);
    denoisers::WaveletDenoiser<double>().denoise(x, 0.1, d);
    out.push_back(d);
    denoisers::NonLocalMeans<double>().denoise(x, 0.1, d);
    out.push_back(d);
    const Image<float> yf = xt::cast<float>(y);
    out.push_back(xt::cast<double>(polyblur::deblur(yf).image));
    return out;
}

}  // namespace

TEST_CASE("8 threads: operators and solvers agree bitwise with serial runs", "[threads]") {
    constexpr int jobs = 8;
    std::array<std::vector<Image<double>>, jobs> parallel;
    std::array<std::exception_ptr, jobs> errors{};
    {
        std::vector<std::jthread> pool;
        for (int j = 0; j < jobs; ++j)
            pool.emplace_back([&, j] {
                try {
                    parallel[std::size_t(j)] = job(j);
                } catch (...) {
                    errors[std::size_t(j)] = std::current_exception();
                }
            });
    }
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    for (int j = 0; j < jobs; ++j) {
        const auto serial = job(j);
        REQUIRE(serial.size() == parallel[std::size_t(j)].size());
        for (std::size_t i = 0; i < serial.size(); ++i) {
            INFO("job " << j << ", result " << i);
            CHECK(bitwise_equal(serial[i], parallel[std::size_t(j)][i]));
        }
    }
}

TEST_CASE("8 threads: distinct operators of one shape run concurrently on shared cached plans", "[threads]") {
    // apply() is const but uses the object's own workspace, so threads need their
    // own objects; those share the cached FFTW plans, which run concurrently.
    const Image<double> k = kernels::motion<double>(9, 30);
    const Image<double> x = random_image<double>(64, 64, 7);
    const Image<double> expect = ops::Convolution<double>(k, {64, 64}, Boundary::periodic)(x);
    std::array<bool, 8> same{};
    {
        std::vector<std::jthread> pool;
        for (int j = 0; j < 8; ++j)
            pool.emplace_back([&, j] {
                ops::Convolution<double> A(k, {64, 64}, Boundary::periodic);
                bool ok = true;
                for (int r = 0; r < 20; ++r) ok = ok && bitwise_equal(A(x), expect);
                same[std::size_t(j)] = ok;
            });
    }
    for (bool s : same) CHECK(s);
}
