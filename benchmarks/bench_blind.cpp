// Blind kernel estimation: the kernel step's product with the Toeplitz normal
// matrix (direct n⁴ sums vs one FFT pair on a (2n−1)² grid; the FFT is the
// default, faster at every side), and a whole estimate_kernel run.
//   build-bench/benchmarks/bench_blind
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "lucid/lucid.hpp"

namespace {

using lucid::detail::blind::KernelNormalEquations;

// Arguments: kernel side n, product (0 direct, 1 FFT).
void BM_KernelNormalProduct(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    KernelNormalEquations ne(n, state.range(1) ? KernelNormalEquations::Product::fft
                                               : KernelNormalEquations::Product::direct);
    std::mt19937 rng(1);
    std::normal_distribution<double> g(0, 1);
    const std::ptrdiff_t r = std::ptrdiff_t(n) - 1;
    for (std::ptrdiff_t dy = -r; dy <= r; ++dy)
        for (std::ptrdiff_t dx = -r; dx <= r; ++dx) ne.rho_slot(dy, dx) = g(rng);
    ne.finish_rho();
    std::vector<double> k(n * n), out(n * n);
    for (auto& v : k) v = g(rng);  // dense, as CG's search directions are
    for (auto _ : state) {
        ne.apply(k.data(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.SetLabel(state.range(1) ? "fft" : "direct");
}
BENCHMARK(BM_KernelNormalProduct)
    ->ArgsProduct({{5, 7, 9, 11, 15, 25, 31, 41, 63, 127, 255}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// estimate_kernel on camera.png (256²) blurred by a camera-shake kernel of side n (one thread, plans warm).
void BM_EstimateKernel(benchmark::State& state) {
    const std::size_t n = std::size_t(state.range(0));
    lucid::set_num_threads(1);
    const auto x = lucid::io::read_gray<double>(LUCID_SOURCE_DIR "/data/camera.png");
    const auto k = lucid::kernels::camera_shake<double>(n, 3);
    lucid::ops::Convolution<double> A(k, x.shape(), lucid::Boundary::reflect);
    const lucid::Image<double> y = A(x);
    lucid::blind::estimate_kernel(y, {.kernel_size = n});  // FFT plans made once, outside the timing
    for (auto _ : state) {
        auto r = lucid::blind::estimate_kernel(y, {.kernel_size = n});
        benchmark::DoNotOptimize(r.kernel.data());
    }
}
BENCHMARK(BM_EstimateKernel)->Arg(25)->Arg(63)->Arg(127)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
