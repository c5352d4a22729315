// What a fresh workspace costs: a solver call allocates K image-sized
// buffers, writes each once, and frees them (about what ADMM-TV's fused loop holds: 9).
// Per benchmark iteration: K allocations of B bytes (not zeroed), one write
// pass over each (std::fill), K frees.
//   heap           new double[n] (glibc malloc: large blocks are fresh
//                  mappings, faulted in 4 KiB at a time)
//   aligned_buffer lucid::fft::AlignedBuffer (from 1 MiB: a 2 MiB-aligned
//                  mapping advised as transparent huge pages; see
//                  include/lucid/core/aligned_buffer.hpp)
//   image          an xtensor image as lucid allocates it (detail::fresh_untouched:
//                  glibc malloc, huge pages advised from 4 MiB, then
//                  prefaulted in one madvise(MADV_POPULATE_WRITE) call)
//   bound          the same write passes over buffers allocated and faulted
//                  in before timing (memory bandwidth only)
// One untimed workspace first (on a VM, memory the host has not backed yet
// costs several times more on its first touch, whatever the page size).
// Counters: ms per workspace, ratio_to_bound, and huge_pages = 1 when the
// AlignedBuffers really were mapped on huge pages (0: THP off, sanitizer
// build, LUCID_HUGE_PAGES=0, or not Linux).
//   build-bench/benchmarks/bench_allocation --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "lucid/core/aligned_buffer.hpp"
#include "lucid/core/vector_space.hpp"

namespace {

constexpr int buffers_per_workspace = 8;

// The image sizes of bench_solvers (double) and a 12 MP float plane.
std::size_t elements(int which) {
    switch (which) {
        case 0: return 512 * 512;      // 2 MiB
        case 1: return 2048 * 2048;    // 32 MiB
        default: return 4000 * 3000 / 2;  // 12 MP float plane = 6 M doubles, 46 MiB
    }
}

const char* label(int which) {
    switch (which) {
        case 0: return "512^2 double (2 MiB)";
        case 1: return "2048^2 double (32 MiB)";
        default: return "12 MP float (46 MiB)";
    }
}

// Time of the write passes alone over K pre-faulted buffers (best of 5).
double bound_seconds(std::size_t n) {
    std::vector<std::vector<double>> warm(buffers_per_workspace, std::vector<double>(n, 0.0));
    double best = 1e300;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (auto& b : warm) std::fill(b.begin(), b.end(), double(r));
        benchmark::DoNotOptimize(warm.front().data());
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

// new double[n], not zeroed (so the one write pass is the only pass, as for AlignedBuffer).
class HeapBuffer {
public:
    HeapBuffer(std::size_t n, lucid::fft::uninitialized_t) : p_(new double[n]), n_(n) {}
    double* data() { return p_.get(); }
    double* begin() { return p_.get(); }
    double* end() { return p_.get() + n_; }

private:
    std::unique_ptr<double[]> p_;
    std::size_t n_;
};

// xt::xtensor<double, 1> from lucid::detail::fresh_untouched (what make_vector,
// zeros_like, make_range and clone allocate before their one write).
class ImageBuffer {
public:
    ImageBuffer(std::size_t n, lucid::fft::uninitialized_t)
        : v_(lucid::detail::fresh_untouched<xt::xtensor<double, 1>>(std::array<std::size_t, 1>{n})) {}
    double* data() { return v_.data(); }
    double* begin() { return v_.data(); }
    double* end() { return v_.data() + v_.size(); }

private:
    xt::xtensor<double, 1> v_;
};

template <class Buffer>
void run(benchmark::State& state) {
    const std::size_t n = elements(int(state.range(0)));
    const double bound = bound_seconds(n);
    double huge = 0, total = 0;
    {  // untimed warm-up: the first touch of guest memory a VM's host has not backed yet costs far more
        std::vector<Buffer> warm;
        for (int k = 0; k < buffers_per_workspace; ++k) {
            warm.emplace_back(n, lucid::fft::uninitialized);
            std::fill(warm.back().begin(), warm.back().end(), 1.0);
        }
    }
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        {
            std::vector<Buffer> workspace;
            workspace.reserve(buffers_per_workspace);
            for (int k = 0; k < buffers_per_workspace; ++k) {
                workspace.emplace_back(n, lucid::fft::uninitialized);
                std::fill(workspace.back().begin(), workspace.back().end(), 1.0);
                benchmark::DoNotOptimize(workspace.back().data());
            }
            if constexpr (requires(const Buffer& b) { b.huge_pages(); }) huge = workspace.front().huge_pages();
        }
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        state.SetIterationTime(t);
        total += t;
    }
    const double per_workspace = total / double(std::max<benchmark::IterationCount>(state.iterations(), 1));
    state.counters["ms_per_workspace"] = per_workspace * 1e3;
    state.counters["bound_ms"] = bound * 1e3;
    state.counters["ratio_to_bound"] = per_workspace / bound;
    state.counters["huge_pages"] = huge;
    state.counters["bytes_per_s"] = benchmark::Counter(double(buffers_per_workspace * n * sizeof(double)),
                                                       benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(label(int(state.range(0))));
}

void BM_Workspace_heap(benchmark::State& state) { run<HeapBuffer>(state); }
void BM_Workspace_aligned_buffer(benchmark::State& state) { run<lucid::fft::AlignedBuffer<double>>(state); }
void BM_Workspace_image(benchmark::State& state) { run<ImageBuffer>(state); }

}  // namespace

BENCHMARK(BM_Workspace_heap)->ArgName("size")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Workspace_aligned_buffer)->ArgName("size")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
BENCHMARK(BM_Workspace_image)->ArgName("size")->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);
