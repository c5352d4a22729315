#pragma once
/// \file deconvolve.hpp
/// Deconvolution by polynomial reblurring (POLYBLUR.md §4): u = p(K) v with
/// p(x) = a3 x³ + a2 x² + a1 x + a0,
/// a3 = α/2 − β + 2, a2 = 3β − α − 6, a1 = 5 − 3β + α/2, a0 = β,
/// so that p(1) = 1 (the mean is kept), p′(1) = −1 (p matches 1/x at 1),
/// p″(1) = α and p(0) = β. No inverse is ever formed: p(K) is three
/// reblurrings, so the restoration cannot blow up where K̂ vanishes.
///
/// Three equivalent ways to compute it, which agree away from the border:
/// - on the operator interface: `deconvolution_operator(A, α, β)` is
///   `lucid::polynomial(A, {a0, a1, a2, a3})` for any square operator A —
///   e.g. `ops::Convolution(k, shape, boundary)`, or your own;
/// - `deconvolve(v, k)`: the fast path. Route::fourier pads by the kernel
///   radius (replicate), does one real FFT pair, multiplies by p(K̂), crops;
///   Route::tiled computes the same product blockwise on cache-sized FFTs;
///   Route::spatial evaluates Horner's rule with the kernel in space.

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/ops/polynomial.hpp"
#include "lucid/polyblur/detail.hpp"
#include "lucid/polyblur/edge_taper.hpp"
#include "lucid/polyblur/halo.hpp"
#include "lucid/polyblur/options.hpp"

namespace lucid::polyblur {

/// Coefficients {a0, a1, a2, a3} (lowest degree first, the order of
/// `lucid::polynomial`) of Polyblur's deconvolution polynomial
/// \f$ p(x) = (\tfrac{\alpha}{2} - \beta + 2) x^3 + (3\beta - \alpha - 6) x^2
///     + (5 - 3\beta + \tfrac{\alpha}{2}) x + \beta \f$,
/// the cubic with p(1) = 1, p′(1) = −1, p″(1) = α, p(0) = β.
/// (α, β) = (6, 1) → (1, 5, −9, 4); (2, 3) → (3, −3, 1, 0); (2, 4) → (4, −6, 4, −1).
///
/// \throws lucid::Error unless α and β are finite
template <class T = double>
std::array<T, 4> polynomial_coefficients(double alpha, double beta) {
    constexpr std::string_view where = "lucid::polyblur::polynomial_coefficients";
    require_finite(where, "alpha", alpha);
    require_finite(where, "beta", beta);
    return {T(beta), T(5 - 3 * beta + alpha / 2), T(3 * beta - alpha - 6), T(alpha / 2 - beta + 2)};
}

/// Parameters of `deconvolve`.
struct DeconvolveOptions {
    double alpha = 6.0;  ///< p″(1), >= 0
    double beta = 1.0;   ///< p(0), >= 0
    /// If non-empty, p(x) = Σ coefficients[i] xⁱ instead of the (α, β) cubic.
    std::vector<double> coefficients{};
    Route route = Route::automatic;
    int tile_size = 512;      ///< FFT block side of Route::tiled (>= 64)
    bool edge_taper = false;  ///< taper the padded image first (Route::fourier only)

    void validate() const {
        constexpr std::string_view where = "lucid::polyblur::DeconvolveOptions";
        require_nonnegative(where, "alpha", alpha);
        require_nonnegative(where, "beta", beta);
        require(alpha <= max_polynomial_weight, where, "alpha", "in [0, 1e6]", alpha);
        require(beta <= max_polynomial_weight, where, "beta", "in [0, 1e6]", beta);
        require(coefficients.size() <= 16, where, "coefficients", "at most 16 (degree 15)", coefficients.size());
        for (double c : coefficients) {
            require_finite(where, "coefficients", c);
            require(std::abs(c) <= max_polynomial_weight, where, "coefficients", "each in [-1e6, 1e6]", c);
        }
        require(tile_size >= 64 && tile_size <= 16384, where, "tile_size", "in [64, 16384]", tile_size);
        require(!edge_taper || route == Route::automatic || route == Route::fourier, where, "edge_taper",
                "used with Route::automatic or Route::fourier", to_string(route));
    }

    /// The polynomial's coefficients, lowest degree first.
    std::vector<double> polynomial() const {
        if (!coefficients.empty()) return coefficients;
        const auto a = polynomial_coefficients<double>(alpha, beta);
        return {a.begin(), a.end()};
    }
};

/// Polyblur's deconvolution on the operator interface:
/// p(A) = a3 A³ + a2 A² + a1 A + a0 I as `lucid::polynomial(A, {a0, a1, a2, a3})`,
/// applied with Horner's rule (three applications of A, no matrix formed).
/// A is any square LinearOperator — `ops::Convolution(k, shape, boundary)`
/// with a Gaussian kernel reproduces Polyblur; any other blur model works.
/// Pass `std::cref(A)` to hold A by reference.
///
/// Example:
/// ```
/// auto K = lucid::ops::Convolution<double>(k, y.shape(), lucid::Boundary::replicate);
/// auto P = lucid::polyblur::deconvolution_operator(K);   // p(K), α = 6, β = 1
/// auto u = P(y);
/// ```
template <class A>
auto deconvolution_operator(A a, double alpha = 6.0, double beta = 1.0) {
    using S = typename lucid::detail::unwrap_t<A>::scalar_type;
    const auto c = polynomial_coefficients<S>(alpha, beta);
    return lucid::polynomial(std::move(a), std::vector<S>(c.begin(), c.end()));
}

namespace detail {

/// Pixels of the kernel that matter at precision T: the smallest radii
/// (ry, rx) around the centre (kh/2, kw/2) outside which every tap is below
/// τ·max|k| (τ = 1e-12 for float, 1e-19 for double, so the dropped mass is
/// far below the rounding error of the result).
template <class T>
std::pair<std::size_t, std::size_t> effective_radii(const Image<T>& k) {
    const std::size_t kh = k.shape()[0], kw = k.shape()[1], ch = kh / 2, cw = kw / 2;
    double mx = 0;
    for (auto v : k) mx = std::max(mx, std::abs(double(v)));
    const double tau = (sizeof(T) == sizeof(float) ? 1e-12 : 1e-19) * mx;
    std::size_t ry = 0, rx = 0;
    for (std::size_t i = 0; i < kh; ++i)
        for (std::size_t j = 0; j < kw; ++j)
            if (std::abs(double(k(i, j))) > tau) {
                ry = std::max(ry, i > ch ? i - ch : ch - i);
                rx = std::max(rx, j > cw ? j - cw : cw - j);
            }
    return {ry, rx};
}

/// True when k(i, j) = k(kh−1−i, kw−1−j) for all taps (then K̂ is real).
template <class T>
bool point_symmetric(const Image<T>& k) {
    const std::size_t n = k.size();
    for (std::size_t i = 0; i < n / 2; ++i)
        if (k.data()[i] != k.data()[n - 1 - i]) return false;
    return true;
}

/// grid(i, j) = v(clamp(oy + i), clamp(ox + j)) for an n×m grid (replicate extension).
template <class T>
void fill_replicate(const T* v, std::size_t h, std::size_t w, T* grid, std::size_t n, std::size_t m,
                    std::ptrdiff_t oy, std::ptrdiff_t ox) {
    const std::ptrdiff_t W = std::ptrdiff_t(w), M = std::ptrdiff_t(m);
    const std::ptrdiff_t left = std::clamp<std::ptrdiff_t>(-ox, 0, M);          // grid columns before x = 0
    const std::ptrdiff_t right = std::clamp<std::ptrdiff_t>(W - ox, left, M);   // first grid column at x >= W
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = v + std::size_t(clamp_index(oy + std::ptrdiff_t(i), std::ptrdiff_t(h))) * w;
        T* g = grid + i * m;
        std::fill(g, g + left, row[0]);
        if (right > left) std::memcpy(g + left, row + (ox + left), std::size_t(right - left) * sizeof(T));
        std::fill(g + right, g + M, row[w - 1]);
    }
}

/// s ← s ⊙ P on interleaved (re, im) pairs: P holds (p, p) pairs for a real
/// symbol and (Re p, Im p) for a complex one.
template <class T>
inline void multiply_symbol_portable(T* s, const T* p, std::size_t n, bool real) {
    if (real) {
        for (std::size_t i = 0; i < 2 * n; ++i) s[i] *= p[i];
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const T a = s[2 * i], b = s[2 * i + 1], c = p[2 * i], d = p[2 * i + 1];
            s[2 * i] = a * c - b * d;
            s[2 * i + 1] = a * d + b * c;
        }
    }
}

#if LUCID_POLYBLUR_AVX2
template <class T>
LUCID_POLYBLUR_TARGET_AVX2 void multiply_symbol_avx2(T* s, const T* p, std::size_t n, bool real) {
    multiply_symbol_portable(s, p, n, real);
}
#endif

template <class T>
void multiply_symbol(std::complex<T>* s, const T* p, std::size_t n, bool real) {
    T* f = reinterpret_cast<T*>(s);
#if LUCID_POLYBLUR_AVX2
    if (has_avx2_fma()) return multiply_symbol_avx2(f, p, n, real);
#endif
    multiply_symbol_portable(f, p, n, real);
}

/// out[x] += c · in[x] for x in [0, n).
template <class T>
inline void axpy_row_portable(T c, const T* in, T* out, std::size_t n) {
    for (std::size_t x = 0; x < n; ++x) out[x] += c * in[x];
}

#if LUCID_POLYBLUR_AVX2
template <class T>
LUCID_POLYBLUR_TARGET_AVX2 void axpy_taps_avx2(const T* taps, std::size_t count, const T* const* rows, T* out,
                                               std::size_t n) {
    for (std::size_t t = 0; t < count; ++t) axpy_row_portable(taps[t], rows[t], out, n);
}
#endif

/// out[x] += Σ_t taps[t] · rows[t][x].
template <class T>
void axpy_taps(const T* taps, std::size_t count, const T* const* rows, T* out, std::size_t n) {
#if LUCID_POLYBLUR_AVX2
    if (has_avx2_fma()) return axpy_taps_avx2(taps, count, rows, out, n);
#endif
    for (std::size_t t = 0; t < count; ++t) axpy_row_portable(taps[t], rows[t], out, n);
}

/// Applies u = p(K) v to H×W planes by one of the routes, then finishes each
/// output pixel (optional halo blend of §5 against v, optional add-back of
/// src − v, optional clamp to [0, 1]). Plans, symbol and scratch are made by
/// `configure` and reused by every `run`; nothing is allocated in `run`.
template <class T>
class PolyFilter {
public:
    /// Prepares for kernel k (odd sides, finite), polynomial coefficients
    /// (lowest degree first), H×W planes and a route.
    void configure(const Image<T>& k, const std::vector<double>& coeffs, std::size_t h, std::size_t w,
                   Route route, int tile_size, bool taper) {
        h_ = h;
        w_ = w;
        coeffs_ = coeffs;
        degree_ = coeffs.size() - 1;
        kh_ = k.shape()[0];
        kw_ = k.shape()[1];
        std::tie(ry_, rx_) = effective_radii(k);
        real_ = point_symmetric(k);
        taper_ = taper;
        std::tie(py_, px_) = composite_radii(k);
        tiles_ = plan_tiles(std::size_t(tile_size));
        second_blend_.reserve(h, w);
        route_ = choose(route);
        switch (route_) {
            case Route::fourier: configure_fourier(k); break;
            case Route::tiled: configure_tiled(k); break;
            default: configure_spatial(k); break;
        }
    }

    /// The route actually used (never `automatic`).
    Route route() const { return route_; }
    /// FFT grid of the fourier / tiled routes (0×0 for spatial).
    std::pair<std::size_t, std::size_t> grid() const { return {n_, m_}; }
    /// Number of blocks of the tiled route (1 for fourier).
    std::size_t blocks() const { return blocks_.size(); }

    /// out = finish(v, p(K) v) on one H×W plane (see class comment). `src`
    /// may be null; `out` must not alias v or src.
    void run(const T* v, const T* src, T* out, bool halo, bool clamp) {
        // With halo removal the route's fused finish writes the first blend w₁
        // only; the second blend (in place) adds src − v and clamps.
        const T* src1 = halo ? nullptr : src;
        const bool clamp1 = halo ? false : clamp;
        switch (route_) {
            case Route::fourier:
            case Route::tiled: run_blocks(v, src1, out, halo, clamp1); break;
            default: run_spatial(v, src1, out, halo, clamp1); break;
        }
        if (halo) second_blend_.run(v, src, out, h_, w_, clamp);
    }

private:
    struct Block {
        std::size_t y0, y1, x0, x1;  // output rectangle
        std::ptrdiff_t oy, ox;       // image coordinates of grid (0, 0)
    };
    struct Scratch {
        fft::AlignedBuffer<T> grid;
        fft::AlignedBuffer<std::complex<T>> spectrum;
    };

    /// Block layout of the tiled route along one axis.
    struct Axis {
        std::size_t grid = 0, count = 0, length = 0, halo = 0;
    };
    struct TilePlan {
        Axis y, x;
        double cost = 0;
    };

    /// Relative cost per grid pixel of an FFT pair of side n (measured with
    /// FFTW on this project's reference machine: powers of two to 512 stay in
    /// L2 and run ~2.5–3.5 ns/pixel; 1024² and whole 12 MP images 3–5× slower).
    static double fft_cost(double pixels) { return pixels <= 600e3 ? 1.0 : pixels <= 1.2e6 ? 2.0 : 3.0; }

    /// The tiled route's blocks: per axis a power-of-two grid side N in
    /// [128, tile_size] (few distinct FFT plans per process) and
    /// ⌈len/(N − 2·halo)⌉ balanced blocks, minimizing the transformed area.
    TilePlan plan_tiles(std::size_t tile_size) const {
        auto axis = [&](std::size_t len, std::size_t halo) {
            Axis best;
            double best_cost = 0;
            for (std::size_t n = 128; n <= std::max<std::size_t>(128, tile_size); n *= 2) {
                if (n < 2 * halo + 16) continue;
                const std::size_t useful = n - 2 * halo, count = (len + useful - 1) / useful;
                const double cost = double(count * n) * (n == 128 ? 1.15 : 1.0);
                if (best.count == 0 || cost < best_cost) {
                    best = Axis{n, count, (len + count - 1) / count, halo};
                    best_cost = cost;
                }
            }
            if (best.count == 0) {  // very wide p(K): one block of good size
                const std::size_t n = fft::good_size(std::max<std::size_t>(4 * halo, 128));
                const std::size_t useful = n - 2 * halo, count = (len + useful - 1) / useful;
                best = Axis{n, count, (len + count - 1) / count, halo};
            }
            return best;
        };
        TilePlan t{axis(h_, py_ + 1), axis(w_, px_ + 1), 0};
        const double block = double(t.y.grid * t.x.grid);
        t.cost = double(t.y.count * t.x.count) * block * fft_cost(block);
        return t;
    }

    Route choose(Route r) const {
        if (taper_) return Route::fourier;
        if (r != Route::automatic) return r;
        const std::size_t taps = (2 * ry_ + 1) * (2 * rx_ + 1);
        if (taps <= 9 || h_ * w_ <= 64 * 64) return Route::spatial;
        const double gn = double(fft::good_size(h_ + 2 * (kh_ / 2))), gm = double(fft::good_size(w_ + 2 * (kw_ / 2)));
        const double fourier = gn * gm * fft_cost(gn * gm);
        return fourier <= tiles_.cost ? Route::fourier : Route::tiled;
    }

    /// Plans for an n×m grid and scratch for `workers` threads. Buffers only
    /// grow, so repeated configurations (one per Polyblur pass) reuse them.
    void make_plans(std::size_t n, std::size_t m, int workers) {
        if (!(n == n_ && m == m_ && forward_)) {
            forward_ = fft::plan<T>(fft::Kind::r2c, n, m);
            inverse_ = fft::plan<T>(fft::Kind::c2r, n, m);
        }
        n_ = n;
        m_ = m;
        const std::size_t nc = n * (m / 2 + 1);
        if (scratch_.size() != std::size_t(workers)) scratch_.resize(std::size_t(workers));
        for (auto& s : scratch_) {
            if (s.grid.size() < n * m) s.grid = fft::AlignedBuffer<T>(n * m);
            if (s.spectrum.size() < nc) s.spectrum = fft::AlignedBuffer<std::complex<T>>(nc);
        }
    }

    /// symbol_ = p(K̂)/(N·M) on the n×(m/2+1) half grid from the central
    /// (2ry+1)×(2rx+1) taps of k; also kernel_symbol_ = K̂/(N·M) if asked.
    void make_symbol(const Image<T>& k, std::size_t ry, std::size_t rx, bool keep_kernel_symbol) {
        Scratch& s = scratch_[0];
        std::fill(s.grid.data(), s.grid.data() + n_ * m_, T(0));
        const std::size_t ch = kh_ / 2, cw = kw_ / 2;
        for (std::size_t i = ch - ry; i <= ch + ry; ++i)
            for (std::size_t j = cw - rx; j <= cw + rx; ++j)
                s.grid[((i + n_ - ch) % n_) * m_ + (j + m_ - cw) % m_] = k(i, j);
        forward_->r2c(s.grid.data(), s.spectrum.data());
        const std::size_t nc = n_ * (m_ / 2 + 1);
        if (symbol_.size() < 2 * nc) symbol_ = fft::AlignedBuffer<T>(2 * nc);
        if (keep_kernel_symbol && kernel_symbol_.size() < 2 * nc) kernel_symbol_ = fft::AlignedBuffer<T>(2 * nc);
        const double norm = 1.0 / (double(n_) * double(m_));
        for (std::size_t i = 0; i < nc; ++i) {
            std::complex<double> kk(double(s.spectrum[i].real()), real_ ? 0.0 : double(s.spectrum[i].imag()));
            std::complex<double> p(coeffs_.back());
            for (std::size_t d = coeffs_.size() - 1; d-- > 0;) p = p * kk + coeffs_[d];
            p *= norm;
            kk *= norm;
            symbol_[2 * i] = T(p.real());
            symbol_[2 * i + 1] = real_ ? T(p.real()) : T(p.imag());
            if (keep_kernel_symbol) {
                kernel_symbol_[2 * i] = T(kk.real());
                kernel_symbol_[2 * i + 1] = real_ ? T(kk.real()) : T(kk.imag());
            }
        }
    }

    void configure_fourier(const Image<T>& k) {
        const std::size_t ch = kh_ / 2, cw = kw_ / 2;
        make_plans(fft::good_size(h_ + 2 * ch), fft::good_size(w_ + 2 * cw), 1);
        make_symbol(k, ch, cw, taper_);
        blocks_.assign(1, Block{0, h_, 0, w_, -std::ptrdiff_t(ch), -std::ptrdiff_t(cw)});
        if (taper_) {
            const auto [py, px] = kernel_projections(k);
            taper_y_ = taper_weights(py, n_);
            taper_x_ = taper_weights(px, m_);
            if (blurred_.size() < n_ * m_) blurred_ = fft::AlignedBuffer<T>(n_ * m_);
            if (spectrum2_.size() < n_ * (m_ / 2 + 1))
                spectrum2_ = fft::AlignedBuffer<std::complex<T>>(n_ * (m_ / 2 + 1));
        }
    }

    void configure_tiled(const Image<T>& k) {
        // Each block is extended by a halo of (radius of p(k)) + 1 pixels on
        // every side (the +1 feeds the halo blend's central differences) and
        // transformed by one FFT pair: the circular convolution on the block
        // then equals the linear one on its inner part.
        const int workers = workers_for(std::ptrdiff_t(tiles_.y.count * tiles_.x.count));
        make_plans(tiles_.y.grid, tiles_.x.grid, workers);
        make_symbol(k, ry_, rx_, false);
        blocks_.clear();
        const auto& ay = tiles_.y;
        const auto& ax = tiles_.x;
        for (std::size_t ty = 0; ty < ay.count; ++ty)
            for (std::size_t tx = 0; tx < ax.count; ++tx) {
                const std::size_t y0 = ty * ay.length, x0 = tx * ax.length;
                if (y0 >= h_ || x0 >= w_) continue;
                blocks_.push_back(Block{y0, std::min(h_, y0 + ay.length), x0, std::min(w_, x0 + ax.length),
                                        std::ptrdiff_t(y0) - std::ptrdiff_t(ay.halo),
                                        std::ptrdiff_t(x0) - std::ptrdiff_t(ax.halo)});
            }
    }

    /// Radii (rows, columns) of the kernel of p(K), c = Σ a_i k^{∗i}, outside
    /// which |c| < τ·max|c| (τ = 1e-11 for float, 1e-18 for double): computed
    /// in double on a small grid from the trimmed taps. For a Gaussian this is
    /// about 13σ (float) instead of the 3·r of its support, which shrinks the
    /// tiled route's halos by a third.
    std::pair<std::size_t, std::size_t> composite_radii(const Image<T>& k) const {
        const std::size_t sy = degree_ * ry_, sx = degree_ * rx_;
        if (degree_ == 0) return {0, 0};
        // The grid depends on the kernel's size only, so one plan serves all passes.
        const std::size_t n = fft::good_size(2 * degree_ * (kh_ / 2) + 1);
        const std::size_t m = fft::good_size(2 * degree_ * (kw_ / 2) + 1);
        auto fwd = fft::plan<double>(fft::Kind::r2c, n, m);
        auto inv = fft::plan<double>(fft::Kind::c2r, n, m);
        fft::AlignedBuffer<double> grid(n * m);
        fft::AlignedBuffer<std::complex<double>> spec(n * (m / 2 + 1));
        const std::size_t ch = kh_ / 2, cw = kw_ / 2;
        for (std::size_t i = ch - ry_; i <= ch + ry_; ++i)
            for (std::size_t j = cw - rx_; j <= cw + rx_; ++j)
                grid[((i + n - ch) % n) * m + (j + m - cw) % m] = double(k(i, j));
        fwd->r2c(grid.data(), spec.data());
        for (auto& z : spec) {
            std::complex<double> p(coeffs_.back());
            for (std::size_t d = coeffs_.size() - 1; d-- > 0;) p = p * z + coeffs_[d];
            z = p / double(n * m);
        }
        inv->c2r(spec.data(), grid.data());
        double mx = 0;
        for (double v : grid) mx = std::max(mx, std::abs(v));
        const double tau = (sizeof(T) == sizeof(float) ? 1e-11 : 1e-18) * mx;
        std::size_t py = 0, px = 0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < m; ++j)
                if (std::abs(grid[i * m + j]) > tau) {
                    py = std::max(py, std::min(i, n - i));
                    px = std::max(px, std::min(j, m - j));
                }
        return {std::min(py, sy), std::min(px, sx)};
    }

    void configure_spatial(const Image<T>& k) {
        n_ = m_ = 0;
        blocks_.clear();
        const std::size_t ch = kh_ / 2, cw = kw_ / 2;
        taps_.clear();
        // Convolution: u(y, x) = Σ_{a,b} k(ch + a, cw + b) v(y − a, x − b), so the
        // padded row for tap (a, b) starts at column rx − b of row y + ry − a.
        for (std::size_t i = ch - ry_; i <= ch + ry_; ++i)
            for (std::size_t j = cw - rx_; j <= cw + rx_; ++j) taps_.push_back(k(i, j));
        const std::size_t hp = h_ + 2 * ry_, wp = w_ + 2 * rx_;
        if (padded_.size() < hp * wp) padded_ = fft::AlignedBuffer<T>(hp * wp);
        if (plane_.size() < h_ * w_) plane_ = fft::AlignedBuffer<T>(h_ * w_);
    }

    void run_spatial(const T* v, const T* src, T* out, bool halo, bool clamp) {
        const std::size_t h = h_, w = w_, wp = w + 2 * rx_, kx = 2 * rx_ + 1, ky = 2 * ry_ + 1;
        T* y = plane_.data();
        const T top = T(coeffs_.back());
        for (std::size_t i = 0; i < h * w; ++i) y[i] = top * v[i];
        for (std::size_t d = degree_; d-- > 0;) {
            fill_replicate(y, h, w, padded_.data(), h + 2 * ry_, wp, -std::ptrdiff_t(ry_), -std::ptrdiff_t(rx_));
            const T c = T(coeffs_[d]);
            parallel_for(0, std::ptrdiff_t(h), [&](std::ptrdiff_t yy) {
                T* o = y + std::size_t(yy) * w;
                const T* vr = v + std::size_t(yy) * w;
                for (std::size_t x = 0; x < w; ++x) o[x] = c * vr[x];
                const T* rows[256];  // kernels are at most 255 wide
                for (std::size_t a = 0; a < ky; ++a) {
                    // tap row a ↔ offset a − ry: padded row (yy + ry − (a − ry)) = yy + 2ry − a.
                    const T* prow = padded_.data() + (std::size_t(yy) + 2 * ry_ - a) * wp;
                    for (std::size_t b = 0; b < kx; ++b) rows[b] = prow + (2 * rx_ - b);
                    axpy_taps(taps_.data() + a * kx, kx, rows, o, w);
                }
            }, std::ptrdiff_t(std::max<std::size_t>(1, 4096 / std::max<std::size_t>(w, 1))));
        }
        parallel_for(0, std::ptrdiff_t(h), [&](std::ptrdiff_t yy) {
            const std::size_t ym = std::size_t(clamp_index(yy - 1, std::ptrdiff_t(h)));
            const std::size_t yp = std::size_t(clamp_index(yy + 1, std::ptrdiff_t(h)));
            const std::size_t y0 = std::size_t(yy);
            halo_row(v + ym * w, v + y0 * w, v + yp * w, y + ym * w, y + y0 * w, y + yp * w,
                     src ? src + y0 * w : nullptr, out + y0 * w, w, true, true, halo, clamp);
        }, std::ptrdiff_t(std::max<std::size_t>(1, 4096 / std::max<std::size_t>(w, 1))));
    }

    void run_block(const Block& b, Scratch& s, const T* v, const T* src, T* out, bool halo, bool clamp) {
        const std::size_t n = n_, m = m_, nc = n * (m / 2 + 1);
        fill_replicate(v, h_, w_, s.grid.data(), n, m, b.oy, b.ox);
        forward_->r2c(s.grid.data(), s.spectrum.data());
        if (taper_) {
            // Taper the padded grid toward its circular blur, then transform again.
            std::copy(s.spectrum.data(), s.spectrum.data() + nc, spectrum2_.data());
            multiply_symbol(spectrum2_.data(), kernel_symbol_.data(), nc, real_);
            inverse_->c2r(spectrum2_.data(), blurred_.data());
            taper_blend(s.grid.data(), blurred_.data(), n, m, taper_y_, taper_x_);
            forward_->r2c(s.grid.data(), s.spectrum.data());
        }
        multiply_symbol(s.spectrum.data(), symbol_.data(), nc, real_);
        inverse_->c2r(s.spectrum.data(), s.grid.data());
        const T* u = s.grid.data();
        const std::ptrdiff_t H = std::ptrdiff_t(h_);
        const std::size_t cx = std::size_t(std::ptrdiff_t(b.x0) - b.ox), nx = b.x1 - b.x0;
        const bool left = b.x0 == 0, right = b.x1 == w_;
        for (std::size_t y = b.y0; y < b.y1; ++y) {
            const std::size_t ym = std::size_t(clamp_index(std::ptrdiff_t(y) - 1, H));
            const std::size_t yp = std::size_t(clamp_index(std::ptrdiff_t(y) + 1, H));
            auto urow = [&](std::size_t yy) { return u + std::size_t(std::ptrdiff_t(yy) - b.oy) * m + cx; };
            auto vrow = [&](std::size_t yy) { return v + yy * w_ + b.x0; };
            halo_row(vrow(ym), vrow(y), vrow(yp), urow(ym), urow(y), urow(yp),
                     src ? src + y * w_ + b.x0 : nullptr, out + y * w_ + b.x0, nx, left, right, halo, clamp);
        }
    }

    void run_blocks(const T* v, const T* src, T* out, bool halo, bool clamp) {
        const int workers = std::min<int>(int(scratch_.size()), workers_for(std::ptrdiff_t(blocks_.size())));
        parallel_jobs(std::ptrdiff_t(blocks_.size()), workers, [&](std::ptrdiff_t i, int t) {
            run_block(blocks_[std::size_t(i)], scratch_[std::size_t(t)], v, src, out, halo, clamp);
        });
    }

    HaloSecondPass<T> second_blend_;
    std::size_t h_ = 0, w_ = 0, kh_ = 0, kw_ = 0, ry_ = 0, rx_ = 0, py_ = 0, px_ = 0, degree_ = 0, n_ = 0, m_ = 0;
    TilePlan tiles_;
    std::vector<double> coeffs_;
    bool real_ = true, taper_ = false;
    Route route_ = Route::fourier;
    std::shared_ptr<const fft::Plan<T>> forward_, inverse_;
    std::vector<Scratch> scratch_;
    std::vector<Block> blocks_;
    fft::AlignedBuffer<T> symbol_, kernel_symbol_, blurred_, padded_, plane_;
    fft::AlignedBuffer<std::complex<T>> spectrum2_;
    std::vector<double> taper_y_, taper_x_;
    std::vector<T> taps_;
};

template <class T>
void require_deconvolution_kernel(std::string_view where, const Image<T>& k) {
    require_finite_image(where, "kernel", k);
    require(k.shape()[0] % 2 == 1 && k.shape()[1] % 2 == 1, where, "kernel", "of odd height and width",
            shape_string(Shape<2>{k.shape()[0], k.shape()[1]}));
    require(k.shape()[0] <= 255 && k.shape()[1] <= 255, where, "kernel", "at most 255x255",
            shape_string(Shape<2>{k.shape()[0], k.shape()[1]}));
}

}  // namespace detail

/// The fast path of POLYBLUR.md §4: u = p(K) v with K the convolution by
/// `kernel` (odd sides, centre (kh/2, kw/2)) applied to each channel, p the
/// polynomial of `options` (Polyblur's cubic by default). No clamping, no
/// halo removal (see `remove_halo`, `deblur`).
///
/// Near the border the routes extend the image differently (see `Route`):
/// fourier / tiled use the replicate extension once (and fourier's circular
/// wrap-around beyond the kernel radius), spatial replicates at every
/// application of K. Farther than 3× the kernel's effective radius from the
/// border all routes give the same u up to rounding.
///
/// \param v       H×W image or C×H×W stack (non-empty, finite)
/// \param kernel  blur kernel, odd height and width (at most 255), finite
/// \param options polynomial and route (validated)
/// \return p(K) v, same shape as v
///
/// Example: `auto u = lucid::polyblur::deconvolve(v, lucid::kernels::gaussian<float>(1.5, 25));`
template <class T, std::size_t Rank>
xt::xtensor<T, Rank> deconvolve(const xt::xtensor<T, Rank>& v, const Image<T>& kernel,
                                const DeconvolveOptions& options = {}) {
    static_assert(Rank == 2 || Rank == 3, "deconvolve acts on H×W images or C×H×W stacks");
    constexpr std::string_view where = "lucid::polyblur::deconvolve";
    options.validate();
    require_finite_image(where, "v", v);
    detail::require_deconvolution_kernel(where, kernel);
    const Shape<Rank> s = shape_of(v);
    const auto hw = plane_shape(s);
    detail::PolyFilter<T> filter;
    filter.configure(kernel, options.polynomial(), hw[0], hw[1], options.route, options.tile_size,
                     options.edge_taper);
    xt::xtensor<T, Rank> out(v.shape());
    const std::size_t plane = hw[0] * hw[1];
    for (std::size_t c = 0; c < channel_count(s); ++c)
        filter.run(v.data() + c * plane, nullptr, out.data() + c * plane, false, false);
    return out;
}

}  // namespace lucid::polyblur
