// Solvers: CPU time of one iteration of GD, FISTA-TV, ADMM-TV, HQS-TV,
// PDHG-TV, Richardson–Lucy and PnP-ADMM (TV and NLM denoisers), float and
// double, one thread, each beside the bound this machine allows; plus the
// scaling runs (convolution and ADMM-TV, 256² .. 4096²) of docs/performance.md.
//
//   build/benchmarks/bench_solvers --benchmark_filter=AdmmTv
//   build/benchmarks/bench_solvers --rss 4096     # peak RSS of ADMM-TV, one JSON line
//
// Timing. Every solver runs `iters` iterations with a callback that reads the
// thread's CPU clock after each iteration; the per-iteration time is
// (t_last − t_first)/(iters − 1) (setup and the first, cold iteration left
// out), the best of 3 runs, reported as the manual time. CPU time, not wall
// time: the numbers are meant to survive a loaded machine.
//
// Bound = P transform pairs + B image planes at the STREAM-triad bandwidth:
//   bound = P·pair + B·(H·W·sizeof(T))/triad,
// with `pair` one forward + inverse transform on the H×W grid (FFTW r2c + c2r
// for periodic, REDFT10 + REDFT01 for reflect, lucid's cached plans, best CPU
// time) and `triad` the STREAM triad of bounds.hpp run with the footprint of
// the iteration's working set (W image-sized buffers alive in the loop, as
// three arrays of W/3 planes): a 512² ADMM-TV keeps 9 planes, which may not
// fit the cache that three planes fit in, so the bandwidth must be measured at
// the working set's size, not at one plane's. W per solver (buffers alive in
// the loop, half spectra counted as one plane): GD 6, FISTA-TV 12, ADMM-TV 9,
// HQS-TV 6, PDHG-TV 12, RL 6, PnP-ADMM 12 (NLM: 8). P and B are what an ideal, fully fused
// iteration must do; a complex H×(W/2+1) half spectrum counts as one plane.
// The counts (periodic; reflect/DCT in parentheses where they differ):
//
// - GD on ½‖Ax − y‖² (fixed step): ∇f = AᵀA x − Aᵀy through the Fourier
//   symbol of AᵀA: 1 pair + coefficients × symbol (read c, symbol, write c: 3)
//   + x ← x − t(g − Aᵀy) (read x, g, Aᵀy, write x: 4).               P=1 B=7
// - FISTA-TV, FGP prox with k = 10 inner iterations, no early stop: gradient
//   (1 pair + 3), forward step (read z, g, Aᵀy, write v: 4), FGP: 9 per inner
//   iteration (read r, p, v — 2+2+1 — write p, r — 2+2) except the first,
//   where r = p is read once (7), and the final x = v − λ∇ᵀp (4), momentum
//   (read x, x_prev, write z: 3).                                  P=1 B=12+9k
// - ADMM-TV (fused loop of admm_tv.hpp): coefficient pass (read c, b̂, Ĝ_A, write
//   c: 3.5, DCT 4) and one sweep that reads x, u⁰, u¹, q and writes u⁰, u¹,
//   rhs, q (8).                                                  P=1 B=11.5 (12)
// - HQS-TV (fused loop of hqs_tv.hpp; z = shrink(∇x), x = (AᵀA + μ∇ᵀ∇)⁻¹(Aᵀy +
//   μ∇ᵀz)): z need never be stored: one sweep reads x and the previous x (the
//   stopping rule's relative change) and writes rhs = ∇ᵀz (3), coefficient
//   pass as ADMM-TV's (3.5, DCT 4); fixed μ, so the multiplier is not
//   rewritten.                                                    P=1 B=6.5 (7)
// - PDHG-TV (Chambolle–Pock, K = [A; ∇], g = ½‖· − y‖² ⊕ λ‖·‖₂,₁): A x̄ (1 pair
//   + 3), dual y₁ (read y₁, A x̄, y, write y₁: 4), dual y₂ (read y₂, x̄, write
//   y₂: 5), Aᵀy₁ (1 pair + 3), primal + extrapolation (read x, Aᵀy₁, y₂,
//   write x, x̄: 6).                                                P=2 B=21
// - Richardson–Lucy: A x (1 pair + 3), ratio y/(A x) (3), Aᵀ (1 pair + 3),
//   x ← x·Aᵀ(…) (3).                                                P=2 B=12
// - PnP-ADMM with the TV denoiser (k = 10 FGP iterations): rhs = Aᵀy + ρ(v − u)
//   (4), x-solve (1 pair + 3), x + u (3), FGP (9k − 2 + 4), u ← u + x − v (4).
//                                                                P=1 B=16+9k
// - PnP-ADMM with NLM: the same data part (P=1 B=18) plus the CPU time of one
//   stand-alone NonLocalMeans::denoise call on the same image (measured here):
//   the ratio then shows what the solver adds around its denoiser.
//
// Periodic problems use Boundary::periodic with ConvolutionMethod::fft (the
// exact H×W transform, no padding); reflect problems a symmetric Gaussian
// (σ = 2) whose AᵀA the DCT-II diagonalizes. Counters: ms_per_iter,
// pixels_per_s, bound_ms, ratio_to_bound, pairs, planes, pair_ms, triad_GBps.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "bounds.hpp"
#include "lucid/lucid.hpp"

namespace {

using lucid::Boundary;
using lucid::Image;
using lucid::bench::thread_cpu_seconds;

template <class T>
Image<T> test_image(std::size_t n) {
    std::mt19937 rng(3);
    std::normal_distribution<double> g(0, 0.01);
    Image<T> x({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            x(i, j) = T(0.5 + 0.3 * std::sin(0.05 * double(i)) * std::cos(0.031 * double(j)) +
                        ((i / 37 + j / 53) % 2 ? 0.15 : -0.15) + g(rng));
    return x;
}

/// Best CPU time of one forward + inverse transform pair (no multiply) on an
/// h×w grid with lucid's cached plans, over at least `min_repeats` pairs and `min_seconds`.
template <class T>
double measure_pair_seconds(bool cosine, std::size_t h, std::size_t w, int min_repeats = 7, double min_seconds = 0.3) {
    using lucid::fft::Kind;
    auto fwd = lucid::fft::plan<T>(cosine ? Kind::dct2 : Kind::r2c, h, w);
    auto inv = lucid::fft::plan<T>(cosine ? Kind::dct3 : Kind::c2r, h, w);
    lucid::fft::AlignedBuffer<T> a(h * w), b(h * w);
    lucid::fft::AlignedBuffer<std::complex<T>> c(h * (w / 2 + 1));
    for (std::size_t i = 0; i < h * w; ++i) a[i] = T(std::sin(0.1 * double(i)));
    double best = 1e300, spent = 0;
    for (int r = 0; r < min_repeats || (spent < min_seconds && r < 200); ++r) {
        const double t0 = thread_cpu_seconds();
        if (cosine) {
            fwd->r2r(a.data(), b.data());
            inv->r2r(b.data(), a.data());
            // keep values bounded: the unnormalized pair scales by 4HW
            a[0] = T(0.5);
        } else {
            fwd->r2c(a.data(), c.data());
            inv->c2r(c.data(), a.data());
        }
        benchmark::ClobberMemory();
        const double dt = thread_cpu_seconds() - t0;
        best = std::min(best, dt);
        spent += dt;
    }
    return best;
}

/// The same, measured once per (transform, size) and process (reference tables).
template <class T>
double transform_pair_seconds(bool cosine, std::size_t h, std::size_t w) {
    static std::map<std::tuple<bool, std::size_t, std::size_t>, double> cache;
    const auto key = std::make_tuple(cosine, h, w);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    return cache[key] = measure_pair_seconds<T>(cosine, h, w);
}

/// Triad bandwidth with the footprint of the iteration's working set: three
/// arrays of `working`/3 image planes each, so the bandwidth is that of the
/// cache level (or DRAM) the solver's buffers actually stream from.
template <class T>
double triad(std::size_t n, double working) {
    static std::map<std::size_t, double> cache;
    const std::size_t elements = std::size_t(std::ceil(working / 3.0 * double(n * n)));
    if (auto it = cache.find(elements); it != cache.end()) return it->second;
    const std::size_t reps = std::max<std::size_t>(10, (std::size_t(1) << 26) / elements);
    return cache[elements] = lucid::bench::triad_bandwidth<T>(elements, int(std::min<std::size_t>(reps, 400)));
}

struct Bound {
    double pairs = 0, planes = 0, pair_s = 0, bandwidth = 1, plane_bytes = 0, extra_s = 0, working = 0;
    std::function<double()> remeasure_pair;  ///< a fresh best-of pair time (after each solver run)
    double seconds() const { return pairs * pair_s + planes * plane_bytes / bandwidth + extra_s; }
};

template <class T>
Bound make_bound(bool cosine, std::size_t n, double pairs, double planes, double working) {
    return {pairs, planes, transform_pair_seconds<T>(cosine, n, n), triad<T>(n, working), double(n * n * sizeof(T)), 0,
            working, [cosine, n] { return measure_pair_seconds<T>(cosine, n, n, 5, 0.0); }};
}

/// Callback: records the thread CPU clock after each iteration.
struct CpuClock {
    std::vector<double>* t;
    template <class S>
    bool operator()(const S&) const {
        t->push_back(thread_cpu_seconds());
        return false;
    }
};

/// Runs `run(CpuClock)` 3 times; reports the best per-iteration CPU time and the counters.
/// The transform pair of the bound is timed again after every run (best of 5
/// pairs) and the best of those times replaces the one made when the bound was
/// built, so the bound and the solver are measured under the same machine
/// conditions (a pair timed once, early, drifts away from later runs on a
/// shared machine).
template <class Run>
void measure(benchmark::State& state, std::size_t n, Bound bound, Run&& run, int reps = 3) {
    double best = std::numeric_limits<double>::infinity(), pair_best = best;
    for (auto _ : state) {
        for (int r = 0; r < reps; ++r) {
            std::vector<double> t;
            t.reserve(256);
            run(CpuClock{&t});
            if (t.size() < 2) {
                state.SkipWithError("solver stopped before 2 iterations");
                return;
            }
            best = std::min(best, (t.back() - t.front()) / double(t.size() - 1));
            if (bound.remeasure_pair && bound.pairs > 0) pair_best = std::min(pair_best, bound.remeasure_pair());
        }
        state.SetIterationTime(best);
    }
    if (pair_best < std::numeric_limits<double>::infinity()) bound.pair_s = pair_best;
    state.counters["ms_per_iter"] = best * 1e3;
    state.counters["pixels_per_s"] = double(n * n) / best;
    state.counters["bound_ms"] = bound.seconds() * 1e3;
    state.counters["ratio_to_bound"] = best / bound.seconds();
    state.counters["pairs"] = bound.pairs;
    state.counters["planes"] = bound.planes;
    state.counters["pair_ms"] = bound.pair_s * 1e3;
    state.counters["triad_GBps"] = bound.bandwidth * 1e-9;
    state.counters["working_planes"] = bound.working;
    if (bound.extra_s > 0) state.counters["denoiser_ms"] = bound.extra_s * 1e3;
}

int iterations_for(std::size_t n) { return n <= 256 ? 30 : n <= 512 ? 20 : n <= 2048 ? 6 : 4; }

/// A deblurring problem: Gaussian σ = 2, periodic (FFT method) or reflect (DCT spectrum).
template <class T>
struct Problem {
    std::size_t n;
    bool periodic;
    lucid::ops::Convolution<T> A;
    Image<T> y;
    Problem(std::size_t n_, bool periodic_)
        : n(n_), periodic(periodic_),
          A(lucid::kernels::gaussian<T>(2.0, 2.0, 0.0), {n_, n_}, periodic_ ? Boundary::periodic : Boundary::reflect,
            {.method = periodic_ ? lucid::ops::ConvolutionMethod::fft : lucid::ops::ConvolutionMethod::automatic}),
          y(A(test_image<T>(n_))) {}
    Boundary grad_boundary() const { return periodic ? Boundary::periodic : Boundary::reflect; }
    const char* label() const { return periodic ? "periodic (FFT)" : "reflect (DCT)"; }
};

constexpr int kFgp = 10;

template <class T>
void BM_GD(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 1, 7, 6), [&](auto clock) {
        lucid::gradient_descent(lucid::LeastSquares(std::cref(p.A), p.y), p.y,
                                {.max_iter = iters, .tol = 0, .rule = lucid::StepRule::fixed, .compute_objective = false},
                                clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_FistaTV(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    // FISTA-TV's TV uses the Neumann gradient whatever A's boundary.
    lucid::TotalVariation<T> tv(T(1e-3), lucid::TvNorm::isotropic, {.max_iter = kFgp, .tol = 0, .check_every = 0});
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 1, 12 + 9.0 * kFgp, 12), [&](auto clock) {
        lucid::fista(lucid::LeastSquares(std::cref(p.A), p.y), tv, p.y,
                     {.max_iter = iters, .tol = 0, .compute_objective = false}, clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_AdmmTV(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n) * 2;
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 1, p.periodic ? 11.5 : 12, 9), [&](auto clock) {
        lucid::admm_tv(p.A, p.y, T(1e-3), p.y,
                       {.max_iter = iters, .tol = 0, .adaptive_rho = false, .compute_objective = false}, clock);
    });
    state.SetLabel(p.label());
}

/// One HQS-TV iteration (fixed μ) through `hqs_tv`'s fused loop (Fused) or
/// through the generic `hqs` (LeastSquares, L21Norm, Gradient: closed-form
/// x-update, z and Kx stored as images), against the same bound.
template <class T, bool Fused>
void hqs_tv_iteration(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    const lucid::HqsTvParams params{.max_iter = iters, .mu_growth = 1, .tol = 0, .compute_objective = false};
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 1, p.periodic ? 6.5 : 7, 6), [&](auto clock) {
        if constexpr (Fused)
            lucid::hqs_tv(p.A, p.y, T(1e-3), p.y, params, clock);
        else
            lucid::hqs(lucid::LeastSquares(std::cref(p.A), p.y), lucid::L21Norm<T>(T(1e-3)),
                       lucid::ops::Gradient<T>({p.n, p.n}, p.grad_boundary()), p.y, params.generic(), clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_HqsTV(benchmark::State& state) {
    hqs_tv_iteration<T, true>(state);
}

/// The generic path, to show what the fused loop saves. Not in docs/performance.md's table.
template <class T>
void BM_HqsGenericTV(benchmark::State& state) {
    hqs_tv_iteration<T, false>(state);
}

template <class T>
void BM_PdhgTV(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    const double knorm = std::sqrt(1.0 + 8.0);  // ‖A‖ ≤ 1 (normalized kernel), ‖∇‖² ≤ 8
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 2, 21, 12), [&](auto clock) {
        auto K = lucid::stack(p.A, lucid::ops::Gradient<T>({p.n, p.n}, p.grad_boundary()));
        auto g = lucid::separable_sum(lucid::SquaredL2(T(1), p.y), lucid::L21Norm<T>(T(1e-3)));
        lucid::pdhg(lucid::Zero<T>(), std::move(g), std::move(K), p.y,
                    {.max_iter = iters, .tol = 0, .operator_norm = knorm, .compute_objective = false}, clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_RichardsonLucy(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 2, 12, 6), [&](auto clock) {
        lucid::richardson_lucy(p.A, p.y, p.y, {.max_iter = iters, .compute_objective = false}, clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_PnpAdmmTV(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    const int iters = iterations_for(p.n);
    lucid::denoisers::TvDenoiser<T> den({.lambda = 0.02, .prox = {.max_iter = kFgp, .tol = 0, .check_every = 0}});
    measure(state, p.n, make_bound<T>(!p.periodic, p.n, 1, 16 + 9.0 * kFgp, 12), [&](auto clock) {
        lucid::pnp_admm(lucid::LeastSquares(std::cref(p.A), p.y), den, p.y,
                        {.max_iter = iters, .lambda = 1e-4, .sigma = {.initial = 0.05}, .tol = 0}, clock);
    });
    state.SetLabel(p.label());
}

template <class T>
void BM_PnpAdmmNLM(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<T> p(std::size_t(state.range(0)), state.range(1) != 0);
    lucid::denoisers::NonLocalMeans<T> den{};
    Bound bound = make_bound<T>(!p.periodic, p.n, 1, 18, 8);
    {
        Image<T> out = p.y;
        double best = 1e300;
        for (int r = 0; r < 2; ++r) {
            const double t0 = thread_cpu_seconds();
            den.denoise(p.y, T(0.05), out);
            benchmark::DoNotOptimize(out.data());
            best = std::min(best, thread_cpu_seconds() - t0);
        }
        bound.extra_s = best;
    }
    measure(
        state, p.n, bound,
        [&](auto clock) {
            lucid::pnp_admm(lucid::LeastSquares(std::cref(p.A), p.y), den, p.y,
                            {.max_iter = 3, .lambda = 1e-4, .sigma = {.initial = 0.05}, .tol = 0}, clock);
        },
        2);
    state.SetLabel(p.label());
}

void solver_args(benchmark::internal::Benchmark* b, std::vector<long> ns, std::vector<long> periodic) {
    for (long n : ns)
        for (long per : periodic) b->Args({n, per});
    b->ArgNames({"n", "periodic"})->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
}
void cheap(benchmark::internal::Benchmark* b) { solver_args(b, {256, 512, 2048}, {1}); }
void both_boundaries(benchmark::internal::Benchmark* b) { solver_args(b, {256, 512, 2048}, {0, 1}); }
void expensive(benchmark::internal::Benchmark* b) { solver_args(b, {256, 512}, {1}); }

BENCHMARK_TEMPLATE(BM_GD, double)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_GD, float)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_FistaTV, double)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_FistaTV, float)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_AdmmTV, double)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_AdmmTV, float)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_HqsTV, double)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_HqsTV, float)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_HqsGenericTV, double)->Apply(both_boundaries);
BENCHMARK_TEMPLATE(BM_PdhgTV, double)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_PdhgTV, float)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_RichardsonLucy, double)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_RichardsonLucy, float)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_PnpAdmmTV, double)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_PnpAdmmTV, float)->Apply(cheap);
BENCHMARK_TEMPLATE(BM_PnpAdmmNLM, double)->Apply(expensive);
BENCHMARK_TEMPLATE(BM_PnpAdmmNLM, float)->Apply(expensive);

// ---- scaling (double, one thread): time vs n for n = 256 .. 4096 ----

// Convolution, reflect boundary, σ = 2 Gaussian, FFT method (the padded grid).
void BM_ScalingConvolution(benchmark::State& state) {
    lucid::set_num_threads(1);
    const std::size_t n = std::size_t(state.range(0));
    lucid::ops::Convolution<double> A(lucid::kernels::gaussian<double>(2.0, 2.0, 0.0), {n, n}, Boundary::reflect,
                                      {.method = lucid::ops::ConvolutionMethod::fft});
    const Image<double> x = test_image<double>(n);
    Image<double> y = lucid::make_range(A);
    A.apply(x, y);
    double best = 1e300;
    for (auto _ : state) {
        for (int r = 0; r < (n >= 2048 ? 3 : 10); ++r) {
            const double t0 = thread_cpu_seconds();
            A.apply(x, y);
            benchmark::ClobberMemory();
            best = std::min(best, thread_cpu_seconds() - t0);
        }
        state.SetIterationTime(best);
    }
    state.counters["ms_per_iter"] = best * 1e3;
    state.counters["pixels_per_s"] = double(n * n) / best;
}

// ADMM-TV, reflect (DCT path), one iteration.
void BM_ScalingAdmmTV(benchmark::State& state) {
    lucid::set_num_threads(1);
    Problem<double> p(std::size_t(state.range(0)), false);
    const int iters = p.n >= 4096 ? 4 : iterations_for(p.n);
    measure(state, p.n, make_bound<double>(true, p.n, 1, 12, 9), [&](auto clock) {
        lucid::admm_tv(p.A, p.y, 1e-3, p.y,
                       {.max_iter = iters, .tol = 0, .adaptive_rho = false, .compute_objective = false}, clock);
    }, p.n >= 4096 ? 2 : 3);
}

void scaling(benchmark::internal::Benchmark* b) {
    for (long n : {256L, 512L, 1024L, 2048L, 4096L}) b->Arg(n);
    b->ArgNames({"n"})->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
}
BENCHMARK(BM_ScalingConvolution)->Apply(scaling);
BENCHMARK(BM_ScalingAdmmTV)->Apply(scaling);

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// ADMM-TV on an n×n double image (reflect, Gaussian σ = 2), 20 iterations with
// objective and residuals: peak RSS of the whole process, in image buffers.
int rss_mode(std::size_t n) {
    lucid::set_num_threads(1);
    const double plane_mib = double(n * n * sizeof(double)) / (1 << 20);
    const long baseline = peak_rss_kib();
    Image<double> y = test_image<double>(n);
    lucid::ops::Convolution<double> A(lucid::kernels::gaussian<double>(2.0, 2.0, 0.0), {n, n}, Boundary::reflect);
    {
        Image<double> blurred = A(y);
        y = std::move(blurred);
    }
    const long with_data = peak_rss_kib();
    auto r = lucid::admm_tv(A, y, 1e-3, y, {.max_iter = 20, .tol = 0});
    const long after = peak_rss_kib();
    std::printf("{\"n\": %zu, \"iterations\": %d, \"plane_mib\": %.3f, \"baseline_mib\": %.1f, "
                "\"with_data_mib\": %.1f, \"peak_mib\": %.1f, \"buffers_total\": %.2f, \"buffers_solver\": %.2f}\n",
                n, r.iterations, plane_mib, baseline / 1024.0, with_data / 1024.0, after / 1024.0,
                (after - baseline) / 1024.0 / plane_mib, (after - with_data) / 1024.0 / plane_mib);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--rss") == 0)
            return rss_mode(i + 1 < argc ? std::size_t(std::strtoul(argv[i + 1], nullptr, 10)) : 4096);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
