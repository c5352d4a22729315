#pragma once
// Shared reference timings ("bounds") that benchmarks report next to their
// measurements, so every number comes with what the machine allows:
//
// - triad_bandwidth<T>(n): STREAM triad a = b + s·c on three arrays of n
//   elements, best of `repeats` passes; returns bytes/s (3·n·sizeof(T) per
//   pass). Memory-bound kernels divide their byte count by it.
// - fft_pair_seconds<T>(h, w): the best time of one FFTW r2c and one c2r of
//   an h×w real array plus one pointwise complex multiply of the h×(w/2+1)
//   half spectrum, with lucid's cached plans (current planner effort and
//   thread count). This is the floor of any FFT-based convolution on that
//   grid: whatever else it does (padding, crops) comes on top. `FftPair`
//   is the same pair as an object that times one call at a time.
// - paired_best(op, bound): op and bound timed in alternating blocks, best of
//   each, so that a ratio op/bound compares two measurements made under the
//   same conditions (a bound measured once, early, makes later ratios drift
//   with the machine's load).
//
// All keep the fastest of several passes (optimistic, as bounds should be)
// and time them in CPU time of the calling thread, like Google Benchmark's
// default "CPU" column: on a shared, loaded machine wall time inflates both
// the bound and the measurement unpredictably. For this to be the whole cost
// the FFTW plans must be single-threaded (lucid::set_num_threads(1) before
// the plans are made), as the convolution benchmarks do.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstddef>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "lucid/core/fft.hpp"

namespace lucid::bench {

/// CPU seconds consumed by the calling thread.
inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

/// Wall-clock seconds since an arbitrary epoch (steady clock).
inline double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// STREAM triad a = b + s·c on n elements; returns the best bytes per CPU second over the passes.
template <class T>
double triad_bandwidth(std::size_t n, int repeats = 20) {
    std::vector<T> a(n, T(0)), b(n, T(1)), c(n, T(2));
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const double t0 = thread_cpu_seconds();
        T* __restrict pa = a.data();
        const T* __restrict pb = b.data();
        const T* __restrict pc = c.data();
        const T s = T(1.0001);
        for (std::size_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
        best = std::min(best, thread_cpu_seconds() - t0);
    }
    return 3.0 * double(n) * sizeof(T) / best;
}

/// One FFTW r2c + pointwise complex multiply + c2r on an h×w grid, buffers
/// and plans made once: `once()` times a single pair (CPU seconds), so a
/// benchmark can alternate it with the operation it bounds and compare best
/// with best under the same machine conditions.
template <class T>
class FftPair {
public:
    FftPair(std::size_t h, std::size_t w)
        : forward_(fft::plan<T>(fft::Kind::r2c, h, w)), inverse_(fft::plan<T>(fft::Kind::c2r, h, w)),
          n_(h * w), nc_(h * (w / 2 + 1)), in_(n_), out_(n_), spec_(nc_), kernel_(nc_) {
        for (std::size_t i = 0; i < n_; ++i) in_[i] = T(std::sin(0.37 * double(i)));
        for (std::size_t i = 0; i < nc_; ++i) kernel_[i] = std::complex<T>(T(std::cos(0.1 * double(i))), T(0.5));
    }

    /// CPU seconds of one pair.
    double once() {
        const double t0 = thread_cpu_seconds();
        forward_->r2c(in_.data(), spec_.data());
        T* __restrict s = reinterpret_cast<T*>(spec_.data());
        const T* __restrict k = reinterpret_cast<const T*>(kernel_.data());
        for (std::size_t i = 0; i < nc_; ++i) {
            const T ar = s[2 * i], ai = s[2 * i + 1], br = k[2 * i], bi = k[2 * i + 1];
            s[2 * i] = ar * br - ai * bi;
            s[2 * i + 1] = ar * bi + ai * br;
        }
        inverse_->c2r(spec_.data(), out_.data());
        benchmark::DoNotOptimize(out_.data());
        benchmark::ClobberMemory();
        return thread_cpu_seconds() - t0;
    }

private:
    std::shared_ptr<const fft::Plan<T>> forward_, inverse_;
    std::size_t n_, nc_;
    fft::AlignedBuffer<T> in_, out_;
    fft::AlignedBuffer<std::complex<T>> spec_, kernel_;
};

/// The best time of FftPair<T>(h, w).once() over at least `min_repeats`
/// passes and `min_seconds` of CPU time.
template <class T>
double fft_pair_seconds(std::size_t h, std::size_t w, double min_seconds = 0.2, int min_repeats = 5) {
    FftPair<T> pair(h, w);
    double best = 1e300, spent = 0;
    for (int r = 0; (r < min_repeats || spent < min_seconds) && r <= 1000; ++r) {
        const double dt = pair.once();
        best = std::min(best, dt);
        spent += dt;
    }
    return best;
}

/// Best-of timing of an operation and of its bound, alternated in blocks of
/// `block` calls (each block back to back, so each side runs warm, as the
/// benchmark loop and the bound do on their own; alternating blocks puts a
/// noisy moment on both): returns {best op seconds, best bound seconds} over
/// at least `min_rounds` rounds and `min_seconds` of CPU time.
template <class Op, class Bound>
std::pair<double, double> paired_best(Op&& op, Bound&& bound, double min_seconds = 0.3, int min_rounds = 4,
                                      int block = 5) {
    double best_op = 1e300, best_bound = 1e300, spent = 0;
    for (int r = 0; (r < min_rounds || spent < min_seconds) && r <= 400; ++r) {
        for (int i = 0; i < block; ++i) {
            const double t0 = thread_cpu_seconds();
            op();
            benchmark::ClobberMemory();
            const double dt = thread_cpu_seconds() - t0;
            best_op = std::min(best_op, dt);
            spent += dt;
        }
        for (int i = 0; i < block; ++i) {
            const double db = bound();
            best_bound = std::min(best_bound, db);
            spent += db;
        }
    }
    return {best_op, best_bound};
}

}  // namespace lucid::bench
