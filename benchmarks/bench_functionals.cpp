// Functionals: the TV prox (FGP) next to the memory-bandwidth bound, and the
// cheap elementwise proxes.
//
// Peer: benchmarks/peers/skimage_tv.py times scikit-image's
// denoise_tv_chambolle on the same 512×512 image with the same iteration
// count (100, no early stop). Run both:
//   build/benchmarks/bench_functionals --benchmark_filter='TvProx|Triad'
//   /usr/bin/python3 benchmarks/peers/skimage_tv.py 512 100
//
// Bound: one FGP iteration (scalar channel) reads v, r⁰, r¹, p⁰, p¹ and
// writes p⁰, p¹, r⁰, r¹ — 9 image-sized transfers (x is formed row by row and
// never stored). The bound is 9·N·sizeof(T) bytes at the triad bandwidth
// measured on arrays with the same total footprint (5 images), reported as
// the counter `bound_ms_per_iter`; compare with `per_iter_ms`, the measured time
// per FGP iteration in ms (Google Benchmark prints it with an "s" suffix). The isotropic
// sweep runs the AVX2+FMA kernel on CPUs that have it; the `Portable` variant
// forces the baseline (SSE2 on x86-64) xsimd kernel.
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>
#include <vector>

#include "lucid/functionals/functionals.hpp"
#include "lucid/lucid.hpp"

namespace {

template <class T>
lucid::Image<T> noisy_blocks(std::size_t h, std::size_t w) {
    std::mt19937 rng(1);
    std::normal_distribution<double> n(0, 0.1);
    lucid::Image<T> x({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) x(i, j) = T((i / 64 + j / 48) % 3 * 0.3 + n(rng));
    return x;
}

// STREAM triad a = b + s·c on three arrays of n elements; returns bytes/s (3·n·sizeof(T) per pass).
template <class T>
double triad_bandwidth(std::size_t n, int repeats = 20) {
    std::vector<T> a(n, T(0)), b(n, T(1)), c(n, T(2));
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        T* __restrict pa = a.data();
        const T* __restrict pb = b.data();
        const T* __restrict pc = c.data();
        const T s = T(1.0001);
        for (std::size_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return 3.0 * double(n) * sizeof(T) / best;
}

template <class T, bool Portable = false>
void BM_TvProxFgp(benchmark::State& state) {
    lucid::set_num_threads(1);
    lucid::detail::force_portable() = Portable;
    const std::size_t n = std::size_t(state.range(0));
    const int iters = int(state.range(1));
    const auto v = noisy_blocks<T>(n, n);
    lucid::TotalVariation<T> tv(T(0.1), lucid::TvNorm::isotropic,
                                {.max_iter = iters, .tol = 0, .check_every = 0, .warm_start = false});
    lucid::Image<T> out = lucid::zeros_like(v);
    tv.prox(v, T(1), out);  // allocate scratch
    for (auto _ : state) {
        tv.prox(v, T(1), out);
        benchmark::DoNotOptimize(out.data());
    }
    const double bw = triad_bandwidth<T>(5 * n * n / 3);
    const double bound_iter = 9.0 * double(n * n) * sizeof(T) / bw;
    state.counters["iterations"] = iters;
    state.counters["triad_GBps"] = bw / 1e9;
    state.counters["bound_ms_per_iter"] = bound_iter * 1e3;
    state.counters["per_iter_ms"] = benchmark::Counter(double(iters) * 1e-3, benchmark::Counter::kIsIterationInvariantRate |
                                                                                  benchmark::Counter::kInvert);
    state.SetBytesProcessed(int64_t(state.iterations()) * iters * 9 * int64_t(n * n) * int64_t(sizeof(T)));
    lucid::detail::force_portable() = false;
}
BENCHMARK_TEMPLATE(BM_TvProxFgp, double)->Args({512, 100})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_TvProxFgp, float)->Args({512, 100})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_TvProxFgp, double)->Args({2048, 20})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_TvProxFgp, double, true)->Name("BM_TvProxFgpPortable<double>")->Args({512, 100})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_TvProxFgp, float, true)->Name("BM_TvProxFgpPortable<float>")->Args({512, 100})->Unit(benchmark::kMillisecond)->UseRealTime();

template <class T>
void BM_TvProxVectorial(benchmark::State& state) {
    lucid::set_num_threads(1);
    const std::size_t n = std::size_t(state.range(0));
    lucid::ImageStack<T> v({3, n, n});
    const auto plane = noisy_blocks<T>(n, n);
    for (std::size_t c = 0; c < 3; ++c) std::copy(plane.begin(), plane.end(), v.begin() + std::ptrdiff_t(c * n * n));
    lucid::TotalVariation<T> tv(T(0.1), lucid::TvNorm::vectorial,
                                {.max_iter = 100, .tol = 0, .check_every = 0, .warm_start = false});
    auto out = lucid::zeros_like(v);
    for (auto _ : state) {
        tv.prox(v, T(1), out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK_TEMPLATE(BM_TvProxVectorial, double)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

template <class T>
void BM_Triad(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    double bw = 0;
    for (auto _ : state) bw = triad_bandwidth<T>(n, 5);
    state.counters["GBps"] = bw / 1e9;
}
BENCHMARK_TEMPLATE(BM_Triad, double)->Arg(5 * 512 * 512 / 3)->Arg(1 << 24)->Unit(benchmark::kMillisecond);

template <class F>
void elementwise_prox(benchmark::State& state, F f) {
    using T = typename F::scalar_type;
    const std::size_t n = std::size_t(state.range(0));
    const auto v = noisy_blocks<T>(n, n);
    lucid::Image<T> out = lucid::zeros_like(v);
    for (auto _ : state) {
        f.prox(v, T(0.5), out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * 2 * int64_t(n * n) * int64_t(sizeof(T)));
}
void BM_L1Prox(benchmark::State& s) { elementwise_prox(s, lucid::L1<double>(0.1)); }
void BM_HuberProx(benchmark::State& s) { elementwise_prox(s, lucid::Huber<double>(0.1, 1.0)); }
void BM_SimplexProx(benchmark::State& s) { elementwise_prox(s, lucid::Simplex<double>(1.0)); }
BENCHMARK(BM_L1Prox)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HuberProx)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SimplexProx)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
