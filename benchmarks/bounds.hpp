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
//   grid: whatever else it does (padding, crops) comes on top.
//
// Both keep the fastest of several passes (optimistic, as bounds should be)
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

/// Best CPU time (s) of r2c + complex multiply + c2r on an h×w grid with lucid's cached plans.
template <class T>
double fft_pair_seconds(std::size_t h, std::size_t w, double min_seconds = 0.2, int min_repeats = 5) {
    auto forward = fft::plan<T>(fft::Kind::r2c, h, w);
    auto inverse = fft::plan<T>(fft::Kind::c2r, h, w);
    const std::size_t nc = h * (w / 2 + 1);
    fft::AlignedBuffer<T> in(h * w), out(h * w);
    fft::AlignedBuffer<std::complex<T>> spec(nc), kernel(nc);
    for (std::size_t i = 0; i < h * w; ++i) in[i] = T(std::sin(0.37 * double(i)));
    for (std::size_t i = 0; i < nc; ++i) kernel[i] = std::complex<T>(T(std::cos(0.1 * double(i))), T(0.5));
    double best = 1e300, spent = 0;
    for (int r = 0; r < min_repeats || spent < min_seconds; ++r) {
        const double t0 = thread_cpu_seconds();
        forward->r2c(in.data(), spec.data());
        T* __restrict s = reinterpret_cast<T*>(spec.data());
        const T* __restrict k = reinterpret_cast<const T*>(kernel.data());
        for (std::size_t i = 0; i < nc; ++i) {
            const T ar = s[2 * i], ai = s[2 * i + 1], br = k[2 * i], bi = k[2 * i + 1];
            s[2 * i] = ar * br - ai * bi;
            s[2 * i + 1] = ar * bi + ai * br;
        }
        inverse->c2r(spec.data(), out.data());
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
        const double dt = thread_cpu_seconds() - t0;
        best = std::min(best, dt);
        spent += dt;
        if (r > 1000) break;
    }
    return best;
}

}  // namespace lucid::bench
