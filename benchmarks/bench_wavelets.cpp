// Wavelet transforms and finite differences, next to a memory-bandwidth reference.
//
// Peer: benchmarks/peers/pywt_wavelets.py times PyWavelets' wavedec2 + waverec2
// (db4, 4 levels, periodization) on the same 2048×2048 image. Run both:
//   build/benchmarks/bench_wavelets --benchmark_filter=Wavelet2D
//   /usr/bin/python3 benchmarks/peers/pywt_wavelets.py 2048
// The "copy" benchmark streams one image in and out (memcpy): a DWT level reads
// its block once and writes it once (rows and columns fused through a ring
// buffer), so forward + inverse with L levels moves ≈ 2·(4/3) image copies —
// the memory-bandwidth bound; the transforms are compute-bound above it
// (2F multiply-adds per pixel and level).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "lucid/lucid.hpp"
#include "lucid/ops/divergence.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/laplacian.hpp"
#include "lucid/ops/stationary_wavelet2d.hpp"
#include "lucid/ops/wavelet2d.hpp"

namespace {

template <class T>
lucid::Image<T> random_image(std::size_t h, std::size_t w) {
    std::mt19937 rng(1);
    std::normal_distribution<double> n(0, 1);
    lucid::Image<T> x({h, w});
    for (auto& v : x) v = T(n(rng));
    return x;
}

// Arguments: image size, threads.
void sizes(benchmark::internal::Benchmark* b) {
    for (int n : {512, 2048})
        for (int t : {1, 2}) b->Args({n, t});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

template <class T>
void BM_copy(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    auto x = random_image<T>(n, n);
    lucid::Image<T> y({n, n});
    for (auto _ : state) {
        std::memcpy(y.data(), x.data(), x.size() * sizeof(T));
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(2 * x.size() * sizeof(T)));
}
BENCHMARK_TEMPLATE(BM_copy, double)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_copy, float)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

// mode 0: forward, 1: inverse, 2: forward + inverse (PyWavelets' wavedec2 + waverec2)
template <class T, int mode>
void BM_Wavelet2D_db4_L4(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::ops::Wavelet2D<T> W("db4", {n, n}, 4);
    auto x = random_image<T>(n, n);
    lucid::Image<T> y({n, n}), z({n, n});
    W.apply(x, y);
    for (auto _ : state) {
        if (mode != 1) W.apply(x, y);
        if (mode != 0) W.apply_adjoint(y, z);
        benchmark::ClobberMemory();
    }
    state.counters["Mpix/s"] = benchmark::Counter(double(n * n) * double(state.iterations()) / 1e6,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4, double, 0)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4, double, 1)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4, double, 2)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4, float, 2)->Apply(sizes);

// The portable (baseline SSE2) kernels, for CPUs without AVX2+FMA: forward + inverse.
template <class T>
void BM_Wavelet2D_db4_L4_portable(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::detail::force_portable() = true;
    lucid::ops::Wavelet2D<T> W("db4", {n, n}, 4);
    auto x = random_image<T>(n, n);
    lucid::Image<T> y({n, n}), z({n, n});
    for (auto _ : state) {
        W.apply(x, y);
        W.apply_adjoint(y, z);
        benchmark::ClobberMemory();
    }
    lucid::detail::force_portable() = false;
}
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4_portable, double)->Args({2048, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Wavelet2D_db4_L4_portable, float)->Args({2048, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Wavelet2D_L4_roundtrip(benchmark::State& state, const char* name) {
    using T = double;
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::ops::Wavelet2D<T> W(name, {n, n}, 4);
    auto x = random_image<T>(n, n);
    lucid::Image<T> y({n, n}), z({n, n});
    for (auto _ : state) {
        W.apply(x, y);
        W.apply_adjoint(y, z);
        benchmark::ClobberMemory();
    }
}
BENCHMARK_CAPTURE(BM_Wavelet2D_L4_roundtrip, haar, "haar")->Args({2048, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Wavelet2D_L4_roundtrip, coif5, "coif5")->Args({2048, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// Stationary (undecimated) db2, 3 levels: forward + adjoint (= inverse).
template <class T>
void BM_StationaryWavelet2D_db2_L3(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::ops::StationaryWavelet2D<T> S("db2", {n, n}, 3);
    auto x = random_image<T>(n, n);
    auto c = lucid::make_range(S);
    lucid::Image<T> z({n, n});
    for (auto _ : state) {
        S.apply(x, c);
        S.apply_adjoint(c, z);
        benchmark::ClobberMemory();
    }
}
BENCHMARK_TEMPLATE(BM_StationaryWavelet2D_db2_L3, double)->Args({1024, 1})->Args({1024, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_StationaryWavelet2D_db2_L3, float)->Args({1024, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// Neumann gradient and its adjoint (a TV iteration's operator work).
template <class T>
void BM_Gradient_neumann(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::ops::Gradient<T> D({n, n});
    auto x = random_image<T>(n, n);
    auto g = lucid::make_range(D);
    lucid::Image<T> z({n, n});
    for (auto _ : state) {
        D.apply(x, g);
        D.apply_adjoint(g, z);
        benchmark::ClobberMemory();
    }
    // bytes: apply reads 1 image, writes 2; adjoint reads 2, writes 1
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(6 * n * n * sizeof(T)));
}
BENCHMARK_TEMPLATE(BM_Gradient_neumann, double)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_Gradient_neumann, float)->Apply(sizes);

template <class T>
void BM_Laplacian_neumann(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(int(state.range(1)));
    lucid::ops::Laplacian<T> L({n, n});
    auto x = random_image<T>(n, n);
    lucid::Image<T> z({n, n});
    for (auto _ : state) {
        L.apply(x, z);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(2 * n * n * sizeof(T)));
}
BENCHMARK_TEMPLATE(BM_Laplacian_neumann, double)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
