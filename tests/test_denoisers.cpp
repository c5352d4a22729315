// Denoisers: the Denoiser concept, prox-as-denoiser, ROF/TV, Gaussian smoothing
// against scipy, NLM against a direct implementation and on a shipped image,
// wavelet shrinkage against PyWavelets; WaveletL1 proxes; the geometric
// self-ensemble against a brute-force average over the flips and transposes.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include <xtensor/xview.hpp>

#include "lucid/denoisers/denoisers.hpp"
#include "lucid/functionals/functionals.hpp"
#include "lucid/functionals/wavelet_l1.hpp"
#include "lucid/lucid.hpp"
#include "lucid/ops/stationary_wavelet2d.hpp"
#include "lucid/ops/wavelet2d.hpp"
#include "support/peers.hpp"
#include "support/prox_check.hpp"
#include "support/compare.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
using namespace lucid::denoisers;

namespace {

template <class T, std::size_t R>
xt::xtensor<T, R> add_noise(const xt::xtensor<T, R>& x, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, sigma);
    xt::xtensor<T, R> y = x;
    for (auto& v : y) v = T(double(v) + n(rng));
    return y;
}

template <class A, class B>
double psnr(const A& ref, const B& x) {
    double mse = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double d = double(ref.data()[i]) - double(x.data()[i]);
        mse += d * d;
    }
    return 10 * std::log10(1.0 / (mse / double(ref.size())));
}

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

// Loads a shipped PNG as float in [0, 1] through scikit-image (H×W gray or C×H×W color).
xt::xarray<double> load_png(const std::string& name) {
    const auto out = lucid::test::scratch_dir() / (name + ".npy");
    lucid::test::run_python_code(
        "import sys, numpy as np\nfrom skimage import io\n"
        "a = io.imread(sys.argv[1]).astype(np.float64) / 255.0\n"
        "if a.ndim == 3: a = np.ascontiguousarray(np.moveaxis(a[..., :3], -1, 0))\n"
        "np.save(sys.argv[2], a)\n",
        {lucid::test::source_path("data/" + name), out.string()});
    return lucid::test::read_npy<double>(out);
}

// Direct O(N·r²·f²) pixelwise NLM with the same conventions (reference implementation).
Image<double> nlm_direct(const Image<double>& y, int f, int r, double h, double sigma) {
    const int H = int(y.shape()[0]), W = int(y.shape()[1]);
    auto refl = [](int i, int n) { int p = 2 * n; i %= p; if (i < 0) i += p; return i < n ? i : p - 1 - i; };
    auto at = [&](int i, int j) { return y(std::size_t(refl(i, H)), std::size_t(refl(j, W))); };
    Image<double> out = zeros_like(y);
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < W; ++j) {
            double acc = 0, ws = 0, wm = 0;
            for (int a = std::max(0, i - r); a <= std::min(H - 1, i + r); ++a)
                for (int b = std::max(0, j - r); b <= std::min(W - 1, j + r); ++b) {
                    if (a == i && b == j) continue;
                    double d2 = 0;
                    for (int u = -f; u <= f; ++u)
                        for (int v = -f; v <= f; ++v) {
                            const double d = at(i + u, j + v) - at(a + u, b + v);
                            d2 += d * d;
                        }
                    d2 /= double((2 * f + 1) * (2 * f + 1));
                    const double w = std::exp(-std::max(d2 - 2 * sigma * sigma, 0.0) / (h * h));
                    acc += w * y(std::size_t(a), std::size_t(b));
                    ws += w;
                    wm = std::max(wm, w);
                }
            if (wm == 0) wm = 1;
            out(std::size_t(i), std::size_t(j)) = (acc + wm * y(std::size_t(i), std::size_t(j))) / (ws + wm);
        }
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("every denoiser models the Denoiser concept; ProxDenoiser uses tau = sigma^2 * weight", "[denoisers]", float, double) {
    using T = TestType;
    static_assert(Denoiser<TvDenoiser<T>, Image<T>> && Denoiser<TvDenoiser<T>, ImageStack<T>>);
    static_assert(Denoiser<NonLocalMeans<T>, Image<T>> && Denoiser<NonLocalMeans<T>, ImageStack<T>>);
    static_assert(Denoiser<GaussianDenoiser<T>, Image<T>> && Denoiser<WaveletDenoiser<T>, ImageStack<T>>);
    static_assert(Denoiser<ProxDenoiser<L1<T>>, Image<T>> && Denoiser<ProxDenoiser<L1<T>>, VectorX<T>>);
    const auto y = random_image<T>(8, 9, 1);
    Image<T> a = zeros_like(y), b = zeros_like(y);
    ProxDenoiser d(L1<T>(T(2)), T(5));
    d.denoise(y, T(0.1), a);  // τ = 0.01·5 = 0.05, threshold τλ = 0.1
    L1<T>(T(2)).prox(y, T(0.05), b);
    CHECK(double(distance(a, b)) <= 1e-6);
    CHECK_THROWS_WITH(d.denoise(y, T(0), a), Catch::Contains("sigma"));
    CHECK_THROWS_WITH(ProxDenoiser(L1<T>(T(1)), T(-1)), Catch::Contains("weight"));
}

TEMPLATE_TEST_CASE("TV denoiser solves ROF with a fixed lambda or lambda proportional to sigma", "[denoisers][tv]", float, double) {
    using T = TestType;
    const auto y = random_image<T>(24, 20, 2);
    Image<T> a = zeros_like(y), b = zeros_like(y);
    TvDenoiser<T> fixed({.lambda = 0.07});
    fixed.denoise(y, T(0.5), a);
    TotalVariation<T>(T(0.07), TvNorm::isotropic, {.max_iter = 300, .tol = 1e-4}).prox(y, T(1), b);
    CHECK(double(distance(a, b)) / std::sqrt(double(y.size())) <= 2e-4);
    TvDenoiser<T> prop({.lambda_per_sigma = 0.5});
    CHECK(prop.lambda_for(T(0.2)) == Approx(0.1));
    prop.denoise(y, T(0.2), a);
    TotalVariation<T>(T(0.1), TvNorm::isotropic, {.max_iter = 300, .tol = 1e-4}).prox(y, T(1), b);
    CHECK(double(distance(a, b)) / std::sqrt(double(y.size())) <= 2e-4);
    CHECK_THROWS_WITH(TvDenoiser<T>({.lambda = -1}), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(prop.denoise(y, T(-0.1), a), Catch::Contains("sigma"));
}

TEST_CASE("Gaussian denoiser equals scipy.ndimage.gaussian_filter (mode='reflect')", "[denoisers][gaussian][peers]") {
    if (!lucid::test::python_has("scipy")) {
        WARN("skipped: python3-scipy is not installed");
        return;
    }
    const auto in = lucid::test::scratch_dir() / "g_in.npy";
    const auto out = lucid::test::scratch_dir() / "g_out.npy";
    for (auto [h, w, s] : {std::tuple{20, 17, 1.3}, std::tuple{5, 4, 3.0}}) {
        const auto y = random_image<double>(std::size_t(h), std::size_t(w), 3);
        lucid::test::write_npy(in, y);
        lucid::test::run_python_code(
            "import sys, numpy as np\nfrom scipy.ndimage import gaussian_filter\n"
            "np.save(sys.argv[2], gaussian_filter(np.load(sys.argv[1]), float(sys.argv[3]), mode='reflect', truncate=4.0))\n",
            {in.string(), out.string(), std::to_string(s)});
        const Image<double> ref = lucid::test::read_npy<double>(out);
        Image<double> got = zeros_like(y);
        GaussianDenoiser<double>({.width = s}).denoise(y, 0.1, got);
        CHECK(double(xt::amax(xt::abs(got - ref))()) <= 1e-12);
    }
    GaussianDenoiser<double> g;
    CHECK(g.width_for(0.1) == Approx(0.85));
    CHECK_THROWS_WITH(GaussianDenoiser<double>({.width = -1}), Catch::Contains("width"));
}

TEST_CASE("NLM equals a direct pixelwise implementation", "[denoisers][nlm]") {
    const auto x = random_image<double>(14, 11, 5);
    const double sigma = 0.1;
    auto y = add_noise(x, sigma, 6);
    NonLocalMeans<double> nlm({.patch_radius = 2, .search_radius = 4, .h_factor = 0.4});
    const auto rp = nlm.resolve(sigma, 1);
    CHECK(rp.f == 2);
    CHECK(rp.r == 4);
    CHECK(rp.h == Approx(0.04));
    Image<double> got = zeros_like(y);
    nlm.denoise(y, sigma, got);
    const auto ref = nlm_direct(y, 2, 4, 0.04, sigma);
    CHECK(double(xt::amax(xt::abs(got - ref))()) <= 1e-12);
    // the table of Buades, Coll & Morel (IPOL 2011)
    NonLocalMeans<double> def;
    CHECK(def.resolve(10 / 255.0, 1).f == 1);
    CHECK(def.resolve(20 / 255.0, 1).f == 2);
    CHECK(def.resolve(20 / 255.0, 1).r == 10);
    CHECK(def.resolve(40 / 255.0, 1).r == 17);
    CHECK(def.resolve(20 / 255.0, 1).h == Approx(0.4 * 20 / 255.0));
    CHECK(def.resolve(20 / 255.0, 3).h == Approx(0.55 * 20 / 255.0));
    CHECK_THROWS_WITH(nlm.denoise(y, 0.0, got), Catch::Contains("sigma"));
    CHECK_THROWS_WITH(nlm.denoise(y, 0.1, y), Catch::Contains("out"));
    CHECK_THROWS_WITH(NonLocalMeans<double>({.patch_radius = -1}), Catch::Contains("patch_radius"));
}

TEST_CASE("denoisers improve PSNR on the shipped images", "[denoisers][nlm][quality][peers]") {
    if (!lucid::test::python_has("skimage")) {
        WARN("skipped: python3-skimage is not installed (needed to read the PNGs)");
        return;
    }
    // σ = 20/255: the noisy input has PSNR 20·log10(255/20) ≈ 22.1 dB.
    const double sigma = 20.0 / 255.0;
    const Image<double> x = load_png("camera.png");
    const auto y = add_noise(x, sigma, 42);
    const double p_noisy = psnr(x, y);
    Image<double> out = zeros_like(y);
    NonLocalMeans<double>().denoise(y, sigma, out);
    const double p_nlm = psnr(x, out);
    GaussianDenoiser<double>().denoise(y, sigma, out);
    const double p_gauss = psnr(x, out);
    TvDenoiser<double>().denoise(y, sigma, out);
    const double p_tv = psnr(x, out);
    WaveletDenoiser<double>().denoise(y, sigma, out);
    const double p_wav = psnr(x, out);
    WaveletDenoiser<double>({.shifts = 1}).denoise(y, sigma, out);
    const double p_wav1 = psnr(x, out);
    WARN("camera 256x256, sigma 20/255: noisy " << p_noisy << " dB, NLM " << p_nlm << ", TV " << p_tv
                                               << ", wavelet (16 spins) " << p_wav << ", wavelet (no spin) " << p_wav1
                                               << ", Gaussian " << p_gauss);
    CHECK(p_noisy == Approx(22.1).margin(0.1));
    // NLM results reported at σ = 20 for 512² natural test images are around 31 dB on
    // Lena, i.e. ~9 dB above the 22.1 dB input, and a few dB less on textured images.
    // Our 256² camera is 2× downsampled (denser detail, less self-similarity): we require
    // 7 dB (measured: 7.7 dB gray, 7.9 dB color) and a clear win over Gaussian smoothing.
    CHECK(p_nlm >= p_noisy + 7.0);
    CHECK(p_nlm >= p_gauss + 0.5);
    CHECK(p_tv >= p_noisy + 4.0);
    CHECK(p_gauss >= p_noisy + 2.0);
    CHECK(p_wav >= p_noisy + 4.0);
    CHECK(p_wav >= p_wav1 + 0.3);  // cycle spinning helps (Coifman & Donoho 1995)
    // color: NLM on the astronaut (C×H×W)
    const ImageStack<double> xc = load_png("astronaut.png");
    const auto yc = add_noise(xc, sigma, 43);
    ImageStack<double> oc = zeros_like(yc);
    NonLocalMeans<double>().denoise(yc, sigma, oc);
    const double pc_noisy = psnr(xc, yc), pc_nlm = psnr(xc, oc);
    WARN("astronaut 256x256 RGB, sigma 20/255: noisy " << pc_noisy << " dB, NLM " << pc_nlm);
    CHECK(pc_nlm >= pc_noisy + 7.0);
}

TEST_CASE("wavelet shrinkage without spinning equals PyWavelets", "[denoisers][wavelet][peers]") {
    if (!lucid::test::python_has("pywt")) {
        WARN("skipped: python3-pywt is not installed");
        return;
    }
    const auto y = random_image<double>(32, 48, 8);
    const auto in = lucid::test::scratch_dir() / "w_in.npy";
    const auto out = lucid::test::scratch_dir() / "w_out.npy";
    lucid::test::write_npy(in, y);
    for (auto mode : {ThresholdMode::hard, ThresholdMode::soft}) {
        lucid::test::run_python_code(
            "import sys, numpy as np, pywt\n"
            "y = np.load(sys.argv[1]); t = float(sys.argv[3]); m = sys.argv[4]\n"
            "c = pywt.wavedec2(y, 'db2', mode='periodization', level=3)\n"
            "c = [c[0]] + [tuple(pywt.threshold(d, t, mode=m) for d in lev) for lev in c[1:]]\n"
            "np.save(sys.argv[2], pywt.waverec2(c, 'db2', mode='periodization'))\n",
            {in.string(), out.string(), "0.3", mode == ThresholdMode::hard ? "hard" : "soft"});
        const Image<double> ref = lucid::test::read_npy<double>(out);
        Image<double> got = zeros_like(y);
        WaveletDenoiser<double>({.wavelet = "db2", .levels = 3, .mode = mode, .threshold_factor = 3, .shifts = 1})
            .denoise(y, 0.1, got);
        CHECK(double(xt::amax(xt::abs(got - ref))()) <= 1e-12);
    }
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.shifts = 0}), Catch::Contains("shifts"));
    CHECK_THROWS_AS(WaveletDenoiser<double>({.wavelet = "nope"}), Error);
}

TEMPLATE_TEST_CASE("WaveletL1: exact prox for the orthonormal DWT, balanced prox for the Parseval frame", "[functionals][wavelet]", float, double) {
    using T = TestType;
    const bool is_float = std::is_same_v<T, float>;
    const auto v = random_image<T>(16, 16, 9);
    // orthonormal: Wᵀ soft(Wv) is the prox of λ‖W·‖₁ (optimality condition holds)
    WaveletL1 f(ops::Wavelet2D<T>("db2", {16, 16}, 2), T(0.05));
    static_assert(decltype(f)::exact_prox() && Proximable<decltype(f), Image<T>>);
    Image<T> p = zeros_like(v);
    f.prox(v, T(1), p);
    CHECK(lucid::test::subgradient_violation(f, v, T(1), p, 300, 4, 0.3) <= (is_float ? 1e-4 : 1e-9));
    Image<T> q = zeros_like(v);
    lincomb(T(0.8), p, T(0.2), v, q);
    CHECK(lucid::test::subgradient_violation(f, v, T(1), q, 300, 4, 0.3) > 1e-4);
    // the approximation band is free by default, penalized on request
    Image<T> flat({16, 16}, T(0.5));
    CHECK(double(f.value(flat)) == Approx(0).margin(1e-5));
    CHECK(double(WaveletL1(ops::Wavelet2D<T>("db2", {16, 16}, 2), T(1), true).value(flat)) == Approx(16 * 0.5 * 4).epsilon(1e-4));
    // Parseval frame: c* = soft(Wv) minimizes λ‖c‖₁ + ½‖Wᵀc − v‖² + ½‖(I − WWᵀ)c‖², checked in
    // coefficient space through the subgradient inequality; the prox returns Wᵀc*.
    ops::StationaryWavelet2D<T> S("haar", {16, 16}, 2);
    WaveletL1 g(S, T(0.05), true);
    static_assert(!decltype(g)::exact_prox());
    g.prox(v, T(1), p);
    auto c = S(v);
    for (auto& e : c) e = lucid::detail::soft_threshold(e, T(0.05));
    CHECK(double(distance(S.adjoint_of(c), p)) <= (is_float ? 1e-5 : 1e-12));
    struct Balanced {
        const ops::StationaryWavelet2D<T>* s;
        Image<T> v;
        T lambda;
        T value(const xt::xtensor<T, 3>& cc) const {
            const auto x = s->adjoint_of(cc);
            const auto wx = (*s)(x);
            double r = 0;
            for (std::size_t i = 0; i < cc.size(); ++i) r += 0.5 * std::pow(double(cc.data()[i] - wx.data()[i]), 2);
            return T(lambda * norm1(cc) + T(0.5) * std::pow(distance(x, v), 2) + r);
        }
    } balanced{&S, v, T(0.05)};
    // as a prox problem in c with τ = ∞ there is no quadratic term; check the subgradient
    // inequality of the full objective at c* directly: F(c* + d) ≥ F(c*) for small d.
    std::mt19937 rng(3);
    std::normal_distribution<double> n01(0, 1);
    const double f0 = double(balanced.value(c));
    double worst = -1;
    for (int t = 0; t < 100; ++t) {
        auto d = c;
        for (auto& e : d) e = T(n01(rng) * 1e-2 / std::sqrt(double(d.size())));
        if (t % 2) for (std::size_t i = 0; i < d.size(); ++i) if (c.data()[i] == 0) d.data()[i] = 0;
        xt::xtensor<T, 3> cd = c + d;
        worst = std::max(worst, (f0 - double(balanced.value(cd))) / std::max(1.0, f0));
    }
    CHECK(worst <= (is_float ? 1e-5 : 1e-12));
    CHECK_THROWS_WITH(WaveletL1(S, T(0)), Catch::Contains("lambda"));
}

TEST_CASE("denoisers in float agree with double", "[denoisers][float]") {
    const auto xd = random_image<double>(32, 40, 12);
    const auto yd = add_noise(xd, 0.1, 13);
    Image<float> yf = xt::cast<float>(yd);
    Image<double> od = zeros_like(yd);
    Image<float> of = zeros_like(yf);
    auto agree = [&](const auto& dd, const auto& df, double tol) {
        dd.denoise(yd, 0.1, od);
        df.denoise(yf, 0.1f, of);
        const double m = max_abs_diff(od, of);
        CHECK(m <= tol);
    };
    agree(NonLocalMeans<double>(), NonLocalMeans<float>(), 1e-5);
    agree(GaussianDenoiser<double>(), GaussianDenoiser<float>(), 1e-5);
    agree(WaveletDenoiser<double>(), WaveletDenoiser<float>(), 1e-4);
    agree(TvDenoiser<double>({.prox = {.max_iter = 2000, .tol = 1e-6}}), TvDenoiser<float>({.prox = {.max_iter = 2000, .tol = 1e-6}}), 2e-3);
}

// ---- SelfEnsemble: D_G(y) = (1/|G|) Σ_g g⁻¹ D(g y) ------------------------------
namespace {

// A denoiser that is neither flip- nor transpose-equivariant (one-sided
// neighbours, a nonlinearity, a position-dependent weight), for H×W or C×H×W.
template <class T>
struct Lopsided {
    using scalar_type = T;
    template <std::size_t R>
    void denoise(const xt::xtensor<T, R>& y, T sigma, xt::xtensor<T, R>& out) const {
        const std::size_t h = y.shape()[R - 2], w = y.shape()[R - 1], planes = y.size() / (h * w);
        for (std::size_t c = 0; c < planes; ++c) {
            const T* p = y.data() + c * h * w;
            T* q = out.data() + c * h * w;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    const T right = p[i * w + std::min(j + 1, w - 1)], below = p[std::min(i + 1, h - 1) * w + j];
                    q[i * w + j] = T(0.5) * p[i * w + j] + T(0.3) * right + T(0.2) * below * below +
                                   sigma * T(i + 2 * j) / T(h + w) + T(0.01) * T(c);
                }
        }
    }
};

// g ∈ D4 written independently of the library: r quarter turns then, if t, a transpose.
template <class T>
Image<T> rotate90(const Image<T>& a) {  // counter-clockwise: b(i, j) = a(j, W−1−i)
    const std::size_t h = a.shape()[0], w = a.shape()[1];
    Image<T> b({w, h});
    for (std::size_t i = 0; i < w; ++i)
        for (std::size_t j = 0; j < h; ++j) b(i, j) = a(j, w - 1 - i);
    return b;
}
template <class T>
Image<T> transpose(const Image<T>& a) {
    Image<T> b({a.shape()[1], a.shape()[0]});
    for (std::size_t i = 0; i < a.shape()[1]; ++i)
        for (std::size_t j = 0; j < a.shape()[0]; ++j) b(i, j) = a(j, i);
    return b;
}
template <class T>
Image<T> act(Image<T> a, int turns, bool t) {
    for (int k = 0; k < turns; ++k) a = rotate90(a);
    return t ? transpose(a) : a;
}
template <class T>
Image<T> act_inverse(Image<T> a, int turns, bool t) {
    if (t) a = transpose(a);
    for (int k = 0; k < (4 - turns) % 4; ++k) a = rotate90(a);
    return a;
}
template <class T>
Image<T> flip_lr(const Image<T>& a) {
    Image<T> b = a;
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) b(i, j) = a(i, a.shape()[1] - 1 - j);
    return b;
}

// Brute force: the average over the 8 elements {rotations} × {1, transpose}.
template <class T, class D>
Image<T> brute_force_x8(const D& d, const Image<T>& y, T sigma) {
    Image<double> acc = xt::zeros<double>(y.shape());
    for (int t = 0; t < 2; ++t)
        for (int r = 0; r < 4; ++r) {
            const Image<T> gy = act(y, r, t == 1);
            Image<T> dg(gy.shape());
            d.denoise(gy, sigma, dg);
            const Image<T> back = act_inverse(dg, r, t == 1);
            for (std::size_t k = 0; k < y.size(); ++k) acc.data()[k] += double(back.data()[k]) / 8;
        }
    return xt::cast<T>(acc);
}


}  // namespace

TEMPLATE_TEST_CASE("SelfEnsemble of an equivariant denoiser (Gaussian smoothing) is the denoiser itself",
                   "[denoisers][ensemble]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
    static_assert(Denoiser<SelfEnsemble<GaussianDenoiser<T>>, Image<T>> &&
                  Denoiser<SelfEnsemble<GaussianDenoiser<T>>, ImageStack<T>>);
    GaussianDenoiser<T> g;
    for (auto shape : {std::array<std::size_t, 2>{23, 31}, std::array<std::size_t, 2>{16, 16}}) {
        const auto y = random_image<T>(shape[0], shape[1], 21);
        Image<T> plain = zeros_like(y), ens = zeros_like(y);
        g.denoise(y, T(0.1), plain);
        for (int n : {1, 2, 4, 8}) {
            SelfEnsemble e(g, {.transforms = n});
            e.denoise(y, T(0.1), ens);
            CHECK(max_abs_diff(ens, plain) <= tol);
        }
    }
    // a stack: plane by plane
    ImageStack<T> ys({2, 13, 9});
    const auto a = random_image<T>(13, 9, 22), b = random_image<T>(13, 9, 23);
    std::copy(a.begin(), a.end(), ys.begin());
    std::copy(b.begin(), b.end(), ys.begin() + std::ptrdiff_t(a.size()));
    ImageStack<T> plain(ys.shape()), ens(ys.shape());
    g.denoise(ys, T(0.05), plain);
    SelfEnsemble(g).denoise(ys, T(0.05), ens);
    CHECK(max_abs_diff(ens, plain) <= tol);
}

TEMPLATE_TEST_CASE("SelfEnsemble of a non-equivariant denoiser equals the brute-force average over D4",
                   "[denoisers][ensemble]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-14;
    const Lopsided<T> d;
    const auto y = random_image<T>(11, 17, 31);  // non-square: transposes change the shape
    Image<T> plain = zeros_like(y), ens = zeros_like(y);
    d.denoise(y, T(0.2), plain);
    SelfEnsemble x8(d);
    CHECK(x8.size() == 8);
    x8.denoise(y, T(0.2), ens);
    const auto expect = brute_force_x8(d, y, T(0.2));
    CHECK(max_abs_diff(ens, expect) <= tol);
    CHECK(max_abs_diff(ens, plain) > 1e-2);  // the test denoiser really is not equivariant

    // equivariance of the ensemble: D_G(g y) = g D_G(y) for a quarter turn and a transpose
    for (auto [r, t] : {std::pair{1, false}, std::pair{0, true}, std::pair{3, true}}) {
        const auto gy = act(y, r, t);
        Image<T> out(gy.shape());
        x8.denoise(gy, T(0.2), out);
        CHECK(max_abs_diff(out, act(ens, r, t)) <= tol);
    }

    // subgroups: {1, left–right flip} and {1, lr, ud, half turn}
    SelfEnsemble x2(d, {.transforms = 2}), x4(d, {.transforms = 4});
    Image<T> e2 = zeros_like(y), e4 = zeros_like(y), dl(y.shape());
    x2.denoise(y, T(0.2), e2);
    d.denoise(flip_lr(y), T(0.2), dl);
    Image<T> expect2 = xt::cast<T>((xt::cast<double>(plain) + xt::cast<double>(flip_lr(dl))) / 2.0);
    CHECK(max_abs_diff(e2, expect2) <= tol);
    x4.denoise(y, T(0.2), e4);
    Image<double> acc4 = xt::zeros<double>(y.shape());
    for (int r : {0, 2})
        for (bool lr : {false, true}) {  // {rot0, rot180} × {1, lr} = {1, ud∘lr, lr, ud}
            Image<T> gy = act(lr ? flip_lr(y) : y, r, false), dg(gy.shape());
            d.denoise(gy, T(0.2), dg);
            Image<T> back = act_inverse(dg, r, false);
            if (lr) back = flip_lr(back);
            acc4 += xt::cast<double>(back) / 4.0;
        }
    CHECK(max_abs_diff(e4, acc4) <= tol);

    // out may alias y; repeated calls (reused workspace) give the same result; a copy too
    Image<T> z = y;
    x8.denoise(z, T(0.2), z);
    CHECK(max_abs_diff(z, ens) == 0.0);
    x8.denoise(y, T(0.2), z);
    CHECK(max_abs_diff(z, ens) == 0.0);
    const auto copy = x8;
    copy.denoise(y, T(0.2), z);
    CHECK(max_abs_diff(z, ens) == 0.0);

    // a stack: each plane as the image alone would give
    ImageStack<T> ys({2, 11, 17}), outs(ys.shape());
    std::copy(y.begin(), y.end(), ys.begin());
    std::copy(y.begin(), y.end(), ys.begin() + std::ptrdiff_t(y.size()));
    x8.denoise(ys, T(0.2), outs);
    double m = 0;
    for (std::size_t k = 0; k < y.size(); ++k) {
        const double d0 = std::abs(double(outs.data()[k]) - double(ens.data()[k]));
        const double d1 = std::abs(double(outs.data()[y.size() + k]) - 0.01 - double(ens.data()[k]));
        m = std::max({m, std::isnan(d0) ? HUGE_VAL : d0, std::isnan(d1) ? HUGE_VAL : d1});
    }
    CHECK(m <= 10 * tol);
}

TEMPLATE_TEST_CASE("SelfEnsemble rejects bad arguments, naming them", "[denoisers][ensemble][errors]", float, double) {
    using T = TestType;
    GaussianDenoiser<T> g;
    CHECK_THROWS_WITH(SelfEnsemble(g, {.transforms = 3}), Catch::Contains("'transforms'") && Catch::Contains("1, 2, 4 or 8"));
    CHECK_THROWS_WITH(SelfEnsemble(g, {.transforms = 0}), Catch::Contains("'transforms'"));
    SelfEnsemble e(g);
    const auto y = random_image<T>(6, 7, 41);
    Image<T> wrong({7, 6});
    CHECK_THROWS_AS(e.denoise(y, T(0.1), wrong), ShapeError);
    CHECK_THROWS_WITH(e.denoise(y, T(0.1), wrong), Catch::Contains("'out'"));
    Image<T> empty({0, 0}), out0({0, 0});
    CHECK_THROWS_WITH(e.denoise(empty, T(0.1), out0), Catch::Contains("'y'"));
    Image<T> bad = y, out(y.shape());
    bad(2, 3) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(e.denoise(bad, T(0.1), out), Catch::Contains("'y'"));
    CHECK_THROWS_WITH(e.denoise(y, T(-0.1), out), Catch::Contains("sigma"));  // D's own check
}

// ---- limits and bounds of the denoisers' parameters ------------------------------

TEST_CASE("NLM with a vanishing h is the exact h -> 0 limit, not NaN", "[denoisers][nlm][errors]") {
    // h² underflows to 0 (1/h² = inf): only patches within 2σ² of p keep a weight, of 1.
    // A random image has no repeated patches, and σ = 1e-200 makes 2σ² = 0: the centre
    // weight is then 1 and every other weight 0, so the output is the input, bit for bit.
    const auto y = random_image<double>(16, 16, 21);
    Image<double> out = zeros_like(y);
    NonLocalMeans<double>().denoise(y, 1e-200, out);
    CHECK(double(xt::amax(xt::abs(out - y))()) == 0.0);
    // A ramp repeats its patches along the anti-diagonals: they average equal values.
    Image<double> ramp({16, 16});
    for (std::size_t i = 0; i < 16; ++i)
        for (std::size_t j = 0; j < 16; ++j) ramp(i, j) = double(i + j) / 30;
    NonLocalMeans<double>().denoise(ramp, 1e-200, out);
    CHECK(double(xt::amax(xt::abs(out - ramp))()) <= 1e-15);
    // h = 1e-161 (1/h² = inf) equals h = 1e-151 (1/h² = 1e302, finite: every weight
    // with d² > 2σ² already underflows to 0), with some patches within 2σ² = 0.02.
    const auto noisy = add_noise(ramp, 0.05, 22);
    Image<double> a = zeros_like(noisy), b = zeros_like(noisy);
    NonLocalMeans<double>({.h_factor = 1e-160}).denoise(noisy, 0.1, a);
    NonLocalMeans<double>({.h_factor = 1e-150}).denoise(noisy, 0.1, b);
    CHECK(xt::all(xt::isfinite(a)));
    CHECK(double(xt::amax(xt::abs(a - b))()) == 0.0);
    CHECK(double(xt::amax(xt::abs(a - noisy))()) > 1e-3);  // some pixels were averaged
    Image<float> af = xt::cast<float>(noisy), of = zeros_like(af);
    NonLocalMeans<float>({.h_factor = 1e-160}).denoise(af, 0.1f, of);
    CHECK(xt::all(xt::isfinite(of)));
}

TEST_CASE("NLM bounds patch_radius; a search radius beyond the image acts as the image side", "[denoisers][nlm][errors]") {
    CHECK_THROWS_WITH(NonLocalMeans<double>({.patch_radius = 65}), Catch::Contains("'patch_radius'") && Catch::Contains("[0, 64]"));
    CHECK_THROWS_WITH(NonLocalMeans<double>({.patch_radius = 2000000000}), Catch::Contains("'patch_radius'"));
    CHECK_THROWS_WITH(NonLocalMeans<double>({.patch_radius = 20000}), Catch::Contains("'patch_radius'"));
    const auto y = random_image<double>(8, 8, 23);
    Image<double> a = zeros_like(y), b = zeros_like(y);
    NonLocalMeans<double>({.patch_radius = 64}).denoise(y, 0.1, a);  // the largest: patches far beyond the image
    CHECK(xt::all(xt::isfinite(a)));
    NonLocalMeans<double>({.search_radius = std::numeric_limits<int>::max()}).denoise(y, 0.1, a);
    NonLocalMeans<double>({.search_radius = 8}).denoise(y, 0.1, b);
    CHECK(double(xt::amax(xt::abs(a - b))()) == 0.0);
}

TEST_CASE("wavelet denoiser bounds levels: a fixed cap and the padding the image needs", "[denoisers][wavelet][errors]") {
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 64}), Catch::Contains("'levels'") && Catch::Contains("[1, 16]"));
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 40}), Catch::Contains("'levels'"));
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 17}), Catch::Contains("'levels'"));
    CHECK_NOTHROW(WaveletDenoiser<double>({.levels = 16}));
    // 8×8 with 14 levels would pad to 16384²: rejected, naming the shape and the most it allows
    const auto y = random_image<double>(8, 8, 24);
    Image<double> out = zeros_like(y);
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 14, .shifts = 2}).denoise(y, 0.1, out),
                      Catch::Contains("'levels'") && Catch::Contains("8x8") && Catch::Contains("at most 4 levels"));
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 5}).denoise(y, 0.1, out), Catch::Contains("'levels'"));
    // a strip is bounded by its short side: 1×300 pads to 16×304 with 4 levels, not more
    const auto strip = random_image<double>(1, 300, 25);
    Image<double> sout = zeros_like(strip);
    CHECK_NOTHROW(WaveletDenoiser<double>({.levels = 4, .shifts = 1}).denoise(strip, 0.1, sout));
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 5, .shifts = 1}).denoise(strip, 0.1, sout),
                      Catch::Contains("1x300"));
    // up to one reflection period (2·side) is allowed: 16×20 takes 5 levels (32×32), not 6
    const auto z = random_image<double>(16, 20, 26);
    Image<double> zout = zeros_like(z);
    WaveletDenoiser<double>({.levels = 5, .shifts = 2}).denoise(z, 0.1, zout);
    CHECK(xt::all(xt::isfinite(zout)));
    CHECK_THROWS_WITH(WaveletDenoiser<double>({.levels = 6}).denoise(z, 0.1, zout), Catch::Contains("at most 5 levels"));
    // the default (4 levels) still works on any image, down to 1×1 (a constant plane: kept)
    Image<double> one({1, 1}, 0.25), oout({1, 1});
    WaveletDenoiser<double>().denoise(one, 0.1, oout);
    CHECK(oout(0, 0) == Approx(0.25).margin(1e-12));
}

namespace {
// Separable Gaussian with half-sample reflection and unfolded taps |t| <= round(truncate·s).
Image<double> gaussian_direct(const Image<double>& y, double s, double truncate = 4.0) {
    const std::ptrdiff_t rad = std::ptrdiff_t(truncate * s + 0.5);
    std::vector<double> g(std::size_t(2 * rad + 1));
    double total = 0;
    for (std::ptrdiff_t t = -rad; t <= rad; ++t) total += g[std::size_t(t + rad)] = std::exp(-0.5 * double(t * t) / (s * s));
    auto refl = [](std::ptrdiff_t i, std::ptrdiff_t n) { std::ptrdiff_t p = 2 * n; i %= p; if (i < 0) i += p; return i < n ? i : p - 1 - i; };
    const std::ptrdiff_t H = std::ptrdiff_t(y.shape()[0]), W = std::ptrdiff_t(y.shape()[1]);
    Image<double> tmp = zeros_like(y), out = zeros_like(y);
    for (std::ptrdiff_t i = 0; i < H; ++i)
        for (std::ptrdiff_t j = 0; j < W; ++j)
            for (std::ptrdiff_t t = -rad; t <= rad; ++t)
                tmp(std::size_t(i), std::size_t(j)) += g[std::size_t(t + rad)] / total * y(std::size_t(i), std::size_t(refl(j + t, W)));
    for (std::ptrdiff_t i = 0; i < H; ++i)
        for (std::ptrdiff_t j = 0; j < W; ++j)
            for (std::ptrdiff_t t = -rad; t <= rad; ++t)
                out(std::size_t(i), std::size_t(j)) += g[std::size_t(t + rad)] / total * tmp(std::size_t(refl(i + t, H)), std::size_t(j));
    return out;
}
}  // namespace

TEST_CASE("Gaussian denoiser: kernels wider than the image are exact, absurd widths are rejected", "[denoisers][gaussian][errors]") {
    // a radius far beyond the image: the taps folded onto one reflection period give the plain sum
    const auto y = random_image<double>(6, 5, 27);
    Image<double> got = zeros_like(y);
    for (double s : {2.0, 40.0, 333.3}) {
        GaussianDenoiser<double>({.width = s}).denoise(y, 0.1, got);
        CHECK(double(xt::amax(xt::abs(got - gaussian_direct(y, s)))()) <= 1e-12);
    }
    // s = 1e5 (radius 4e5, within the cap): all but flat over a period, so the plane's mean
    GaussianDenoiser<double>({.width = 1e5}).denoise(y, 0.1, got);
    CHECK(double(xt::amax(xt::abs(got - xt::mean(y)()))()) <= 1e-8);
    // beyond the cap (radius 2^20): rejected before allocating, naming the argument and the largest value
    CHECK_THROWS_WITH(GaussianDenoiser<double>({.width = 1e300}), Catch::Contains("'width'") && Catch::Contains("262144"));
    CHECK_THROWS_WITH(GaussianDenoiser<double>({.width = 1e9}), Catch::Contains("'width'"));
    CHECK_THROWS_WITH(GaussianDenoiser<double>({.width_offset = 1e9}), Catch::Contains("'width_offset'"));
    CHECK_NOTHROW(GaussianDenoiser<double>({.width = 262144}));
    GaussianDenoiser<double> g;  // s = 0.3 + 5.5σ: σ <= (262144 − 0.3)/5.5
    CHECK_THROWS_WITH(g.denoise(y, 1e300, got), Catch::Contains("'sigma'") && Catch::Contains("47662.49"));
    CHECK_THROWS_WITH(g.denoise(y, 1e5, got), Catch::Contains("'sigma'"));
    Image<float> yf = xt::cast<float>(y), gf = zeros_like(yf);
    CHECK_THROWS_WITH(GaussianDenoiser<float>().denoise(yf, 3e38f, gf), Catch::Contains("'sigma'"));
    // widths whose square underflows: the s → 0 limit, the identity (the centre tap was 0/0 = NaN)
    GaussianDenoiser<double>({.width = 1e-300}).denoise(y, 0.1, got);
    CHECK(double(xt::amax(xt::abs(got - y))()) == 0.0);
}

TEST_CASE("denoisers at extreme but valid noise levels and values", "[denoisers][errors]") {
    const auto y = random_image<double>(12, 10, 31);
    Image<double> out = zeros_like(y);
    // σ²·weight underflows: the prox with τ → 0, the identity (was: an error naming the inner 'tau')
    ProxDenoiser<L1<double>> l1(L1<double>(1.0));
    l1.denoise(y, 1e-200, out);
    CHECK(double(xt::amax(xt::abs(out - y))()) == 0.0);
    CHECK_THROWS_WITH(l1.denoise(y, 1e200, out), Catch::Contains("'sigma'") && !Catch::Contains("'tau'"));
    TvDenoiser<double> tv({.lambda_per_sigma = 10});
    tv.denoise(y, 1e-320, out);
    CHECK(double(xt::amax(xt::abs(out - y))()) == 0.0);
    CHECK_THROWS_WITH(tv.denoise(y, 1e308, out), Catch::Contains("'sigma'") && !Catch::Contains("'tau'"));
    // The wavelet denoiser near the top of float's range: the coarse band (gain 2 per
    // level) overflowed at 3e37; thresholding is scale-equivariant, so it scales exactly
    {
        const Image<float> yf = xt::cast<float>(random_image<double>(16, 16, 8));
        Image<float> base = zeros_like(yf), big_out = zeros_like(yf);
        WaveletDenoiser<float> wd;
        wd.denoise(yf, 0.1f, base);
        const float s = std::ldexp(1.0f, 125);  // 4.3e37
        Image<float> big = yf * s;
        wd.denoise(big, 0.1f * s, big_out);
        CHECK(all_finite(big_out));
        CHECK(double(xt::amax(xt::abs(big_out / s - base))()) <= 1e-6);
    }
    // NLM: squared differences of values ≥ 1e150 overflow the window sums (NaN): refused
    Image<double> huge = y;
    huge(3, 3) = 1e154;
    CHECK_THROWS_WITH(NonLocalMeans<double>{}.denoise(huge, 0.1, out), Catch::Contains("'y'") && Catch::Contains("1e150"));
    // and a 1×N image with a search radius of N runs in O(N) memory (the padding was f + r
    // on both axes: ~19 GB for N = 20000); the result equals a brute-force NLM elsewhere
    Image<double> line = random_image<double>(1, 4000, 5), lo = zeros_like(line);
    NonLocalMeans<double>({.search_radius = 4000}).denoise(line, 0.1, lo);
    CHECK(all_finite(lo));
}

// ---- colour stacks: every denoiser on C×H×W ----------------------------------------
namespace {

// Three different gray images as the planes of one 3×H×W stack, values in [0, 1]:
// a cartoon (blocks and a disk), a smooth sinusoid, and a checkerboard on a ramp.
template <class T>
ImageStack<T> three_grays(std::size_t h, std::size_t w) {
    ImageStack<T> x({3, h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            const double di = double(i) - 0.6 * double(h), dj = double(j) - 0.55 * double(w);
            double a = (i > h / 5 && i < h / 2 && j > w / 6 && j < 2 * w / 3) ? 0.85 : 0.25;
            if (di * di + dj * dj < double(h * w) / 25.0) a = 0.05;
            const double b = 0.5 + 0.35 * std::sin(0.35 * double(i)) * std::cos(0.25 * double(j));
            const double c = 0.15 + 0.5 * double(j) / double(w) + ((i / 6 + j / 6) % 2 ? 0.3 : 0.0);
            x(0, i, j) = T(a);
            x(1, i, j) = T(b);
            x(2, i, j) = T(c);
        }
    return x;
}

template <class T>
Image<T> plane_of(const ImageStack<T>& s, std::size_t k) {
    const std::size_t h = s.shape()[1], w = s.shape()[2];
    Image<T> p({h, w});
    std::copy(s.data() + k * h * w, s.data() + (k + 1) * h * w, p.data());
    return p;
}

// D applied to the whole stack, and D applied to each plane as a gray image. `make`
// builds a fresh denoiser for every call: TvDenoiser warm-starts from its last call.
template <class T, class Make>
ImageStack<T> denoise_stack(const Make& make, const ImageStack<T>& y, T sigma) {
    ImageStack<T> out = zeros_like(y);
    make().denoise(y, sigma, out);
    return out;
}
template <class T, class Make>
ImageStack<T> denoise_planes(const Make& make, const ImageStack<T>& y, T sigma) {
    ImageStack<T> out = zeros_like(y);
    const std::size_t plane = y.shape()[1] * y.shape()[2];
    for (std::size_t k = 0; k < y.shape()[0]; ++k) {
        const Image<T> g = plane_of(y, k);
        Image<T> o = zeros_like(g);
        make().denoise(g, sigma, o);
        std::copy(o.begin(), o.end(), out.data() + k * plane);
    }
    return out;
}

// Direct pixelwise colour NLM: d² averaged over the (2f+1)² patch and the C channels,
// one weight per pixel pair shared by all channels (Buades, Coll & Morel, IPOL 2011).
ImageStack<double> nlm_direct_color(const ImageStack<double>& y, int f, int r, double h, double sigma) {
    const int C = int(y.shape()[0]), H = int(y.shape()[1]), W = int(y.shape()[2]);
    auto refl = [](int i, int n) { int p = 2 * n; i %= p; if (i < 0) i += p; return i < n ? i : p - 1 - i; };
    auto at = [&](int c, int i, int j) { return y(std::size_t(c), std::size_t(refl(i, H)), std::size_t(refl(j, W))); };
    ImageStack<double> out = zeros_like(y);
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < W; ++j) {
            std::vector<double> acc(std::size_t(C), 0.0);
            double ws = 0, wm = 0;
            for (int a = std::max(0, i - r); a <= std::min(H - 1, i + r); ++a)
                for (int b = std::max(0, j - r); b <= std::min(W - 1, j + r); ++b) {
                    if (a == i && b == j) continue;
                    double d2 = 0;
                    for (int c = 0; c < C; ++c)
                        for (int u = -f; u <= f; ++u)
                            for (int v = -f; v <= f; ++v) {
                                const double d = at(c, i + u, j + v) - at(c, a + u, b + v);
                                d2 += d * d;
                            }
                    d2 /= double(C * (2 * f + 1) * (2 * f + 1));
                    const double w = std::exp(-std::max(d2 - 2 * sigma * sigma, 0.0) / (h * h));
                    for (int c = 0; c < C; ++c) acc[std::size_t(c)] += w * y(std::size_t(c), std::size_t(a), std::size_t(b));
                    ws += w;
                    wm = std::max(wm, w);
                }
            if (wm == 0) wm = 1;
            for (int c = 0; c < C; ++c)
                out(std::size_t(c), std::size_t(i), std::size_t(j)) =
                    (acc[std::size_t(c)] + wm * y(std::size_t(c), std::size_t(i), std::size_t(j))) / (ws + wm);
        }
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("colour stacks: separable denoisers equal per-channel gray runs; NLM and vectorial TV couple the channels",
                   "[denoisers][color]", float, double) {
    using T = TestType;
    constexpr bool is_float = std::is_same_v<T, float>;
    // 41×43: odd sides (the wavelet pads to 48×48), and planes of 1763 values, so the second
    // and third planes of the stack do not start on a SIMD-width boundary.
    const std::size_t H = 41, W = 43;
    const double sigma = 0.1;
    const T s = T(sigma);
    const ImageStack<T> x = three_grays<T>(H, W);
    const ImageStack<T> y = add_noise(x, sigma, 2024);
    const double p_noisy = psnr(x, y);  // 20 dB at σ = 0.1 (measured 19.95)
    CHECK(p_noisy == Approx(20.0).margin(0.3));
    auto check_output = [&](const ImageStack<T>& out, double min_gain) {
        CHECK(out.shape() == y.shape());
        CHECK(all_finite(out));
        const double p = psnr(x, out);
        INFO("PSNR " << p << " dB, noisy " << p_noisy << " dB");
        CHECK(p >= p_noisy + min_gain);
        return p;
    };
    // Three copies of one gray plane as a stack.
    auto triple = [&](const Image<T>& g) {
        ImageStack<T> t({3, H, W});
        for (std::size_t k = 0; k < 3; ++k) std::copy(g.begin(), g.end(), t.data() + k * H * W);
        return t;
    };

    SECTION("channel-separable denoisers: the stack is denoised plane by plane") {
        // Gaussian, wavelet and TV with a per-channel norm (isotropic, anisotropic) run the
        // same code on the same values for each plane of a stack as for a gray image (TV:
        // one FGP problem per channel, each stopped by its own duality gap; fresh denoisers,
        // so no warm start differs), so they agree to the bit: tolerance 0. Anything else
        // means one channel leaked into another or the stack took another arithmetic path.
        // PSNR gains over the noisy stack, measured (float and double alike): Gaussian 4.8 dB,
        // TV 6.4, wavelet hard 3.8 (no spinning) and 6.0 (4×4 spins), soft 4.3 and 5.0.
        struct Case {
            const char* name;
            std::function<void(ImageStack<T>&, ImageStack<T>&)> run;  // (whole stack, plane by plane)
            double min_gain;
        };
        auto with = [&](auto make) {
            return [=, &y](ImageStack<T>& a, ImageStack<T>& b) {
                a = denoise_stack(make, y, s);
                b = denoise_planes(make, y, s);
            };
        };
        using WP = WaveletDenoiserParams;
        const WP soft{.mode = ThresholdMode::soft, .threshold_factor = 1.5};
        WP soft1 = soft, hard1{};
        soft1.shifts = hard1.shifts = 1;
        const std::vector<Case> cases{
            {"Gaussian", with([] { return GaussianDenoiser<T>(); }), 3.5},
            {"TV isotropic", with([] { return TvDenoiser<T>(); }), 5.0},
            {"TV anisotropic", with([] { return TvDenoiser<T>({.norm = TvNorm::anisotropic}); }), 5.0},
            {"wavelet hard, no spinning", with([=] { return WaveletDenoiser<T>(hard1); }), 3.0},
            {"wavelet hard, 4x4 spins", with([] { return WaveletDenoiser<T>(); }), 5.0},
            {"wavelet soft, no spinning", with([=] { return WaveletDenoiser<T>(soft1); }), 3.0},
            {"wavelet soft, 4x4 spins", with([=] { return WaveletDenoiser<T>(soft); }), 4.0},
        };
        std::vector<double> gains;
        for (const auto& c : cases) {
            CAPTURE(c.name);
            ImageStack<T> stacked, planes;
            c.run(stacked, planes);
            gains.push_back(check_output(stacked, c.min_gain) - p_noisy);
            CHECK(max_abs_diff(stacked, planes) == 0);
        }
        // cycle spinning helps on the stack too (measured +2.1 dB hard, +0.7 dB soft)
        CHECK(gains[4] >= gains[3] + 0.3);
        CHECK(gains[6] >= gains[5] + 0.3);
    }

    SECTION("non-local means: one weight per pixel pair from the colour patch distance") {
        // non_local_means.hpp: d² is averaged over the channels, and σ = 25.5/255 selects the
        // colour row of the IPOL table (5×5 patches, 35×35 window, h = 0.40σ).
        const NonLocalMeans<T> nlm;
        const auto rc = nlm.resolve(sigma, 3);
        CHECK(rc.f == 2);
        CHECK(rc.r == 17);
        CHECK(rc.h == Approx(0.40 * sigma));
        const ImageStack<T> out = denoise_stack([&] { return nlm; }, y, s);
        // measured +3.7 dB: on three unrelated planes few patches match in all of them at
        // once, so colour NLM averages less than per-plane NLM with the same f, r, h (+7.0 dB)
        check_output(out, 3.0);
        const NlmParams same{.patch_radius = rc.f, .search_radius = rc.r, .h_factor = rc.h / sigma};
        CHECK(max_abs_diff(denoise_stack([&] { return NonLocalMeans<T>(same); }, y, s), out) == 0);
        const ImageStack<T> planes = denoise_planes([&] { return NonLocalMeans<T>(same); }, y, s);
        const double apart = max_abs_diff(out, planes);
        INFO("colour NLM " << psnr(x, out) << " dB, per plane " << psnr(x, planes) << " dB, max |difference| " << apart);
        CHECK(apart > 0.05);  // measured 0.42: the planes are coupled
        // What the coupling is for: planes that share their structure (three affine maps of
        // the cartoon, independent noise). The channel-averaged distance is less noisy, and
        // the stack beats the same NLM plane by plane (measured 31.5 against 30.3 dB).
        ImageStack<T> xc({3, H, W});
        for (std::size_t i = 0; i < H; ++i)
            for (std::size_t j = 0; j < W; ++j) {
                const double v = double(x(0, i, j));
                xc(0, i, j) = T(v);
                xc(1, i, j) = T(0.7 * v + 0.15);
                xc(2, i, j) = T(0.9 - 0.8 * v);
            }
        const ImageStack<T> yc = add_noise(xc, sigma, 99);
        const ImageStack<T> oc = denoise_stack([&] { return NonLocalMeans<T>(same); }, yc, s);
        const ImageStack<T> oc_planes = denoise_planes([&] { return NonLocalMeans<T>(same); }, yc, s);
        INFO("correlated planes: noisy " << psnr(xc, yc) << " dB, colour NLM " << psnr(xc, oc) << " dB, per plane "
                                         << psnr(xc, oc_planes) << " dB");
        CHECK(psnr(xc, oc) >= psnr(xc, yc) + 10.0);
        CHECK(psnr(xc, oc) >= psnr(xc, oc_planes) + 0.5);
        // Three equal planes: the colour distance is the gray one, so each plane is the gray
        // result. To rounding: Σ_c d² = 3d² then ·1/(3(2f+1)²) against d²·1/(2f+1)² differ by
        // a few ulp of double, in the weights too (all accumulated in double): measured 3e-15
        // in double (tolerance 1e-13), 0 in float, where the final rounding to float may
        // still flip one ulp (tolerance 2 ulp below 2, 2.4e-7).
        const Image<T> g = plane_of(y, 0);
        const ImageStack<T> o3 = denoise_stack([&] { return NonLocalMeans<T>(same); }, triple(g), s);
        Image<T> og = zeros_like(g);
        NonLocalMeans<T>(same).denoise(g, s, og);
        for (std::size_t k = 0; k < 3; ++k) {
            CAPTURE(k);
            CHECK(max_abs_diff(plane_of(o3, k), og) <= (is_float ? 2.4e-7 : 1e-13));
        }
        // and the stack is colour NLM: a direct pixelwise implementation (double only;
        // measured 1.3e-15, the tolerance of the gray comparison above)
        if constexpr (!is_float) {
            const ImageStack<double> small = add_noise(three_grays<double>(14, 11), sigma, 7);
            const NonLocalMeans<double> d({.patch_radius = 2, .search_radius = 4, .h_factor = 0.4});
            ImageStack<double> got = zeros_like(small);
            d.denoise(small, sigma, got);
            CHECK(max_abs_diff(got, nlm_direct_color(small, 2, 4, 0.4 * sigma, sigma)) <= 1e-12);
        }
    }

    SECTION("vectorial TV: one square root over the channels") {
        // tv_denoiser.hpp: TvNorm::vectorial couples the colour channels (Bresson & Chan 2008)
        const ImageStack<T> out = denoise_stack([] { return TvDenoiser<T>({.norm = TvNorm::vectorial}); }, y, s);
        check_output(out, 4.5);  // measured +5.4 dB
        const ImageStack<T> planes = denoise_planes([] { return TvDenoiser<T>(); }, y, s);
        const double apart = max_abs_diff(out, planes);
        INFO("vectorial TV " << psnr(x, out) << " dB, isotropic per plane " << psnr(x, planes) << " dB, max |difference| "
                             << apart);
        CHECK(apart > 0.01);  // measured 0.13
        // Three equal planes g: the minimizer has equal planes (strict convexity and symmetry),
        // and then Σ_c ½‖x − g‖² + λ Σ √(3|∇x|²) = 3(½‖x − g‖² + (λ/√3) TV(x)): each plane is
        // the gray ROF result with λ/√3. Each FGP run certifies an RMS error ≤ tol = 1e-6;
        // tolerance 1e-5 on the max error (measured 1.1e-16 in double, 6e-8 in float).
        const TvProxParams tight{.max_iter = 20000, .tol = 1e-6};
        const double lambda = 0.08;
        const Image<T> g = plane_of(y, 1);
        const ImageStack<T> o3 = denoise_stack(
            [&] { return TvDenoiser<T>({.lambda = lambda, .norm = TvNorm::vectorial, .prox = tight}); }, triple(g), s);
        Image<T> og = zeros_like(g), ol = zeros_like(g);
        TvDenoiser<T>({.lambda = lambda / std::sqrt(3.0), .prox = tight}).denoise(g, s, og);
        TvDenoiser<T>({.lambda = lambda, .prox = tight}).denoise(g, s, ol);
        for (std::size_t k = 0; k < 3; ++k) {
            CAPTURE(k);
            const double d = max_abs_diff(plane_of(o3, k), og);
            CHECK(d <= 1e-5);
            CHECK(max_abs_diff(plane_of(o3, k), ol) > 0.05);  // λ/√3, not λ (measured 0.11)
        }
        // one channel: vectorial is isotropic
        ImageStack<T> one({1, H, W});
        std::copy(g.begin(), g.end(), one.data());
        const ImageStack<T> o1 = denoise_stack([] { return TvDenoiser<T>({.norm = TvNorm::vectorial}); }, one, s);
        Image<T> gi = zeros_like(g);
        TvDenoiser<T>().denoise(g, s, gi);
        CHECK(max_abs_diff(o1, gi) == 0);
    }
}
