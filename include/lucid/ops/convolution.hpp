#pragma once
/// \file convolution.hpp
/// 2-D convolution y = k ∗ x with a choice of boundary, as a LinearOperator
/// with its exact adjoint, a direct (spatial) and an FFT path, and the
/// transfer function where one exists.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/boundary.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/detail/convolution_cost.hpp"
#include "lucid/ops/detail/convolution_kernels.hpp"
#include "lucid/ops/detail/separable_dft.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::ops {

/// How `Convolution` computes its products.
enum class ConvolutionMethod {
    automatic,  ///< the cheaper of the two by an operation-count model (default)
    direct,     ///< spatial sums over the kernel support (separable when rank 1)
    fft         ///< FFTW r2c/c2r products on a padded grid (exact size for periodic)
};

/// Options of `Convolution`.
struct ConvolutionOptions {
    ConvolutionMethod method = ConvolutionMethod::automatic;  ///< direct, FFT, or chosen by cost
    bool separable = true;  ///< rank-1 kernels: two 1-D passes (direct path), the kernel's DFT from two 1-D DFTs (FFT path, spectrum())

    /// Throws unless `method` is one of the enumerators.
    void validate() const {
        const int m = int(method);
        require(m >= 0 && m <= 2, "lucid::ops::Convolution", "options.method", "automatic, direct or fft", m);
    }
};

/// Convolution with a fixed kernel on H×W images (Rank 2) or C×H×W stacks
/// (Rank 3, the same kernel on every channel):
///
/// \f[ y[i,j] = \sum_{m=0}^{k_h-1} \sum_{n=0}^{k_w-1} k[m,n]\; \tilde x[i + c_h - m,\; j + c_w - n],
///     \qquad c_h = \lfloor k_h/2 \rfloor,\ c_w = \lfloor k_w/2 \rfloor, \f]
///
/// a true convolution (the kernel is flipped relative to correlation) whose
/// centre tap k[c_h, c_w] multiplies x[i, j]; x̃ is x extended by `boundary`
/// (see core/boundary.hpp). This equals `scipy.ndimage.convolve(x, k, mode=M)`
/// with M = 'wrap' (periodic), 'constant' with cval 0 (zero), 'reflect'
/// (reflect), 'nearest' (replicate), for odd **and even** kernel sizes: we
/// checked by experiment (scipy 1.10) that scipy's convolve puts the centre of
/// an even-sized kernel at index k_h/2 as well, so an even kernel reaches one
/// more pixel towards the top/left of the output than towards the bottom/right
/// of it — e.g. for k = [k0 k1] the output is y[j] = k0·x[j+1] + k1·x[j].
/// Kernels larger than the image are fine for every boundary but `valid`:
/// the extensions repeat (periodic with period W, reflect with period 2W,
/// replicate clamps), exactly as scipy does.
///
/// `valid` keeps only the outputs whose kernel support lies inside the image:
/// the range is (H−k_h+1)×(W−k_w+1) and y[i,j] = Σ k[m,n]·x[i+k_h−1−m, j+k_w−1−n],
/// which is `scipy.signal.convolve2d(x, k, 'valid')`; it needs k_h ≤ H, k_w ≤ W.
///
/// **Adjoint.** Write A = K·E with E the extension to (H+k_h−1)×(W+k_w−1)
/// (identity for valid) and K the valid convolution. Then Aᵀ = Eᵀ·Kᵀ: Kᵀ is
/// the full correlation with k (zero-padded), and Eᵀ *folds* every extended
/// sample back onto the pixel it was copied from (adds it there). For zero
/// this is a crop, for periodic a wrap-around sum; for reflect and replicate
/// the border pixels collect the out-of-image contributions, so Aᵀ is **not**
/// the convolution with the flipped kernel under the same boundary (it is only
/// for periodic, and for reflect with an axis-symmetric kernel, where A is
/// symmetric).
///
/// **Methods.** The direct path sums over the non-zero taps (two 1-D passes
/// when k = u·vᵀ has rank 1: Gaussian, box) in SIMD register blocks; the FFT
/// path places the extended image on a padded grid of FFTW-friendly size
/// (2,3,5,7-smooth like fft::good_size, but preferring even widths, which
/// FFTW's r2c runs ~2× faster; no wrap-around reaches the kept outputs), multiplies by the
/// kernel spectrum (precomputed), and crops; the adjoint multiplies by its
/// conjugate and folds. Periodic uses the exact H×W transform (no padding, no
/// copies). `ConvolutionOptions::method` picks one; by default the cheaper one
/// by an operation count calibrated on FFTW (ops/detail/convolution_cost.hpp).
/// Both agree to round-off. All buffers and plans are made in the constructor:
/// apply and apply_adjoint never allocate.
///
/// **Spectrum.** Periodic: the Fourier symbol
/// \f$ \hat A[u,v] = \sum_{m,n} k[m,n]\, e^{-2\pi i (u (m-c_h)/H + v (n-c_w)/W)} \f$
/// on the H×(W/2+1) grid (A x = c2r(Â ⊙ r2c(x))/(HW)). Reflect with an
/// axis-symmetric kernel (k[m,n] = k[k_h−1−m, n] = k[m, k_w−1−n], odd sizes):
/// A is diagonalized by the DCT-II (Ng, Chan & Tang, SIAM J. Sci. Comput. 21(3),
/// 1999) with eigenvalues
/// \f[ \lambda[p,q] = \sum_{d=-c_h}^{c_h}\sum_{e=-c_w}^{c_w} k[c_h+d, c_w+e]\,
///     \cos\frac{\pi p d}{H}\cos\frac{\pi q e}{W}, \f]
/// A x = DCT3(λ ⊙ DCT2(x))/(4HW) with FFTW's REDFT10/REDFT01. (Each cosine
/// cos(πp(2i+1)/(2H)) is its own half-sample symmetric extension, so the
/// symmetric kernel maps it to λ times itself.) Otherwise nullopt.
///
/// ```cpp
/// auto k = lucid::kernels::disk<double>(4);
/// lucid::ops::Convolution<double> A(k, y.shape(), lucid::Boundary::reflect);
/// auto blurred = A(x);
/// auto back = A.adjoint_of(blurred);
/// ```
template <class T, std::size_t Rank = 2>
class Convolution : public OperatorBase<Convolution<T, Rank>> {
    static_assert(Rank == 2 || Rank == 3, "Convolution acts on H×W images or C×H×W stacks");
    static_assert(std::is_floating_point_v<T>, "Convolution needs float or double");
    using Index = std::ptrdiff_t;

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;
    /// apply and apply_adjoint assign every output element (A(x) skips zero-filling).
    static constexpr bool writes_whole_output = true;

    /// The convolution with `kernel` (any size ≥ 1×1, finite) on images of
    /// `shape` (H×W or C×H×W) under `boundary` (scipy's default is reflect).
    /// Throws lucid::Error naming `kernel`, `shape`, `boundary` or `options.method`.
    Convolution(Image<T> kernel, Shape<Rank> shape, Boundary boundary = Boundary::reflect,
                ConvolutionOptions options = {})
        : kernel_(std::move(kernel)), shape_(shape), boundary_(boundary), options_(options) {
        constexpr const char* where = "lucid::ops::Convolution";
        options_.validate();
        require_finite_image(where, "kernel", kernel_);
        for (std::size_t d = 0; d < Rank; ++d)
            require(shape_[d] >= 1, where, "shape", "non-empty (every extent >= 1)", shape_string(shape_));
        const int b = int(boundary_);
        require(b >= 0 && b <= int(Boundary::valid), where, "boundary",
                "one of periodic, zero, reflect, replicate, valid", b);
        const auto [h, w] = plane_shape(shape_);
        h_ = Index(h);
        w_ = Index(w);
        kh_ = Index(kernel_.shape()[0]);
        kw_ = Index(kernel_.shape()[1]);
        if (boundary_ == Boundary::valid && (kh_ > h_ || kw_ > w_))
            detail::fail_argument<ShapeError>(
                where, "kernel", detail::concat("at most ", h, "x", w, " (the image) for boundary 'valid'"),
                detail::concat(kh_, "x", kw_));
        setup_geometry();
        setup_separable();
        choose_method();
        if (method_ == ConvolutionMethod::fft) setup_fft();
        else setup_direct();
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank> range_shape() const { return range_; }
    /// The kernel k (as given, not flipped).
    const Image<T>& kernel() const { return kernel_; }
    Boundary boundary() const { return boundary_; }
    const ConvolutionOptions& options() const { return options_; }
    /// The method in use: `direct` or `fft` (never `automatic`).
    ConvolutionMethod method() const { return method_; }
    /// True when the direct path runs as two 1-D passes (k = u·vᵀ).
    bool separable() const { return method_ == ConvolutionMethod::direct && separable_; }
    /// The FFT grid (rows, cols) of the FFT path: H×W for periodic, otherwise
    /// 7-smooth sizes ≥ (H+k_h−1)×(W+k_w−1) chosen for speed (an even width,
    /// see detail::conv::fft_length); {0, 0} for the direct path.
    Shape<2> fft_shape() const { return {std::size_t(ph_), std::size_t(pw_)}; }

    /// y = k ∗ x̃ (see the class comment), per channel.
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::Convolution::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", y.shape(), range_);
        const std::size_t in = std::size_t(h_ * w_), out = std::size_t(ho_ * wo_);
        for (std::size_t c = 0; c < channel_count(shape_); ++c) forward_plane(x.data() + c * in, y.data() + c * out);
    }

    /// x = Aᵀ y = Eᵀ(k ⋆ y): full correlation with k, then the fold of the
    /// boundary extension (see the class comment), per channel.
    void apply_adjoint(const range_type& y, domain_type& x) const {
        constexpr const char* where = "lucid::ops::Convolution::apply_adjoint";
        require_shape(where, "y", y.shape(), range_);
        require_shape(where, "x", x.shape(), shape_);
        const std::size_t in = std::size_t(h_ * w_), out = std::size_t(ho_ * wo_);
        for (std::size_t c = 0; c < channel_count(shape_); ++c) adjoint_plane(y.data() + c * out, x.data() + c * in);
    }

    /// The transfer function: Fourier symbol for periodic, DCT-II eigenvalues
    /// for reflect with an axis-symmetric odd kernel, nullopt otherwise (see
    /// the class comment for both formulas).
    std::optional<Spectrum<T>> spectrum() const {
        if (boundary_ == Boundary::periodic) return fourier_symbol();
        if (boundary_ == Boundary::reflect && axis_symmetric()) return cosine_symbol();
        return std::nullopt;
    }

    /// The same symbol as `spectrum()` in factored form, for a separable kernel
    /// k = u·vᵀ (and `options.separable`): Fourier (periodic)
    /// Â[p, q] = (Σ_m u_m e^{−2πi p(m−c_h)/H})·(Σ_n v_n e^{−2πi q(n−c_w)/W}),
    /// q ≤ W/2; cosine (reflect, axis-symmetric odd kernel)
    /// λ[p, q] = (Σ_m u_m cos(πp(m−c_h)/H))·(Σ_n v_n cos(πq(n−c_w)/W)).
    /// nullopt when the kernel is not separable or `spectrum()` is nullopt.
    std::optional<SeparableSpectrum<T>> separable_spectrum() const {
        if (!separable_) return std::nullopt;
        const Shape<2> plane{std::size_t(h_), std::size_t(w_)};
        SeparableSpectrum<T> s;
        s.plane = plane;
        auto narrow = [](const std::vector<std::complex<double>>& z) {
            std::vector<std::complex<T>> out(z.size());
            for (std::size_t i = 0; i < z.size(); ++i) out[i] = {T(z[i].real()), T(z[i].imag())};
            return out;
        };
        if (boundary_ == Boundary::periodic) {
            const auto [U, V] = separable_factors(plane[0], plane[1], true);
            s.transform = Transform::fourier;
            s.rows = narrow(U);
            s.cols = narrow(V);
            return s;
        }
        if (boundary_ == Boundary::reflect && axis_symmetric()) {
            // u and v are symmetric about their centres when k is (k = u·vᵀ, u through k's peak)
            auto cosine_factor = [](const std::vector<T>& taps, Index centre, std::size_t n) {
                const double pi = 3.14159265358979323846;
                std::vector<std::complex<T>> out(n);
                for (std::size_t p = 0; p < n; ++p) {
                    double acc = 0;
                    for (std::size_t m = 0; m < taps.size(); ++m)
                        acc += double(taps[m]) * std::cos(pi * double(p) * double(Index(m) - centre) / double(n));
                    out[p] = T(acc);
                }
                return out;
            };
            s.transform = Transform::cosine;
            s.rows = cosine_factor(u_, ch_, plane[0]);
            s.cols = cosine_factor(v_, cw_, plane[1]);
            return s;
        }
        return std::nullopt;
    }

    /// True when k[m,n] = k[k_h−1−m, n] = k[m, k_w−1−n] with odd k_h, k_w
    /// (to 4 ulp of max|k|): the condition for the cosine spectrum.
    bool axis_symmetric() const {
        if (kh_ % 2 == 0 || kw_ % 2 == 0) return false;
        T peak = T(0);
        for (T v : kernel_) peak = std::max(peak, std::abs(v));
        const T tol = T(4) * std::numeric_limits<T>::epsilon() * peak;
        for (Index m = 0; m < kh_; ++m)
            for (Index n = 0; n < kw_; ++n) {
                const T v = kernel_(std::size_t(m), std::size_t(n));
                if (std::abs(v - kernel_(std::size_t(kh_ - 1 - m), std::size_t(n))) > tol) return false;
                if (std::abs(v - kernel_(std::size_t(m), std::size_t(kw_ - 1 - n))) > tol) return false;
            }
        return true;
    }

private:
    // ---- construction ---------------------------------------------------------

    void setup_geometry() {
        ch_ = kh_ / 2;
        cw_ = kw_ / 2;
        if (boundary_ == Boundary::valid) {
            top_ = left_ = 0;
            he_ = h_;
            we_ = w_;
            ho_ = h_ - kh_ + 1;
            wo_ = w_ - kw_ + 1;
        } else {
            top_ = kh_ - 1 - ch_;
            left_ = kw_ - 1 - cw_;
            he_ = h_ + kh_ - 1;
            we_ = w_ + kw_ - 1;
            ho_ = h_;
            wo_ = w_;
        }
        range_ = with_plane(shape_, Shape<2>{std::size_t(ho_), std::size_t(wo_)});
        rmap_ = detail::conv::extension_map(h_, top_, he_ - h_ - top_, boundary_);
        cmap_ = detail::conv::extension_map(w_, left_, we_ - w_ - left_, boundary_);
    }

    // k = u·vᵀ exactly (to 8 ulp of max|k|)? u is the column through the largest entry.
    void setup_separable() {
        separable_ = false;
        if (!options_.separable || kh_ == 1 || kw_ == 1) return;  // 1-D kernels gain nothing
        Index pm = 0, pn = 0;
        T peak = T(0);
        for (Index m = 0; m < kh_; ++m)
            for (Index n = 0; n < kw_; ++n)
                if (std::abs(k(m, n)) > peak) {
                    peak = std::abs(k(m, n));
                    pm = m;
                    pn = n;
                }
        if (peak == T(0)) return;
        std::vector<T> u(static_cast<std::size_t>(kh_)), v(static_cast<std::size_t>(kw_));
        for (Index m = 0; m < kh_; ++m) u[std::size_t(m)] = k(m, pn);
        for (Index n = 0; n < kw_; ++n) v[std::size_t(n)] = T(double(k(pm, n)) / double(k(pm, pn)));
        const double tol = 8.0 * double(std::numeric_limits<T>::epsilon()) * double(peak);
        for (Index m = 0; m < kh_; ++m)
            for (Index n = 0; n < kw_; ++n)
                if (std::abs(double(u[std::size_t(m)]) * double(v[std::size_t(n)]) - double(k(m, n))) > tol) return;
        separable_ = true;
        u_ = std::move(u);
        v_ = std::move(v);
    }

    void choose_method() {
        if (options_.method != ConvolutionMethod::automatic) {
            method_ = options_.method;
            return;
        }
        std::size_t nnz = 0, nu = 0, nv = 0;
        for (T v : kernel_) nnz += v != T(0);
        for (T v : u_) nu += v != T(0);
        for (T v : v_) nv += v != T(0);
        detail::conv::DirectWork work{double(ho_), double(wo_), double(he_), double(we_), double(nnz),
                                      separable_, double(nu), double(nv), boundary_ != Boundary::valid};
        const double direct = detail::conv::direct_cost<T>(work);
        const double fft = boundary_ == Boundary::periodic
                               ? detail::conv::fft_cost<T>(std::size_t(h_), std::size_t(w_), 0, 0)
                               : detail::conv::fft_cost<T>(detail::conv::fft_length(std::size_t(he_), false),
                                                           detail::conv::fft_length(std::size_t(we_), true),
                                                           double(he_ * we_), double(ho_ * wo_));
        method_ = direct <= fft ? ConvolutionMethod::direct : ConvolutionMethod::fft;
    }

    void setup_direct() {
        const bool valid = boundary_ == Boundary::valid;
        es_ = Index(detail::conv::padded_stride<T>(std::size_t(we_)));
        ps_ = Index(detail::conv::padded_stride<T>(std::size_t(we_ + kw_ - 1)));
        // No image-sized scratch: both products run in bands of output rows
        // (forward_direct, adjoint_direct) through per-worker band buffers.
        // The adjoint's zero extension of g: window rows r0.. and columns c0..
        // of the padded grid (g at offset (k_h − 1, k_w − 1)), the window being
        // x itself for zero / valid and the extended grid otherwise.
        {
            const Index r0 = adjoint_to_x() ? top_ : 0, c0 = adjoint_to_x() ? left_ : 0;
            const Index nr = adjoint_to_x() ? h_ : he_, nc = adjoint_to_x() ? w_ : we_;
            adj_rmap_.resize(std::size_t(nr + kh_ - 1));
            adj_cmap_.resize(std::size_t(nc + kw_ - 1));
            for (Index p = 0; p < Index(adj_rmap_.size()); ++p) {
                const Index i = r0 + p - (kh_ - 1);
                adj_rmap_[std::size_t(p)] = i >= 0 && i < ho_ ? i : -1;
            }
            for (Index q = 0; q < Index(adj_cmap_.size()); ++q) {
                const Index j = c0 + q - (kw_ - 1);
                adj_cmap_[std::size_t(q)] = j >= 0 && j < wo_ ? j : -1;
            }
            adj_left_ = (kw_ - 1) - c0;  // window columns before g's first column
            if (!adjoint_to_x()) fold_rows_ = fft::AlignedBuffer<T>(std::size_t((he_ - h_) * es_) + 8, fft::uninitialized);
        }
        // Band buffers for up to num_threads() workers (at construction; more
        // threads later are capped to this count).
        band_rows_ = std::max(Index(32), kh_ - 1);
        band_workers_ = std::max(1, num_threads());
        const auto per_worker = [&](std::size_t n) { return fft::AlignedBuffer<T>(n * std::size_t(band_workers_), fft::uninitialized); };
        if (!valid || !adjoint_to_x()) {  // forward: extended rows; adjoint: its output rows before the fold
            band_ext_size_ = std::size_t((band_rows_ + kh_ - 1) * es_) + 8;
            band_ext_ = per_worker(band_ext_size_);
        }
        band_pad_size_ = std::size_t((band_rows_ + kh_ - 1) * ps_) + 8;  // adjoint: zero-extended rows of g
        band_pad_ = per_worker(band_pad_size_);
        const Index fs = valid ? w_ : es_;  // row stride of the forward source
        if (separable_) {
            ts_ = Index(detail::conv::padded_stride<T>(std::size_t(we_)));
            band_tmp_size_ = std::size_t((band_rows_ + kh_ - 1) * ts_) + 8;
            band_tmp_ = per_worker(band_tmp_size_);
            // forward: rows y' = Σ_n v[n]·src[., j + kw−1−n]; then y = Σ_m u[m]·y'[i + kh−1−m, .]
            for (Index b = 0; b < kw_; ++b) fwd_row_.add(b, v_[std::size_t(kw_ - 1 - b)]);
            for (Index a = 0; a < kh_; ++a) fwd_col_.add(a * ts_, u_[std::size_t(kh_ - 1 - a)]);
            // adjoint (correlation): Σ_n v[n]·pad[., q + n], then Σ_m u[m]·[p + m, .]
            for (Index n = 0; n < kw_; ++n) adj_row_.add(n, v_[std::size_t(n)]);
            for (Index m = 0; m < kh_; ++m) adj_col_.add(m * ts_, u_[std::size_t(m)]);
            fwd_col_.pair_rows(ts_);  // column passes share loads between output rows
            adj_col_.pair_rows(ts_);
        } else {
            for (Index a = 0; a < kh_; ++a)
                for (Index b = 0; b < kw_; ++b) fwd_.add(a * fs + b, k(kh_ - 1 - a, kw_ - 1 - b));
            for (Index m = 0; m < kh_; ++m)
                for (Index n = 0; n < kw_; ++n) adj_.add(m * ps_ + n, k(m, n));
            fwd_.pair_rows(fs);
            adj_.pair_rows(ps_);
        }
    }

    void setup_fft() {
        periodic_exact_ = boundary_ == Boundary::periodic;
        if (periodic_exact_) {
            ph_ = h_;
            pw_ = w_;
        } else {
            ph_ = Index(detail::conv::fft_length(std::size_t(he_), false));
            pw_ = Index(detail::conv::fft_length(std::size_t(we_), true));
        }
        r2c_ = fft::plan<T>(fft::Kind::r2c, std::size_t(ph_), std::size_t(pw_));
        c2r_ = fft::plan<T>(fft::Kind::c2r, std::size_t(ph_), std::size_t(pw_));
        // Buffers the transforms overwrite start uninitialized; the zero-padded
        // kernel is laid out in a buffer that is scratch until the first apply
        // (fin_, or spec_ viewed as H×W reals for periodic), so construction
        // touches no image-sized memory it does not keep.
        const std::size_t nspec = std::size_t(ph_ * (pw_ / 2 + 1)), nreal = std::size_t(ph_ * pw_);
        spec_ = fft::AlignedBuffer<std::complex<T>>(nspec, fft::uninitialized);
        if (!periodic_exact_) {
            // One real grid serves as the transforms' input and output (the c2r
            // result is read before the next apply refills the grid, and each
            // apply re-zeroes the padding outside the he×we block it fills).
            // Zeroed only when it first holds the padded kernel below.
            fin_ = separable_ ? fft::AlignedBuffer<T>(nreal, fft::uninitialized) : fft::AlignedBuffer<T>(nreal);
        }
        const double scale = 1.0 / (double(ph_) * double(pw_));
        if (separable_) {
            // k = u·vᵀ: k̂[p, q] = Û[p]·V̂[q] is kept as its two 1-D factors and
            // formed row by row in each product: no P×(Q/2+1) table to build,
            // store or stream through memory.
            const auto [U, V] = separable_factors(std::size_t(ph_), std::size_t(pw_), periodic_exact_);
            khat_rows_.resize(U.size());
            khat_cols_.resize(V.size());
            for (std::size_t p = 0; p < U.size(); ++p) khat_rows_[p] = std::complex<T>(scale * U[p]);
            for (std::size_t q = 0; q < V.size(); ++q) khat_cols_[q] = std::complex<T>(V[q]);
            return;
        }
        khat_ = fft::AlignedBuffer<std::complex<T>>(nspec, fft::uninitialized);
        T* kpad = nullptr;
        if (periodic_exact_) {
            kpad = reinterpret_cast<T*>(spec_.data());  // 2·H·(W/2+1) ≥ H·W reals
            std::fill(kpad, kpad + nreal, T(0));
            wrap_kernel(kpad);
        } else {
            kpad = fin_.data();  // zero already; the kernel block is cleared again below
            for (Index m = 0; m < kh_; ++m)
                for (Index n = 0; n < kw_; ++n) kpad[std::size_t(m * pw_ + n)] = k(m, n);
        }
        r2c_->r2c(kpad, khat_.data());
        if (!periodic_exact_) detail::conv::zero_block(fin_.data(), pw_, kh_, kw_);
        for (auto& v : khat_) v *= T(scale);
    }

    // The 1-D factors Û (P values) and V̂ (Q/2+1 values) of the r2c-layout DFT
    // of k = u·vᵀ on a P×Q grid, k̂[p, q] = Û[p]·V̂[q], the kernel either wrapped
    // with its centre at (0, 0) (periodic) or at the top-left corner (padded grids).
    std::pair<std::vector<std::complex<double>>, std::vector<std::complex<double>>> separable_factors(
        std::size_t P, std::size_t Q, bool wrapped) const {
        std::vector<double> u(u_.begin(), u_.end()), v(v_.begin(), v_.end());
        std::vector<std::size_t> rpos(u.size()), cpos(v.size());
        for (Index m = 0; m < kh_; ++m)
            rpos[std::size_t(m)] = std::size_t(wrapped ? detail::conv::pmod(m - ch_, Index(P)) : m);
        for (Index n = 0; n < kw_; ++n)
            cpos[std::size_t(n)] = std::size_t(wrapped ? detail::conv::pmod(n - cw_, Index(Q)) : n);
        return {detail::conv::tap_dft(u, rpos, P, P), detail::conv::tap_dft(v, cpos, Q, Q / 2 + 1)};
    }

    // spec_ ← spec_ ⊙ k̂ (or conj(k̂) for the adjoint), from the table or the separable factors.
    void multiply_by_kernel(bool conjugate) const {
        if (separable_)
            detail::conv::multiply_spectrum_separable(spec_.data(), khat_rows_.data(), khat_cols_.data(),
                                                      khat_rows_.size(), khat_cols_.size(), conjugate);
        else
            detail::conv::multiply_spectrum(spec_.data(), khat_.data(), spec_.size(), conjugate);
    }

    // The kernel wrapped onto the H×W torus with its centre at (0, 0).
    void wrap_kernel(T* out) const {
        for (Index m = 0; m < kh_; ++m)
            for (Index n = 0; n < kw_; ++n)
                out[detail::conv::pmod(m - ch_, h_) * w_ + detail::conv::pmod(n - cw_, w_)] += k(m, n);
    }

    // ---- products ------------------------------------------------------------

    void forward_plane(const T* x, T* y) const {
        namespace cv = detail::conv;
        if (method_ == ConvolutionMethod::fft) {
            if (periodic_exact_) {
                r2c_->r2c(x, spec_.data());
                multiply_by_kernel(false);
                c2r_->c2r(spec_.data(), y);
                return;
            }
            if (valid_in_place()) {
                r2c_->r2c(x, spec_.data());  // the grid is the image: no copy
            } else {
                clear_grid_padding();
                if (boundary_ == Boundary::valid) cv::copy_block(x, w_, h_, w_, fin_.data(), pw_);
                else cv::extend_plane(x, w_, rmap_, cmap_, left_, fin_.data(), pw_);
                r2c_->r2c(fin_.data(), spec_.data());
            }
            multiply_by_kernel(false);
            c2r_->c2r(spec_.data(), fin_.data());
            cv::copy_block(fin_.data() + (kh_ - 1) * pw_ + (kw_ - 1), pw_, ho_, wo_, y, wo_);
            return;
        }
        forward_direct(x, y);
    }

    // Both direct products run in bands of band_rows_ output rows. Output rows
    // [i0, i0 + n) read (extended) input rows [i0, i0 + n + k_h − 1); each
    // band builds just those rows in a band buffer (a few hundred KiB), and a
    // separable kernel's row pass writes a second one, whose last k_h − 1 rows
    // carry over as the first rows of the next band (each row-pass row is
    // computed once per worker). Nothing image-sized is touched but the input
    // and the output, and the column pass reads the row pass's output from
    // cache. With several threads each takes a contiguous range of output
    // rows with its own band buffers (one fork per product, not one per band).

    // body(r0, r1, t) over [0, rows) output rows of `cols` columns: split among
    // workers when the multiply-adds justify a fork, else one call.
    template <class Body>
    void split_bands(Index rows, Index cols, Body&& body) const {
        const double work = double(rows) * double(cols) * double(separable_ ? kh_ + kw_ : kh_ * kw_);
        int workers = std::min<int>({num_threads(), band_workers_, int((rows + band_rows_ - 1) / band_rows_)});
        if (work < double(detail::parallel_threshold) * 4) workers = 1;
        parallel_ranges(rows, workers, [&](std::ptrdiff_t t, std::ptrdiff_t r0, std::ptrdiff_t r1) {
            body(Index(r0), Index(r1), std::size_t(t));
        });
    }

    // One worker's bands over output rows [r0, r1), single-threaded, with worker
    // t's row-pass buffer: input(p0, p1) supplies the input rows [p0, p1) as
    // {pointer, row stride}; output(i0) gives where output row i0 goes, as
    // {pointer, row stride}; done(i0, n) runs after each band. `full` are the
    // 2-D taps, `row` and `col` the separable passes.
    template <class Input, class Output, class Done>
    void run_bands(Index r0, Index r1, std::size_t t, Index cols, const detail::conv::Taps<T>& full,
                   const detail::conv::Taps<T>& row, const detail::conv::Taps<T>& col, Input&& input,
                   Output&& output, Done&& done) const {
        namespace cv = detail::conv;
        const Index carry = kh_ - 1;
        T* tmp = separable_ ? band_tmp_.data() + t * band_tmp_size_ : nullptr;
        for (Index i0 = r0; i0 < r1; i0 += band_rows_) {
            const Index n = std::min(band_rows_, r1 - i0);
            const auto [dst, ds] = output(i0);
            if (!separable_) {
                const auto [src, ss] = input(i0, i0 + n + carry);
                cv::run_taps(src, ss, full, n, cols, dst, ds, false);
            } else {
                // row-pass rows needed: [i0, i0 + n + carry); after the first band the
                // first `carry` of them are the previous band's last ones
                Index p0 = i0, have = 0;
                if (i0 > r0) {
                    std::memmove(tmp, tmp + band_rows_ * ts_, std::size_t(carry * ts_) * sizeof(T));
                    p0 = i0 + carry;
                    have = carry;
                }
                const Index p1 = i0 + n + carry;
                const auto [src, ss] = input(p0, p1);
                cv::run_taps(src, ss, row, p1 - p0, cols, tmp + have * ts_, ts_, false);
                cv::run_taps(tmp, ts_, col, n, cols, dst, ds, false);
            }
            done(i0, n);
        }
    }

    // Forward: the input rows are x's extended rows (valid: x's own rows).
    void forward_direct(const T* x, T* y) const {
        const bool valid = boundary_ == Boundary::valid;
        split_bands(ho_, wo_, [&](Index r0, Index r1, std::size_t t) {
            T* ext = valid ? nullptr : band_ext_.data() + t * band_ext_size_;
            run_bands(
                r0, r1, t, wo_, fwd_, fwd_row_, fwd_col_,
                [&](Index p0, Index p1) -> std::pair<const T*, Index> {
                    if (valid) return {x + p0 * w_, w_};
                    detail::conv::extend_plane(x, w_, rmap_, cmap_, left_, ext, es_, p0, p1, false);
                    return {ext, es_};
                },
                [&](Index i0) { return std::pair<T*, Index>{y + i0 * wo_, wo_}; }, [](Index, Index) {});
        });
    }

    // The direct adjoint z = Kᵀg in bands: the input rows are g's zero
    // extension (adj_rmap_, adj_cmap_: the rows and columns of g around the
    // output window, −1 outside g). zero / valid: the window is the image
    // itself, so z is x. Else z is the extended grid and is folded back (Eᵀ)
    // band by band: interior rows straight into x, border rows into
    // fold_rows_, added onto the rows they copied once every band is done.
    void adjoint_direct(const T* g, T* x) const {
        namespace cv = detail::conv;
        const bool to_x = adjoint_to_x();
        const Index rows = Index(adj_rmap_.size()) - (kh_ - 1), cols = Index(adj_cmap_.size()) - (kw_ - 1);
        split_bands(rows, cols, [&](Index r0, Index r1, std::size_t t) {
            T* pad = band_pad_.data() + t * band_pad_size_;
            T* out = to_x ? nullptr : band_ext_.data() + t * band_ext_size_;
            run_bands(
                r0, r1, t, cols, adj_, adj_row_, adj_col_,
                [&](Index p0, Index p1) -> std::pair<const T*, Index> {
                    cv::extend_plane(g, wo_, adj_rmap_, adj_cmap_, adj_left_, pad, ps_, p0, p1, false);
                    return {pad, ps_};
                },
                [&](Index i0) { return to_x ? std::pair<T*, Index>{x + i0 * w_, w_} : std::pair<T*, Index>{out, es_}; },
                [&](Index i0, Index n) {
                    if (to_x) return;
                    for (Index r = 0; r < n; ++r) {  // fold: interior rows into x, border rows aside
                        const Index p = i0 + r;
                        const T* zr = out + r * es_;
                        if (p >= top_ && p < top_ + h_) cv::fold_row(zr, cmap_, left_, w_, x + (p - top_) * w_, false);
                        else std::memcpy(fold_rows_.data() + fold_row_index(p) * es_, zr, std::size_t(we_) * sizeof(T));
                    }
                });
        });
        if (to_x) return;
        for (Index p = 0; p < he_; ++p) {  // border rows (serial: several may land on one row)
            if (p >= top_ && p < top_ + h_) continue;
            if (rmap_[std::size_t(p)] < 0) continue;
            cv::fold_row(fold_rows_.data() + fold_row_index(p) * es_, cmap_, left_, w_, x + rmap_[std::size_t(p)] * w_,
                         true);
        }
    }

    // zero and valid boundaries have no extension to fold: the adjoint's window is x itself
    bool adjoint_to_x() const { return boundary_ == Boundary::valid || boundary_ == Boundary::zero; }
    // row of fold_rows_ holding extended border row p (top rows first, then bottom)
    Index fold_row_index(Index p) const { return p < top_ ? p : p - h_; }

    void adjoint_plane(const T* g, T* x) const {
        namespace cv = detail::conv;
        if (method_ == ConvolutionMethod::fft) {
            if (periodic_exact_) {
                r2c_->r2c(g, spec_.data());
                multiply_by_kernel(true);
                c2r_->c2r(spec_.data(), x);
                return;
            }
            // g at offset (kh−1, kw−1); the last c2r left data everywhere else
            clear_grid_padding();
            cv::zero_block(fin_.data(), pw_, kh_ - 1, we_);
            cv::zero_block(fin_.data() + (kh_ - 1) * pw_, pw_, he_ - kh_ + 1, kw_ - 1);
            cv::copy_block(g, wo_, ho_, wo_, fin_.data() + (kh_ - 1) * pw_ + (kw_ - 1), pw_);
            r2c_->r2c(fin_.data(), spec_.data());
            multiply_by_kernel(true);
            if (valid_in_place()) {
                c2r_->c2r(spec_.data(), x);  // the fold of valid is the identity on the whole grid
                return;
            }
            c2r_->c2r(spec_.data(), fin_.data());
            cv::fold_plane(fin_.data(), pw_, rmap_, cmap_, top_, left_, h_, w_, x);
            return;
        }
        adjoint_direct(g, x);
    }

    // Zero the transform grid outside the he×we block an apply fills (the last
    // c2r wrote the whole grid): rows < he right of column we, rows ≥ he whole.
    void clear_grid_padding() const {
        detail::conv::zero_block(fin_.data() + we_, pw_, he_, pw_ - we_);
        detail::conv::zero_block(fin_.data() + he_ * pw_, pw_, ph_ - he_, pw_);
    }

    // valid on a grid that is the image itself (H, W already fast lengths): transforms run on x directly
    bool valid_in_place() const { return boundary_ == Boundary::valid && ph_ == h_ && pw_ == w_; }

    // ---- spectra -----------------------------------------------------------------

    Spectrum<T> fourier_symbol() const {
        const Shape<2> plane{std::size_t(h_), std::size_t(w_)};
        if (separable_) return separable_spectrum()->table();
        auto s = Spectrum<T>::zeros(Transform::fourier, plane);
        fft::AlignedBuffer<T> kp(std::size_t(h_ * w_));
        wrap_kernel(kp.data());
        fft::plan<T>(fft::Kind::r2c, plane[0], plane[1])->r2c(kp.data(), s.values.data());  // straight into the symbol
        return s;
    }

    Spectrum<T> cosine_symbol() const {
        if (separable_) return separable_spectrum()->table();  // O(HW), not O(HW·k_w)
        const double pi = 3.14159265358979323846;
        const Shape<2> plane{std::size_t(h_), std::size_t(w_)};
        auto s = Spectrum<T>::zeros(Transform::cosine, plane);
        // a[p][n] = Σ_d k[ch+d, n]·cos(π p d / H), then λ[p,q] = Σ_n a[p][n]·cos(π q (n−cw) / W)
        std::vector<double> a(std::size_t(h_ * kw_), 0.0), cq(std::size_t(w_ * kw_));
        for (Index p = 0; p < h_; ++p)
            for (Index m = 0; m < kh_; ++m) {
                const double c = std::cos(pi * double(p) * double(m - ch_) / double(h_));
                for (Index n = 0; n < kw_; ++n) a[std::size_t(p * kw_ + n)] += c * double(k(m, n));
            }
        for (Index q = 0; q < w_; ++q)
            for (Index n = 0; n < kw_; ++n)
                cq[std::size_t(q * kw_ + n)] = std::cos(pi * double(q) * double(n - cw_) / double(w_));
        for (Index p = 0; p < h_; ++p)
            for (Index q = 0; q < w_; ++q) {
                double acc = 0;
                for (Index n = 0; n < kw_; ++n) acc += a[std::size_t(p * kw_ + n)] * cq[std::size_t(q * kw_ + n)];
                s.values(0, std::size_t(p), std::size_t(q)) = std::complex<T>(T(acc), T(0));
            }
        return s;
    }

    T k(Index m, Index n) const { return kernel_(std::size_t(m), std::size_t(n)); }

    Image<T> kernel_;
    Shape<Rank> shape_, range_{};
    Boundary boundary_;
    ConvolutionOptions options_;
    ConvolutionMethod method_ = ConvolutionMethod::direct;

    Index h_ = 0, w_ = 0, kh_ = 0, kw_ = 0, ch_ = 0, cw_ = 0;
    Index top_ = 0, left_ = 0, he_ = 0, we_ = 0, ho_ = 0, wo_ = 0;
    std::vector<Index> rmap_, cmap_;

    // direct path
    bool separable_ = false;
    std::vector<T> u_, v_;
    detail::conv::Taps<T> fwd_, adj_, fwd_row_, fwd_col_, adj_row_, adj_col_;
    Index es_ = 0, ps_ = 0, ts_ = 0;
    Index band_rows_ = 0;          // output rows per band
    int band_workers_ = 1;         // workers with their own band buffers
    std::size_t band_ext_size_ = 0, band_tmp_size_ = 0, band_pad_size_ = 0;  // elements per worker
    // per worker: extended rows (forward) or unfolded output rows (adjoint); row-pass
    // rows of a separable kernel; zero-extended rows of g (adjoint)
    mutable fft::AlignedBuffer<T> band_ext_, band_tmp_, band_pad_;
    std::vector<Index> adj_rmap_, adj_cmap_;  // the adjoint's zero extension of g (−1: zero)
    Index adj_left_ = 0;
    mutable fft::AlignedBuffer<T> fold_rows_;  // the adjoint's border rows of the extended grid, folded last

    // FFT path
    bool periodic_exact_ = false;
    Index ph_ = 0, pw_ = 0;
    std::shared_ptr<const fft::Plan<T>> r2c_, c2r_;
    fft::AlignedBuffer<std::complex<T>> khat_;                // k̂ / (P·Q) on the r2c half grid, or
    std::vector<std::complex<T>> khat_rows_, khat_cols_;    // its factors Û/(P·Q), V̂ when k = u·vᵀ
    mutable fft::AlignedBuffer<std::complex<T>> spec_;
    mutable fft::AlignedBuffer<T> fin_;
};

}  // namespace lucid::ops
