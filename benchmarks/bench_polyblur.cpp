// Polyblur stage by stage, float, one thread (lucid::set_num_threads(1)),
// RGB images of 1 MP (1000×1000) and 12 MP (4000×3000):
//   estimate     blur estimation (§2) on the current image; the /spectrum
//                variant with DirectionRule::power_spectrum (adds the tiled
//                power-spectrum fit, at most 16 tiles of 256²)
//   deconvolve   p(K) u for the 3 channels + clamp (§4, no halo removal)
//   halo         the halo removal (§5: both blends of halo.hpp) alone, from u and p(K) u
//   pass         one whole pass: estimate + deconvolve + halo + clamp
//   polyblur3    deblur with the defaults (3 passes), workspace reused
//   polyblur3_one_shot  the free function deblur(): fresh workspace and output per call
// Counters: ms_per_MP (per pass for the stage benchmarks, per run for
// polyblur3) and, for reference, fft_pair_ms_per_MP: one FFTW r2c + c2r of
// the tiled route's 512×512 block per useful megapixel of one channel.
// FFT plans are made (FFTW_MEASURE unless LUCID_FFTW_EFFORT says otherwise)
// before timing starts.
//   build-poly/benchmarks/bench_polyblur --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <map>
#include <random>
#include <utility>

#include "lucid/lucid.hpp"
#include "lucid/polyblur/polyblur.hpp"

namespace {

namespace pb = lucid::polyblur;

// A mildly blurred synthetic colour photo stand-in: smooth shading, sharp
// disks and bars of random colours, 1 % noise, blurred by σ = 1.5.
lucid::ImageStack<float> make_image(std::size_t h, std::size_t w) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    lucid::ImageStack<float> img({3, h, w});
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < h; ++i)
            for (std::size_t j = 0; j < w; ++j)
                img(c, i, j) = float(0.3 + 0.2 * std::sin(double(i) / 97.0 + double(c)) * std::cos(double(j) / 131.0));
    for (int s = 0; s < int(h * w / 4000); ++s) {
        const double cy = u(rng) * double(h), cx = u(rng) * double(w), r = 3 + 25 * u(rng);
        const float col[3] = {float(u(rng)), float(u(rng)), float(u(rng))};
        for (std::ptrdiff_t i = std::ptrdiff_t(cy - r); i <= std::ptrdiff_t(cy + r); ++i)
            for (std::ptrdiff_t j = std::ptrdiff_t(cx - r); j <= std::ptrdiff_t(cx + r); ++j)
                if (i >= 0 && j >= 0 && i < std::ptrdiff_t(h) && j < std::ptrdiff_t(w) &&
                    (double(i) - cy) * (double(i) - cy) + (double(j) - cx) * (double(j) - cx) <= r * r)
                    for (std::size_t c = 0; c < 3; ++c) img(c, std::size_t(i), std::size_t(j)) = col[c];
    }
    // Blur (σ = 1.5 Gaussian, fourier route = the spec's reblur) and add noise.
    auto k = lucid::kernels::gaussian<float>(1.5, 25);
    auto blurred = pb::deconvolve(img, k, {.coefficients = {0.0, 1.0}});
    std::normal_distribution<double> n(0, 0.01);
    for (auto& v : blurred) v = float(std::clamp(double(v) + n(rng), 0.0, 1.0));
    return blurred;
}

const lucid::ImageStack<float>& image(std::size_t mp) {
    static std::map<std::size_t, lucid::ImageStack<float>> cache;
    auto it = cache.find(mp);
    if (it == cache.end()) {
        const std::size_t h = mp == 12 ? 3000 : 1000, w = mp == 12 ? 4000 : 1000;
        it = cache.emplace(mp, make_image(h, w)).first;
    }
    return it->second;
}

double megapixels(const lucid::ImageStack<float>& x) { return double(x.shape()[1] * x.shape()[2]) / 1e6; }

// A counter showing milliseconds per (megapixel × pass): rate-inverted, so
// Google Benchmark divides the time per iteration by mp·passes/1000.
void report(benchmark::State& state, double mp, double passes, const char* name = "ms_per_MP") {
    state.counters[name] = benchmark::Counter(mp * passes * 1e-3, benchmark::Counter::kIsIterationInvariantRate |
                                                                     benchmark::Counter::kInvert);
}

void BM_Estimate(benchmark::State& state, pb::DirectionRule direction) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    pb::Polyblur<float> ws({.estimate = {.direction = direction}});
    ws.estimate(x);  // plans
    for (auto _ : state) benchmark::DoNotOptimize(ws.estimate(x).blur.sigma0);
    report(state, megapixels(x), 1);
}

void BM_Deconvolve(benchmark::State& state) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    pb::Polyblur<float> ws({.remove_halo = false});
    const pb::GaussianBlur blur{1.8, 1.4, 0.5};
    lucid::ImageStack<float> out;
    ws.restore(x, blur, out);
    for (auto _ : state) {
        ws.restore(x, blur, out);
        benchmark::DoNotOptimize(out.data());
    }
    report(state, megapixels(x), 1);
}

void BM_Halo(benchmark::State& state) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    pb::Polyblur<float> ws({.remove_halo = false});
    lucid::ImageStack<float> u, out(x.shape());
    ws.restore(x, pb::GaussianBlur{1.8, 1.4, 0.5}, u);
    const std::size_t h = x.shape()[1], w = x.shape()[2];
    pb::detail::HaloSecondPass<float> second;
    second.reserve(h, w);
    // both blends of halo.hpp: the first out of place, the second in place (with the clamp)
    auto blend = [&] {
        for (std::size_t c = 0; c < 3; ++c) {
            pb::detail::halo_plane(x.data() + c * h * w, u.data() + c * h * w, out.data() + c * h * w, h, w, false);
            second.run(x.data() + c * h * w, static_cast<const float*>(nullptr), out.data() + c * h * w, h, w, true);
        }
    };
    blend();  // the first write faults `out`'s pages in; not part of the blend's cost
    for (auto _ : state) {
        blend();
        benchmark::DoNotOptimize(out.data());
    }
    report(state, megapixels(x), 1);
}

void BM_Pass(benchmark::State& state) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    pb::Polyblur<float> ws({.n_iter = 1});
    lucid::ImageStack<float> out;
    ws.run(x, out);
    for (auto _ : state) {
        ws.run(x, out);
        benchmark::DoNotOptimize(out.data());
    }
    report(state, megapixels(x), 1);
}

void BM_Polyblur3(benchmark::State& state) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    pb::Polyblur<float> ws;  // defaults: 3 passes, α = 6, β = 1, halo removal on
    lucid::ImageStack<float> out;
    ws.run(x, out);
    for (auto _ : state) {
        ws.run(x, out);
        benchmark::DoNotOptimize(out.data());
    }
    report(state, megapixels(x), 1);
    report(state, megapixels(x), 3, "ms_per_MP_per_pass");
}

// The free function as a one-off call: a fresh workspace and a fresh output
// image per call (what `lucid polyblur` and a script calling deblur() pay).
// Workspace buffers are AlignedBuffers (huge pages when available); the
// returned ImageStack is an xtensor array and is faulted in 4 KiB at a time.
void BM_Polyblur3OneShot(benchmark::State& state) {
    lucid::set_num_threads(1);
    const auto& x = image(std::size_t(state.range(0)));
    (void)pb::deblur(x);  // FFT plans
    for (auto _ : state) {
        auto r = pb::deblur(x);
        benchmark::DoNotOptimize(r.image.data());
    }
    report(state, megapixels(x), 1);
}

// One r2c + c2r of a 512×512 block per megapixel of useful output (one channel).
void BM_FftPairReference(benchmark::State& state) {
    lucid::set_num_threads(1);
    const std::size_t n = 512;
    auto f = lucid::fft::plan<float>(lucid::fft::Kind::r2c, n, n);
    auto b = lucid::fft::plan<float>(lucid::fft::Kind::c2r, n, n);
    lucid::fft::AlignedBuffer<float> re(n * n);
    lucid::fft::AlignedBuffer<std::complex<float>> sp(n * (n / 2 + 1));
    for (std::size_t i = 0; i < re.size(); ++i) re[i] = float(i % 17);
    for (auto _ : state) {
        f->r2c(re.data(), sp.data());
        b->c2r(sp.data(), re.data());
        benchmark::DoNotOptimize(re.data());
    }
    state.counters["ns_per_px"] = benchmark::Counter(double(n * n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
                                                                               benchmark::Counter::kInvert);
}

BENCHMARK_CAPTURE(BM_Estimate, argmin, pb::DirectionRule::argmin)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Estimate, spectrum, pb::DirectionRule::power_spectrum)
    ->Arg(1)
    ->Arg(12)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Deconvolve)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Halo)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pass)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Polyblur3)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Polyblur3OneShot)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FftPairReference)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
