#pragma once
/// \file cnn.hpp
/// A learned denoiser: a small bias-free residual convolutional network
/// (DnCNN-style) trained by scripts/train-denoiser.py, run in float with a
/// register-blocked convolution kernel, threaded and tiled.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/cpu_features.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/denoisers/cnn_model.hpp"
#include "lucid/denoisers/denoiser.hpp"

namespace lucid::denoisers {

/// Parameters of Cnn inference.
struct CnnParams {
    /// Side of the output tiles (pixels). Each tile is computed with a halo
    /// of `depth` pixels on every side, which makes the tiled result equal to
    /// the untiled one; larger tiles waste less on halos and use more memory
    /// (about 2·width·(tile + 2·depth + 2)² floats).
    std::size_t tile = 256;
    /// Use the portable kernel even where AVX2+FMA is available (for tests).
    bool portable_kernel = false;

    void validate() const {
        require(tile >= 8 && tile <= 8192, "lucid::denoisers::CnnParams", "tile", "in [8, 8192]", tile);
    }
};

namespace detail::cnn {

/// A 3×3 convolution layer on the zero-bordered planar layout, written
/// directly (a register-blocked "GEMM" with the nine taps as the inner
/// dimension, no im2col copy): for output channels o and flat pixels n in
/// [n0, n1), out[o][n] = Σ_{s<9} Σ_c w[o][c][s] · in[c][n + shift_s].
/// Blocks of 4 output channels × 3 vectors of pixels stay in registers;
/// VB is the vector width in bytes (32 for the AVX2+FMA copy, 16 portable).
/// `w` is packed as [cout/4][9][cin][4] (cout padded to a multiple of 4).
template <std::size_t VB>
[[gnu::always_inline]] inline void conv3x3_block(const float* in, std::size_t plane_in, const std::ptrdiff_t* shifts,
                                                 const float* w, std::size_t cin, std::size_t cout, float* out,
                                                 std::size_t plane_out, std::size_t n0, std::size_t n1) {
    typedef float V __attribute__((vector_size(VB)));
    typedef float U __attribute__((vector_size(VB), aligned(4)));
    constexpr std::size_t L = VB / sizeof(float), P = 3 * L;
    const std::size_t cout4 = (cout + 3) / 4 * 4;
    for (std::size_t n = n0; n < n1; n += P) {
        const std::size_t m = std::min(P, n1 - n);
        for (std::size_t ob = 0; ob < cout4; ob += 4) {
            V acc[4][3] = {};
            const float* wp = w + ob * 9 * cin;
            for (std::size_t s = 0; s < 9; ++s) {
                const float* src = in + shifts[s] + std::ptrdiff_t(n);
                for (std::size_t c = 0; c < cin; ++c, wp += 4) {
                    const float* sc = src + c * plane_in;
                    const V x0 = *reinterpret_cast<const U*>(sc);
                    const V x1 = *reinterpret_cast<const U*>(sc + L);
                    const V x2 = *reinterpret_cast<const U*>(sc + 2 * L);
                    for (std::size_t o = 0; o < 4; ++o) {
                        const V wv = V{} + wp[o];
                        acc[o][0] += wv * x0;
                        acc[o][1] += wv * x1;
                        acc[o][2] += wv * x2;
                    }
                }
            }
            for (std::size_t o = 0; o < 4 && ob + o < cout; ++o) {
                float* d = out + (ob + o) * plane_out + n;
                if (m == P) {
                    *reinterpret_cast<U*>(d) = acc[o][0];
                    *reinterpret_cast<U*>(d + L) = acc[o][1];
                    *reinterpret_cast<U*>(d + 2 * L) = acc[o][2];
                } else {
                    float tmp[P];
                    std::memcpy(tmp, &acc[o][0], sizeof(V));
                    std::memcpy(tmp + L, &acc[o][1], sizeof(V));
                    std::memcpy(tmp + 2 * L, &acc[o][2], sizeof(V));
                    std::memcpy(d, tmp, m * sizeof(float));
                }
            }
        }
    }
}

#if LUCID_HAS_AVX2_DISPATCH
__attribute__((target("avx2,fma"))) inline void conv3x3_avx2(const float* in, std::size_t plane_in,
                                                             const std::ptrdiff_t* shifts, const float* w,
                                                             std::size_t cin, std::size_t cout, float* out,
                                                             std::size_t plane_out, std::size_t n0, std::size_t n1) {
    conv3x3_block<32>(in, plane_in, shifts, w, cin, cout, out, plane_out, n0, n1);
}
#endif

inline void conv3x3_portable(const float* in, std::size_t plane_in, const std::ptrdiff_t* shifts, const float* w,
                             std::size_t cin, std::size_t cout, float* out, std::size_t plane_out, std::size_t n0,
                             std::size_t n1) {
    conv3x3_block<16>(in, plane_in, shifts, w, cin, cout, out, plane_out, n0, n1);
}

/// Slack (floats) after each activation buffer: blocked loads may read up to
/// 3 vectors past the last pixel.
inline constexpr std::size_t buffer_slack = 64;

/// Half-sample symmetric index into [0, n) (numpy 'symmetric', any distance).
inline std::ptrdiff_t reflect(std::ptrdiff_t i, std::ptrdiff_t n) {
    const std::ptrdiff_t period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
}

}  // namespace detail::cnn

/// Learned CNN denoiser (lucid's default model: data/models/cnn-denoiser.lcnn).
///
/// Computes \f$ \hat x = D(y, \sigma) = y - R\big(\,[\,y;\ \sigma\mathbf 1\,]\big) \f$
/// where R is a stack of 3×3 convolutions without bias, with ReLU between
/// them (a bias-free DnCNN: Zhang et al. 2017; Mohan et al., ICLR 2020).
/// The image is first extended by `depth()` pixels by half-sample symmetric
/// reflection (Boundary::reflect) and every convolution zero-pads; the
/// result is cropped back. Being bias-free, D is positively homogeneous:
/// \f$ D(a y, a\sigma) = a\,D(y, \sigma) \f$ for a > 0.
///
/// σ is the standard deviation of the white Gaussian noise in y (image units,
/// [0, 1] scale), in [0, sigma_max()] (the training range, 50/255). σ = 0
/// runs the network *blind*: it was trained to estimate the noise level
/// itself when the noise map is 0 (`denoise_blind`), which is what
/// Kadkhodaie–Simoncelli sampling needs.
///
/// Inference: float throughout (double inputs are converted per tile); each
/// convolution is a register-blocked direct kernel (4 output channels × 3
/// SIMD vectors of pixels, the 9·cin taps as inner dimension) on a
/// zero-bordered activation layout, so no im2col copy is made; an AVX2+FMA
/// copy is chosen at run time. The pixels of every layer are split across
/// lucid::num_threads(). Large images are
/// processed in tiles of `CnnParams::tile` pixels with a `depth()`-pixel
/// halo (exactly equal to the untiled result). Buffers are allocated on the
/// first call for the largest tile and reused; later calls do not allocate.
/// Stacks (C×H×W) are denoised plane by plane (the model is gray).
/// One object is not for concurrent use (copy it per thread).
///
/// ```cpp
/// auto cnn = lucid::denoisers::Cnn<float>::load_default();
/// lucid::Image<float> out(y.shape());
/// cnn.denoise(y, 25.f / 255, out);
/// ```
template <class T>
class Cnn {
public:
    using scalar_type = T;

    /// Builds the network from a parsed model (see CnnModel::parse / read).
    explicit Cnn(CnnModel model, CnnParams params = {})
        : model_(std::move(model)), params_((params.validate(), params)) {
        model_.validate("lucid::denoisers::Cnn");
        prepare_weights();
    }

    /// Loads a .lcnn weights file (format in docs/learned-priors.md; the
    /// version and CRC-32 are checked, errors name the file and the field).
    static Cnn load(const std::filesystem::path& path, CnnParams params = {}) {
        return Cnn(CnnModel::read(path), params);
    }

    /// Loads lucid's committed default model, found at
    /// `default_model_path()`.
    static Cnn load_default(CnnParams params = {}) {
        const std::filesystem::path path = default_model_path();
        try {
            return load(path, params);
        } catch (const IoError& e) {
            const char* env = std::getenv("LUCID_CNN_MODEL");
            if (env && *env) throw IoError(std::string(e.what()) + " (the file named by LUCID_CNN_MODEL)");
            throw;
        }
    }

    /// Where the default model is looked for: the file named by the
    /// environment variable LUCID_CNN_MODEL when it is set and non-empty (as
    /// is: a wrong path fails when loaded rather than silently falling back);
    /// otherwise `data/models/cnn-denoiser.lcnn` in the source tree that holds
    /// this header, then `share/lucid/models/cnn-denoiser.lcnn` of the install
    /// prefix that holds it. Throws lucid::Error listing the paths tried when
    /// neither exists.
    static std::filesystem::path default_model_path() {
        namespace fs = std::filesystem;
        std::vector<fs::path> tried;
        if (const char* env = std::getenv("LUCID_CNN_MODEL"); env && *env) return env;
        const fs::path here = fs::path(__FILE__).parent_path();  // <root>/include/lucid/denoisers
        for (const fs::path& rel : {fs::path("../../../data/models/cnn-denoiser.lcnn"),
                                    fs::path("../../../share/lucid/models/cnn-denoiser.lcnn")}) {
            fs::path p = (here / rel).lexically_normal();
            if (fs::exists(p)) return p;
            tried.push_back(p);
        }
        std::string list;
        for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
        throw Error("lucid::denoisers::Cnn::default_model_path: no default model found (tried " + list +
                    "); set LUCID_CNN_MODEL to a .lcnn file");
    }

    const CnnModel& model() const { return model_; }
    const CnnParams& params() const { return params_; }
    /// Number of convolution layers (= the halo needed per side).
    std::size_t depth() const { return model_.layers.size(); }
    /// Largest σ the model was trained for (50/255 for the default model).
    T sigma_max() const { return T(model_.sigma_max); }

    /// out = D(y, σ) for an image H×W or a stack C×H×W (plane by plane).
    /// σ ∈ [0, sigma_max()]; σ = 0 is blind mode. out must have y's shape and
    /// must not alias y.
    template <std::size_t Rank>
    void denoise(const xt::xtensor<T, Rank>& y, T sigma, xt::xtensor<T, Rank>& out) const {
        static_assert(Rank == 2 || Rank == 3, "Cnn denoises H×W images or C×H×W stacks");
        constexpr const char* where = "lucid::denoisers::Cnn::denoise";
        if (!(std::isfinite(sigma) && sigma >= T(0) && sigma <= sigma_max() * T(1 + 1e-6)))
            lucid::detail::fail_argument(
                where, "sigma",
                lucid::detail::concat("in [0, ", double(sigma_max()), "] (the model's training range; 0 = blind)"),
                sigma);
        require_shape(where, "out", out.shape(), y.shape());
        require_finite_image(where, "y", y);  // a NaN or inf pixel would spread through every layer
        if (static_cast<const void*>(y.data()) == static_cast<const void*>(out.data()))
            lucid::detail::fail_argument(where, "out", "a buffer distinct from y", "the same buffer");
        Shape<Rank> s;
        for (std::size_t i = 0; i < Rank; ++i) s[i] = y.shape()[i];
        const auto hw = plane_shape(s);
        const std::size_t planes = channel_count(s), plane = hw[0] * hw[1];
        for (std::size_t c = 0; c < planes; ++c)
            denoise_plane(y.data() + c * plane, hw[0], hw[1], float(sigma), out.data() + c * plane);
        // The layers run in float: finite inputs far outside the training range [0, 1]
        // (|y| ≳ 1e30, or beyond float in Cnn<double>) overflow an activation.
        if (!lucid::detail::all_finite_values(out.data(), out.size()))
            lucid::detail::fail_argument(where, "y", "values the network's float arithmetic can carry (images in about [0, 1])",
                                         "an image whose activations overflowed float");
    }

    /// out = D(y, 0): the network estimates the noise level itself.
    template <std::size_t Rank>
    void denoise_blind(const xt::xtensor<T, Rank>& y, xt::xtensor<T, Rank>& out) const {
        denoise(y, T(0), out);
    }

private:
    struct LayerW {
        std::size_t cin, cout;
        bool relu;
        std::vector<float> packed;  // [cout/4][9][cin][4]: packed[((ob/4)·9 + s)·cin·4 + c·4 + o%4] = w[o][c][s]
    };

    void prepare_weights() {
        width_ = 0;
        for (const auto& l : model_.layers) {
            const std::size_t cout4 = (l.cout + 3) / 4 * 4;
            LayerW w{l.cin, l.cout, l.relu, std::vector<float>(cout4 * 9 * l.cin, 0.0f)};
            for (std::size_t o = 0; o < l.cout; ++o)
                for (std::size_t c = 0; c < l.cin; ++c)
                    for (std::size_t s = 0; s < 9; ++s)
                        w.packed[(((o / 4) * 9 + s) * l.cin + c) * 4 + o % 4] = l.weights[(o * l.cin + c) * 9 + s];
            width_ = std::max({width_, l.cin, l.cout});
            layers_.push_back(std::move(w));
        }
    }

    /// Allocates buffers for a padded tile of hp×wp once; grows only.
    void reserve(std::size_t hp, std::size_t wp) const {
        Scratch& w = scratch_;
        const std::size_t need = width_ * hp * wp + detail::cnn::buffer_slack;
        if (w.a.size() < need) {
            w.a = fft::AlignedBuffer<float>(need);
            w.b = fft::AlignedBuffer<float>(need);
        }
    }

    template <class S>
    void denoise_plane(const S* y, std::size_t h, std::size_t w, float sigma, S* out) const {
        const std::size_t p = depth(), t = params_.tile;
        const std::size_t th = std::min(t, h), tw = std::min(t, w);
        reserve(th + 2 * p + 2, tw + 2 * p + 2);
        for (std::size_t r0 = 0; r0 < h; r0 += t)
            for (std::size_t c0 = 0; c0 < w; c0 += t)
                run_tile(y, h, w, r0, c0, std::min(t, h - r0), std::min(t, w - c0), sigma, out);
    }

    /// Output rows [r0, r0+oh) × cols [c0, c0+ow), computed on the tile
    /// extended by p = depth() pixels (reflected outside the image).
    template <class S>
    void run_tile(const S* y, std::size_t h, std::size_t w, std::size_t r0, std::size_t c0, std::size_t oh,
                  std::size_t ow, float sigma, S* out) const {
        const std::size_t p = depth();
        const std::size_t H = oh + 2 * p, W = ow + 2 * p;  // network input size
        const std::size_t ld = W + 2;                       // padded row length
        const std::size_t plane = (H + 2) * ld;             // padded plane size
        float* a = scratch_.a.data();
        float* b = scratch_.b.data();
        // Input: channel 0 = reflected image, channel 1 = σ map, zero borders.
        const std::size_t cin0 = layers_.front().cin;
        std::fill(a, a + cin0 * plane + detail::cnn::buffer_slack, 0.0f);
        for (std::size_t i = 0; i < H; ++i) {
            const std::ptrdiff_t yi = detail::cnn::reflect(std::ptrdiff_t(r0 + i) - std::ptrdiff_t(p), std::ptrdiff_t(h));
            float* row = a + (i + 1) * ld + 1;
            const S* src = y + std::size_t(yi) * w;
            for (std::size_t j = 0; j < W; ++j)
                row[j] = float(src[detail::cnn::reflect(std::ptrdiff_t(c0 + j) - std::ptrdiff_t(p), std::ptrdiff_t(w))]);
            if (cin0 > 1) std::fill(row + plane, row + plane + W, sigma);
        }
        // Layers: out(:, n) over n ∈ [0, N), n = i·ld + j, j < W valid, j ∈ {W, W+1} land on borders.
        const std::size_t N = H * ld - 2;
        for (std::size_t l = 0; l < layers_.size(); ++l) {
            const LayerW& L = layers_[l];
            // clear top border row and the tail of every output plane (stale data from larger tiles)
            for (std::size_t o = 0; o < L.cout; ++o) {
                std::fill(b + o * plane, b + o * plane + ld + 1, 0.0f);
                std::fill(b + o * plane + ld + 1 + N, b + (o + 1) * plane, 0.0f);
            }
            std::fill(b + L.cout * plane, b + L.cout * plane + detail::cnn::buffer_slack, 0.0f);
            run_layer(L, a, b, N, ld, plane, W);
            std::swap(a, b);
        }
        // a holds R on the padded layout; out = y − R on the core.
        const float* r = a;
        for (std::size_t i = 0; i < oh; ++i) {
            const float* rr = r + (p + i + 1) * ld + p + 1;
            const S* yy = y + (r0 + i) * w + c0;
            S* oo = out + (r0 + i) * w + c0;
            if (model_.residual)
                for (std::size_t j = 0; j < ow; ++j) oo[j] = S(float(yy[j]) - rr[j]);
            else
                for (std::size_t j = 0; j < ow; ++j) oo[j] = S(rr[j]);
        }
    }

    /// One conv layer: out = act(Σ_s W_s · shift_s(in)), pixel ranges split over threads.
    void run_layer(const LayerW& L, const float* in, float* out, std::size_t N, std::size_t ld, std::size_t plane,
                   std::size_t W) const {
        const std::size_t nt = std::min<std::size_t>(std::size_t(std::max(1, num_threads())),
                                                     std::max<std::size_t>(1, N / 4096));
        const std::size_t chunk = ((N + nt - 1) / nt + 23) / 24 * 24;
        float* dst = out + ld + 1;
        std::ptrdiff_t shifts[9];
        for (std::size_t s = 0; s < 9; ++s) shifts[s] = std::ptrdiff_t((s / 3) * ld + (s % 3));
#if LUCID_HAS_AVX2_DISPATCH
        const bool avx2 = !params_.portable_kernel && lucid::detail::cpu_has_avx2_fma();
#endif
        parallel_for(0, std::ptrdiff_t(nt), [&](std::ptrdiff_t t) {
            const std::size_t n0 = std::size_t(t) * chunk;
            if (n0 >= N) return;
            const std::size_t n1 = std::min(N, n0 + chunk);
#if LUCID_HAS_AVX2_DISPATCH
            if (avx2)
                detail::cnn::conv3x3_avx2(in, plane, shifts, L.packed.data(), L.cin, L.cout, dst, plane, n0, n1);
            else
#endif
                detail::cnn::conv3x3_portable(in, plane, shifts, L.packed.data(), L.cin, L.cout, dst, plane, n0, n1);
            for (std::size_t o = 0; o < L.cout; ++o) {
                float* d = dst + o * plane;
                if (L.relu)
                    for (std::size_t n = n0; n < n1; ++n) d[n] = d[n] > 0.0f ? d[n] : 0.0f;
                // positions with j = n mod ld ∈ {W, W+1} are the zero borders of the next layer
                const std::size_t first = n0 - n0 % ld + W;
                for (std::size_t n = first; n < n1 + ld; n += ld)
                    for (std::size_t q = n; q < n + 2; ++q)
                        if (q >= n0 && q < n1) d[q] = 0.0f;
            }
        }, 1);
    }

    CnnModel model_;
    CnnParams params_;
    std::vector<LayerW> layers_;
    std::size_t width_ = 0;
    /// Activation ping-pong buffers; a copy of the denoiser starts with
    /// empty scratch (allocated on its first call).
    struct Scratch {
        fft::AlignedBuffer<float> a, b;
        Scratch() = default;
        Scratch(const Scratch&) {}
        Scratch(Scratch&&) noexcept = default;
        Scratch& operator=(const Scratch&) { return *this; }
        Scratch& operator=(Scratch&&) noexcept = default;
    };
    mutable Scratch scratch_;
};

}  // namespace lucid::denoisers
