// Convolution: the FFT path next to its FFTW bound, and the direct path
// against the FFT path by kernel size (the crossover the cost model encodes).
//
// Everything runs on one thread (lucid::set_num_threads(1)) with FFTW_MEASURE
// plans. Counters:
//   ratio_to_bound  best_ms / bound_ms: the best apply against the best of one
//                   r2c + one c2r + one complex multiply on the same padded grid
//                   (benchmarks/bounds.hpp), the two timed in alternating blocks
//                   after the benchmark loop; the gap is the extension copy in and the crop
//                   out (target ≤ 1.3)
//   best_ms, bound_ms  those two best times in ms
//   pixels/s        image pixels per second;  bytes/s: image in + image out
//   fft_h, fft_w    the FFT grid (H×W for periodic, good sizes ≥ H+kh−1 otherwise)
//   auto_direct     1 when ConvolutionMethod::automatic picks the direct path
// Run:
//   build-conv/benchmarks/bench_convolution --benchmark_filter='ConvFFT'
//   build-conv/benchmarks/bench_convolution --benchmark_filter='ConvMethod'
#include <benchmark/benchmark.h>

#include <random>
#include <tuple>

#include "bounds.hpp"
#include "lucid/lucid.hpp"
#include "lucid/core/real_filter.hpp"
#include "lucid/ops/convolution.hpp"

namespace {

using lucid::Boundary;
using lucid::ops::ConvolutionMethod;

constexpr Boundary boundaries[] = {Boundary::periodic, Boundary::zero, Boundary::reflect, Boundary::replicate,
                                   Boundary::valid};

template <class T>
lucid::Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    lucid::Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

// A rank-1 (separable) Gaussian of the given odd size, sigma = size/6.
template <class T>
lucid::Image<T> gaussian_like(std::size_t size) {
    lucid::Image<T> k({size, size});
    const double s = double(size) / 6.0, c = double(size / 2);
    double total = 0;
    for (std::size_t i = 0; i < size; ++i)
        for (std::size_t j = 0; j < size; ++j) {
            const double g = std::exp(-((double(i) - c) * (double(i) - c)) / (2 * s * s)) *
                             std::exp(-((double(j) - c) * (double(j) - c)) / (2 * s * s));
            k(i, j) = T(g);
            total += g;
        }
    for (auto& v : k) v = T(double(v) / total);
    return k;
}

template <class T, class Op>
void report(benchmark::State& state, const Op& A, std::size_t pixels_in, std::size_t pixels_out) {
    state.counters["pixels/s"] = benchmark::Counter(double(state.iterations()) * double(pixels_in),
                                                    benchmark::Counter::kIsRate);
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t((pixels_in + pixels_out) * sizeof(T)));
    if (A.method() == ConvolutionMethod::fft) {
        const auto g = A.fft_shape();
        state.counters["fft_h"] = double(g[0]);
        state.counters["fft_w"] = double(g[1]);
    }
}

// ratio_to_bound for an FFT-path product: the product and the FFT pair on its
// grid timed in alternating blocks after the benchmark loop, best of each.
// y = A x once outside the timing (plans, caches and pages warm), then once per
// benchmark iteration.
template <class Op, class X, class Y>
void time_apply(benchmark::State& state, const Op& A, const X& x, Y& y) {
    A.apply(x, y);
    for (auto _ : state) {
        A.apply(x, y);
        benchmark::ClobberMemory();
    }
}

template <class T, class Op, class Product>
void report_bound(benchmark::State& state, const Op& A, Product&& product) {
    const auto g = A.fft_shape();
    lucid::bench::FftPair<T> pair(g[0], g[1]);
    const auto [best, bound] = lucid::bench::paired_best(product, [&] { return pair.once(); });
    state.counters["best_ms"] = best * 1e3;
    state.counters["bound_ms"] = bound * 1e3;
    state.counters["ratio_to_bound"] = best / bound;
}

// Args: image size n (n×n), boundary index. A 9×9 non-separable kernel.
template <class T, bool Adjoint = false>
void BM_ConvFFT(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    const Boundary b = boundaries[state.range(1)];
    state.SetLabel(std::string(lucid::to_string(b)));
    const auto k = random_image<T>(9, 9, 3);
    lucid::ops::Convolution<T> A(k, {n, n}, b, {.method = ConvolutionMethod::fft});
    const auto x = random_image<T>(n, n, 1);
    auto y = lucid::make_range(A);
    auto z = lucid::make_domain(A);
    A.apply(x, y);
    A.apply_adjoint(y, z);
    auto product = [&] {
        if constexpr (Adjoint) A.apply_adjoint(y, z);
        else A.apply(x, y);
    };
    for (auto _ : state) {
        product();
        benchmark::ClobberMemory();
    }
    report<T>(state, A, n * n, y.size());
    report_bound<T>(state, A, product);
}

void fft_args(benchmark::internal::Benchmark* bm) {
    for (int n : {256, 512, 2048})
        for (int b = 0; b < 5; ++b) bm->Args({n, b});
    bm->Unit(benchmark::kMillisecond);
}
BENCHMARK_TEMPLATE(BM_ConvFFT, double)->Apply(fft_args);
BENCHMARK_TEMPLATE(BM_ConvFFT, float)->Apply(fft_args);
BENCHMARK_TEMPLATE(BM_ConvFFT, double, true)->Name("BM_ConvFFTAdjoint<double>")->ArgsProduct({{512}, {0, 1, 2, 3, 4}})
    ->Unit(benchmark::kMillisecond);

// Args: kernel size s (s×s), method (0 direct, 1 fft), separable kernel (0/1),
// image size n (n×n). Reflect boundary.
template <class T>
void BM_ConvMethod(benchmark::State& state) {
    const std::size_t s = std::size_t(state.range(0)), n = std::size_t(state.range(3));
    const auto method = state.range(1) == 0 ? ConvolutionMethod::direct : ConvolutionMethod::fft;
    const bool rank1 = state.range(2) != 0;
    const auto k = rank1 ? gaussian_like<T>(s) : random_image<T>(s, s, 7);
    lucid::ops::Convolution<T> A(k, {n, n}, Boundary::reflect, {.method = method});
    lucid::ops::Convolution<T> automatic(k, {n, n}, Boundary::reflect);
    state.SetLabel(std::string(method == ConvolutionMethod::direct ? (A.separable() ? "direct-separable" : "direct")
                                                                   : "fft"));
    const auto x = random_image<T>(n, n, 1);
    auto y = lucid::make_range(A);
    time_apply(state, A, x, y);
    report<T>(state, A, n * n, n * n);
    if (A.method() == ConvolutionMethod::fft) report_bound<T>(state, A, [&] { A.apply(x, y); });
    state.counters["auto_direct"] = automatic.method() == ConvolutionMethod::direct ? 1 : 0;
}

void method_args(benchmark::internal::Benchmark* bm) {
    for (int sep : {0, 1})
        for (int s = 3; s <= (sep ? 31 : 15); s += 2)
            for (int m : {0, 1}) bm->Args({s, m, sep, 512});
    // at 2048² the FFT runs out of cache (ops/detail/convolution_cost.hpp,
    // fft_cache_factor): the crossover moves to larger kernels
    for (int s = 9; s <= 21; s += 2)
        for (int m : {0, 1}) bm->Args({s, m, 0, 2048});
    bm->Unit(benchmark::kMillisecond);
}
BENCHMARK_TEMPLATE(BM_ConvMethod, double)->Apply(method_args);
BENCHMARK_TEMPLATE(BM_ConvMethod, float)->Apply(method_args);

// The direct path's tap loop by instruction set, for the cost model's ns_per_tap
// (ops/detail/convolution_cost.hpp). Args: kernel size s (s×s), separable (0/1),
// image size n (n×n), tap loop (0 portable, 1 AVX2+FMA, 2 AVX-512). Zero boundary.
// Counter ns_per_tap: time / multiply-adds (separable: (n + s − 1)·n·s + n·n·s).
template <class T>
void BM_ConvDirectIsa(benchmark::State& state) {
    const std::size_t s = std::size_t(state.range(0)), n = std::size_t(state.range(2));
    const bool rank1 = state.range(1) != 0;
    const int isa = int(state.range(3));
    if ((isa == 1 && !lucid::detail::cpu_has_avx2_fma()) || (isa == 2 && !lucid::detail::cpu_has_avx512())) {
        state.SkipWithError("tap loop not available on this CPU");
        return;
    }
    lucid::detail::force_portable() = isa == 0;
    lucid::detail::force_avx2() = isa == 1;
    const auto k = rank1 ? gaussian_like<T>(s) : random_image<T>(s, s, 7);
    lucid::ops::Convolution<T> A(k, {n, n}, Boundary::zero, {.method = ConvolutionMethod::direct});
    state.SetLabel(isa == 0 ? "portable" : isa == 1 ? "avx2" : "avx512");
    const auto x = random_image<T>(n, n, 1);
    auto y = lucid::make_range(A);
    time_apply(state, A, x, y);
    lucid::detail::force_portable() = false;
    lucid::detail::force_avx2() = false;
    const double nd = double(n), sd = double(s);
    const double taps = rank1 ? (nd + sd - 1) * nd * sd + nd * nd * sd : nd * nd * sd * sd;
    state.counters["ns_per_tap"] =
        benchmark::Counter(taps * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    report<T>(state, A, n * n, n * n);
}
void isa_args(benchmark::internal::Benchmark* bm) {
    for (int isa : {0, 1, 2}) {
        for (int s : {13, 31}) bm->Args({s, 1, 1024, isa});
        for (int s : {9, 15}) bm->Args({s, 0, 1024, isa});
    }
    bm->Unit(benchmark::kMillisecond);
}
BENCHMARK_TEMPLATE(BM_ConvDirectIsa, double)->Apply(isa_args);
BENCHMARK_TEMPLATE(BM_ConvDirectIsa, float)->Apply(isa_args);

// fft::filter_real (the spectrum kept in the output array, as `wiener` uses it)
// against the bound of the same filter done the usual way: one r2c + c2r pair
// on warm separate buffers, the multiply not even counted. Args: n (n×n).
template <class T>
void BM_FilterReal(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(0, 1);
    lucid::fft::AlignedBuffer<T> x(n * n, lucid::fft::uninitialized), y(n * n, lucid::fft::uninitialized);
    for (auto& v : x) v = T(u(rng));
    const T norm = T(1) / T(n * n);
    auto gain = [&](std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* m) {
        const double fp = double(std::min(p, n - p));
        for (std::size_t q = q0; q < q1; ++q) m[q - q0] = T(1 / (1 + 1e-3 * (fp * fp + double(q * q)))) * norm;
    };
    lucid::fft::filter_real(x.data(), y.data(), n, n, gain);  // plans
    for (auto _ : state) {
        lucid::fft::filter_real(x.data(), y.data(), n, n, gain);
        benchmark::DoNotOptimize(y.data());
    }
    const double pair = lucid::bench::fft_pair_seconds<T>(n, n);
    state.counters["pair_ms"] = pair * 1e3;
    state.counters["ratio_to_pair"] = benchmark::Counter(pair * double(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_TEMPLATE(BM_FilterReal, double)->Arg(512)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FilterReal, float)->Arg(512)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond);

// The bounds themselves.
template <class T>
void BM_FftPairBound(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    double t = 0;
    for (auto _ : state) t = lucid::bench::fft_pair_seconds<T>(n, n, 0.0, 3);
    state.counters["best_ms"] = t * 1e3;
}
BENCHMARK_TEMPLATE(BM_FftPairBound, double)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FftPairBound, float)->Arg(256)->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_Triad(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    double bw = 0;
    for (auto _ : state) bw = lucid::bench::triad_bandwidth<double>(n, 5);
    state.counters["GBps"] = bw / 1e9;
}
BENCHMARK(BM_Triad)->Arg(1 << 18)->Arg(1 << 24)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    lucid::set_num_threads(1);
    lucid::fft::set_planner_effort(lucid::fft::Effort::measure);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
