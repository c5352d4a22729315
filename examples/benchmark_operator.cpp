// Timing one operator with Google Benchmark.
//
// Every lucid operator applies into a caller-owned buffer and allocates
// nothing per call, so a benchmark loop is just `A.apply(x, y)`. This one
// times a 13×13 Gaussian blur (σ = 2, reflect boundary) — forward and
// adjoint, direct (separable spatial sums) and FFT paths — on square float
// images, one thread, and reports megapixels per second (the "Mpix=…/s" column). Compare with the
// FFTW and memory-bandwidth bounds in benchmarks/ (bench_convolution).
//
//   example_benchmark_operator [--smoke] [any --benchmark_* flag]
//   e.g. example_benchmark_operator --benchmark_filter=fft --benchmark_format=json
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "lucid/lucid.hpp"

namespace {

double g_min_time = 0.2;   // seconds per benchmark; --smoke lowers it

/// state.range(0): image side; state.range(1): 0 = direct, 1 = FFT; state.range(2): 1 = adjoint.
void BM_GaussianBlur(benchmark::State& state) {
    using namespace lucid;
    const auto n = std::size_t(state.range(0));
    const auto method = state.range(1) ? ops::ConvolutionMethod::fft : ops::ConvolutionMethod::direct;
    const bool adjoint = state.range(2) != 0;
    const ops::Convolution<float> A(kernels::gaussian<float>(2.0), {n, n}, Boundary::reflect, {.method = method});
    Image<float> x({n, n}), y({n, n});
    std::mt19937 rng(0);
    std::uniform_real_distribution<float> u(0, 1);
    for (auto& v : x) v = u(rng);
    for (auto _ : state) {
        if (adjoint) A.apply_adjoint(x, y);
        else A.apply(x, y);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.counters["Mpix"] = benchmark::Counter(double(n * n) * 1e-6 * double(state.iterations()),
                                                  benchmark::Counter::kIsRate);
    state.SetLabel(std::string(method == ops::ConvolutionMethod::fft ? "fft" : "direct") + (adjoint ? ", adjoint" : ""));
}

}  // namespace

int main(int argc, char** argv) {
    // --smoke (CI): tiny images and a few milliseconds per case.
    bool smoke = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
        else args.push_back(argv[i]);
    }
    int n_args = int(args.size());
    lucid::set_num_threads(1);   // single-thread numbers are the stable ones on a shared machine
    if (smoke) g_min_time = 0.005;
    const std::vector<long> sides = smoke ? std::vector<long>{64} : std::vector<long>{256, 1024};
    for (long n : sides)
        for (long fft : {0, 1})
            for (long adj : {0, 1})
                benchmark::RegisterBenchmark("gaussian_blur_13x13", BM_GaussianBlur)
                    ->Args({n, fft, adj})
                    ->ArgNames({"n", "fft", "adjoint"})
                    ->MinTime(g_min_time)
                    ->Unit(benchmark::kMicrosecond);
    benchmark::Initialize(&n_args, args.data());
    if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
