// Classical denoisers on 256×256 gray and color images at σ = 20/255
// (NLM with the IPOL parameter table: patch 5×5, search 21×21 gray; 3×3, 21×21 color).
//   build/benchmarks/bench_denoisers
// Peer for NLM: skimage.restoration.denoise_nl_means(fast_mode=True) implements the
// same per-offset integral-image scheme (Darbon et al. 2008); time it with
//   /usr/bin/python3 benchmarks/peers/skimage_nlm.py
#include <benchmark/benchmark.h>

#include <random>

#include "lucid/denoisers/denoisers.hpp"
#include "lucid/lucid.hpp"

namespace {

template <std::size_t Rank>
xt::xtensor<double, Rank> noisy(const lucid::Shape<Rank>& shape) {
    std::mt19937 rng(1);
    std::normal_distribution<double> n(0, 20.0 / 255);
    xt::xtensor<double, Rank> y(shape);
    std::size_t k = 0;
    for (auto& v : y) v = ((k++ / 37) % 2 ? 0.7 : 0.3) + n(rng);
    return y;
}

template <class D, std::size_t Rank>
void run(benchmark::State& state, const D& d, lucid::Shape<Rank> shape) {
    lucid::set_num_threads(1);
    const auto y = noisy(shape);
    auto out = lucid::zeros_like(y);
    for (auto _ : state) {
        d.denoise(y, 20.0 / 255, out);
        benchmark::DoNotOptimize(out.data());
    }
}

void BM_NlmGray(benchmark::State& s) { run(s, lucid::denoisers::NonLocalMeans<double>(), lucid::Shape<2>{256, 256}); }
void BM_NlmColor(benchmark::State& s) { run(s, lucid::denoisers::NonLocalMeans<double>(), lucid::Shape<3>{3, 256, 256}); }
void BM_TvDenoiser(benchmark::State& s) { run(s, lucid::denoisers::TvDenoiser<double>(), lucid::Shape<2>{256, 256}); }
void BM_WaveletDenoiser16Spins(benchmark::State& s) { run(s, lucid::denoisers::WaveletDenoiser<double>(), lucid::Shape<2>{256, 256}); }
void BM_GaussianDenoiser(benchmark::State& s) { run(s, lucid::denoisers::GaussianDenoiser<double>(), lucid::Shape<2>{256, 256}); }
BENCHMARK(BM_NlmGray)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NlmColor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TvDenoiser)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WaveletDenoiser16Spins)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GaussianDenoiser)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
