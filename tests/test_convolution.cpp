// Convolution: direct summation, scipy peers, adjoints, FFT vs direct, spectra,
// (AᵀA + ρI)⁻¹ against CG, errors, no allocation after construction.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "lucid/lucid.hpp"
#include "lucid/io/read.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/ops/toeplitz.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"
#include "support/peers.hpp"
#include "support/allocation_counter.hpp"
#include "support/compare.hpp"
#include "support/isa.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
using ops::Convolution;
using ops::ConvolutionMethod;

namespace {

constexpr Boundary all_boundaries[] = {Boundary::periodic, Boundary::zero, Boundary::reflect, Boundary::replicate,
                                       Boundary::valid};

template <class T, std::size_t N>
xt::xtensor<T, N> random_array(const std::array<std::size_t, N>& shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    xt::xtensor<T, N> x(shape);
    for (auto& v : x) v = T(u(rng));
    return x;
}

template <class T>
double tol() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

// The sample an extended position p reads on an axis of n samples, written
// from the textbook rules with explicit loops (independent of the library's
// modular formulas); -1 means zero.
long ref_index(long p, long n, Boundary b) {
    switch (b) {
        case Boundary::periodic:
            while (p < 0) p += n;
            while (p >= n) p -= n;
            return p;
        case Boundary::reflect:  // half-sample symmetric: mirror across -1/2 and n-1/2 until inside
            while (p < 0 || p >= n) p = p < 0 ? -p - 1 : 2 * n - 1 - p;
            return p;
        case Boundary::replicate: return p < 0 ? 0 : (p >= n ? n - 1 : p);
        default: return (p >= 0 && p < n) ? p : -1;
    }
}

// Direct summation y[i,j] = Σ k[m,n] x~[i + c_h - m, j + c_w - n] in long double.
template <class T>
xt::xtensor<double, 2> ref_convolve(const Image<T>& x, const Image<T>& k, Boundary b) {
    const long h = long(x.shape()[0]), w = long(x.shape()[1]);
    const long kh = long(k.shape()[0]), kw = long(k.shape()[1]);
    const long ch = kh / 2, cw = kw / 2;
    if (b == Boundary::valid) {
        xt::xtensor<double, 2> y({std::size_t(h - kh + 1), std::size_t(w - kw + 1)});
        for (long i = 0; i < h - kh + 1; ++i)
            for (long j = 0; j < w - kw + 1; ++j) {
                long double s = 0;
                for (long m = 0; m < kh; ++m)
                    for (long n = 0; n < kw; ++n) s += (long double)k(m, n) * x(i + kh - 1 - m, j + kw - 1 - n);
                y(i, j) = double(s);
            }
        return y;
    }
    xt::xtensor<double, 2> y({std::size_t(h), std::size_t(w)});
    for (long i = 0; i < h; ++i)
        for (long j = 0; j < w; ++j) {
            long double s = 0;
            for (long m = 0; m < kh; ++m)
                for (long n = 0; n < kw; ++n) {
                    const long r = ref_index(i + ch - m, h, b), c = ref_index(j + cw - n, w, b);
                    if (r >= 0 && c >= 0) s += (long double)k(m, n) * x(r, c);
                }
            y(i, j) = double(s);
        }
    return y;
}

template <class A>
double max_abs(const A& a) {
    double m = 0;
    for (auto v : a) m = std::max(m, std::abs(double(v)));
    return m;
}

struct KernelCase {
    std::size_t kh, kw;
};

// odd, even, mixed, 1×1, rank-1 (separable) and kernels larger than the 9×11 image
const std::vector<KernelCase> kernel_cases = {{1, 1}, {3, 3}, {2, 2}, {4, 4}, {2, 5}, {5, 2},
                                              {1, 7}, {6, 1}, {7, 4}, {9, 11}, {13, 5}, {4, 16}};

template <class T>
Image<T> separable_kernel(std::size_t kh, std::size_t kw, unsigned seed) {
    auto u = random_array<T, 2>({kh, 1}, seed), v = random_array<T, 2>({1, kw}, seed + 1);
    Image<T> k({kh, kw});
    for (std::size_t m = 0; m < kh; ++m)
        for (std::size_t n = 0; n < kw; ++n) k(m, n) = u(m, 0) * v(0, n);
    return k;
}

const char* name(ConvolutionMethod m) {
    return m == ConvolutionMethod::fft ? "fft" : m == ConvolutionMethod::direct ? "direct" : "automatic";
}

}  // namespace

TEMPLATE_TEST_CASE("Convolution equals direct summation for every boundary, odd and even kernels",
                   "[convolution][reference]", float, double) {
    using T = TestType;
    const std::size_t h = 9, w = 11;
    const auto x = random_array<T, 2>({h, w}, 1);
    unsigned seed = 10;
    for (auto kc : kernel_cases)
        for (bool rank1 : {false, true}) {
            const Image<T> k = rank1 ? separable_kernel<T>(kc.kh, kc.kw, seed) : random_array<T, 2>({kc.kh, kc.kw}, seed);
            ++seed;
            for (Boundary b : all_boundaries) {
                if (b == Boundary::valid && (kc.kh > h || kc.kw > w)) continue;
                const auto ref = ref_convolve(x, k, b);
                for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft, ConvolutionMethod::automatic})
                    for (bool sep : {true, false}) {
                        CAPTURE(kc.kh, kc.kw, rank1, to_string(b), name(method), sep);
                        Convolution<T> A(k, {h, w}, b, {.method = method, .separable = sep});
                        if (method != ConvolutionMethod::automatic) CHECK(A.method() == method);
                        CHECK(A.separable() == (rank1 && sep && A.method() == ConvolutionMethod::direct &&
                                                kc.kh > 1 && kc.kw > 1));
                        const auto y = A(x);
                        REQUIRE(y.shape()[0] == ref.shape()[0]);
                        REQUIRE(y.shape()[1] == ref.shape()[1]);
                        // round-off bound: a few ulp of Σ|k|·max|x| (the FFT spreads error evenly)
                        double k1 = 0;
                        for (auto v : k) k1 += std::abs(double(v));
                        const double bound = 16 * double(std::numeric_limits<T>::epsilon()) * k1 * max_abs(x);
                        CHECK(max_abs_diff(y, ref) <= bound);
                    }
            }
        }
}

namespace {
// body(k, boundary, method) for every kernel shape (odd, even, 1×n, tall), boundary,
// method and kernel rank (general or rank 1) of the per-mode tests; the kernel is
// drawn from the current `seed`, which body may advance.
template <class T, class Body>
void for_each_mode_case(unsigned& seed, Body&& body) {
    for (auto kc : std::vector<KernelCase>{{3, 3}, {4, 2}, {1, 6}, {5, 8}, {15, 3}})
        for (Boundary b : all_boundaries)
            for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft})
                for (bool rank1 : {false, true}) {
                    CAPTURE(kc.kh, kc.kw, to_string(b), name(method), rank1);
                    const Image<T> k =
                        rank1 ? separable_kernel<T>(kc.kh, kc.kw, seed) : random_array<T, 2>({kc.kh, kc.kw}, seed);
                    body(k, b, method);
                }
}
}  // namespace

TEMPLATE_TEST_CASE("Convolution adjoint: dot-product test for every boundary, method and rank",
                   "[convolution][adjoint]", float, double) {
    using T = TestType;
    unsigned seed = 100;
    for_each_mode_case<T>(seed, [&](const Image<T>& k, Boundary b, ConvolutionMethod method) {
        ++seed;
        Convolution<T> A(k, {19, 17}, b, {.method = method});
        CHECK(adjoint_test(A, seed).relative_error < tol<T>());
        Convolution<T, 3> S(k, {3, 19, 17}, b, {.method = method});
        CHECK(adjoint_test(S, seed + 7).relative_error < tol<T>());
    });
}

TEMPLATE_TEST_CASE("Convolution writes its whole output: buffers full of NaN give the zero-filled result",
                   "[convolution][contract]", float, double) {
    // writes_whole_output lets A(x) skip zero-filling; this holds it to that for
    // every boundary, method, kernel shape and rank, in both directions.
    using T = TestType;
    STATIC_REQUIRE(WritesWholeOutput<Convolution<T>>);
    const T nan = std::numeric_limits<T>::quiet_NaN();
    unsigned seed = 300;
    auto check = [&](const auto& A) {
        using V = std::remove_cvref_t<decltype(make_domain(A))>;
        const V x = random_array<T, std::tuple_size_v<decltype(A.domain_shape())>>(A.domain_shape(), seed++);
        const auto g = random_array<T, std::tuple_size_v<decltype(A.range_shape())>>(A.range_shape(), seed++);
        auto y0 = make_range(A), y1 = make_range(A);
        auto z0 = make_domain(A), z1 = make_domain(A);
        y1.fill(nan);
        z1.fill(nan);
        A.apply(x, y0);
        A.apply(x, y1);
        A.apply_adjoint(g, z0);
        A.apply_adjoint(g, z1);
        CHECK(max_abs_diff(y1, y0) == 0);
        CHECK(max_abs_diff(z1, z0) == 0);
        CHECK(max_abs_diff(A(x), y0) == 0);
        CHECK(max_abs_diff(A.adjoint_of(g), z0) == 0);
    };
    for_each_mode_case<T>(seed, [&](const Image<T>& k, Boundary b, ConvolutionMethod method) {
        check(Convolution<T>(k, {19, 17}, b, {.method = method}));
        check(Convolution<T, 3>(k, {3, 19, 17}, b, {.method = method}));
    });
}

TEMPLATE_TEST_CASE("Convolution adjoint equals the transpose of the explicit matrix", "[convolution][adjoint]", float,
                   double) {
    using T = TestType;
    // The columns of A are A e_k; the adjoint must give the rows. For reflect and
    // replicate the adjoint is not the flipped-kernel convolution with the same boundary.
    const std::size_t h = 6, w = 5;
    const auto k = random_array<T, 2>({3, 4}, 5);
    for (Boundary b : all_boundaries)
        for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
            CAPTURE(to_string(b), name(method));
            Convolution<T> A(k, {h, w}, b, {.method = method});
            const auto ry = A.range_shape();
            const std::size_t n = h * w, m = ry[0] * ry[1];
            std::vector<double> M(m * n), Mt(m * n);
            Image<T> e({h, w}), y(ry), ey(ry), x({h, w});
            for (std::size_t c = 0; c < n; ++c) {
                set_zero(e);
                e.data()[c] = 1;
                A.apply(e, y);
                for (std::size_t r = 0; r < m; ++r) M[r * n + c] = double(y.data()[r]);
            }
            for (std::size_t r = 0; r < m; ++r) {
                set_zero(ey);
                ey.data()[r] = 1;
                A.apply_adjoint(ey, x);
                for (std::size_t c = 0; c < n; ++c) Mt[r * n + c] = double(x.data()[c]);
            }
            double err = 0;
            for (std::size_t i = 0; i < m * n; ++i) err = std::max(err, std::abs(M[i] - Mt[i]));
            CHECK(err <= 10 * tol<T>());
            if (b == Boundary::reflect || b == Boundary::replicate) {
                // the flipped kernel under the same boundary is a different operator
                Image<T> kf = k;
                for (std::size_t a = 0; a < 3; ++a)
                    for (std::size_t bb = 0; bb < 4; ++bb) kf(a, bb) = k(2 - a, 3 - bb);
                // even width: flipping also moves the centre; compare on an odd crop instead
                Image<T> k3 = xt::view(k, xt::all(), xt::range(0, 3));
                Image<T> k3f = k3;
                for (std::size_t a = 0; a < 3; ++a)
                    for (std::size_t bb = 0; bb < 3; ++bb) k3f(a, bb) = k3(2 - a, 2 - bb);
                Convolution<T> B(k3, {h, w}, b), F(k3f, {h, w}, b);
                const auto g = random_array<T, 2>({h, w}, 9);
                CHECK(max_abs_diff(B.adjoint_of(g), F(g)) > 1e-2);
            }
        }
}

TEMPLATE_TEST_CASE("Convolution of stacks acts on each channel with the same kernel", "[convolution][rank3]", float,
                   double) {
    using T = TestType;
    const auto k = random_array<T, 2>({4, 3}, 2);
    const auto x = random_array<T, 3>({3, 12, 10}, 3);
    for (Boundary b : all_boundaries)
        for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
            CAPTURE(to_string(b), name(method));
            Convolution<T, 3> S(k, {3, 12, 10}, b, {.method = method});
            Convolution<T> A(k, {12, 10}, b, {.method = method});
            const auto y = S(x);
            const auto g = random_array<T, 3>(S.range_shape(), 4);
            const auto xt_ = S.adjoint_of(g);
            for (std::size_t c = 0; c < 3; ++c) {
                Image<T> xc = xt::view(x, c, xt::all(), xt::all());
                Image<T> gc = xt::view(g, c, xt::all(), xt::all());
                Image<T> yc = xt::view(y, c, xt::all(), xt::all());
                Image<T> ac = xt::view(xt_, c, xt::all(), xt::all());
                CHECK(max_abs_diff(A(xc), yc) == 0);
                CHECK(max_abs_diff(A.adjoint_of(gc), ac) == 0);
            }
        }
}

TEST_CASE("Convolution matches scipy.ndimage.convolve and scipy.signal.convolve2d", "[convolution][scipy]") {
    if (!test::python_has("scipy")) {
        WARN("skipped: python3-scipy is not installed");
        return;
    }
    const std::size_t h = 23, w = 31;
    const auto x = random_array<double, 2>({h, w}, 41);
    const auto dir = test::scratch_dir();
    test::write_npy(dir / "conv_x.npy", x);
    // odd, even, mixed, 1×1 and larger than the image (repeated extensions)
    const std::vector<KernelCase> cases = {{5, 5}, {4, 6}, {3, 8}, {1, 1}, {2, 1}, {27, 9}, {8, 40}};
    for (std::size_t c = 0; c < cases.size(); ++c) {
        const auto k = random_array<double, 2>({cases[c].kh, cases[c].kw}, 50 + unsigned(c));
        test::write_npy(dir / ("conv_k" + std::to_string(c) + ".npy"), k);
    }
    test::run_python_code(R"(
import sys, numpy as np, scipy.ndimage as nd, scipy.signal as sg
d = sys.argv[1]; n = int(sys.argv[2])
x = np.load(d + '/conv_x.npy')
for c in range(n):
    k = np.load(d + '/conv_k%d.npy' % c)
    for mode in ['wrap', 'constant', 'reflect', 'nearest']:
        np.save(d + '/conv_y%d_%s.npy' % (c, mode), nd.convolve(x, k, mode=mode, cval=0.0))
    if k.shape[0] <= x.shape[0] and k.shape[1] <= x.shape[1]:
        np.save(d + '/conv_y%d_valid.npy' % c, sg.convolve2d(x, k, 'valid'))
)",
                          {dir.string(), std::to_string(cases.size())});
    const std::pair<Boundary, const char*> modes[] = {{Boundary::periodic, "wrap"},
                                                      {Boundary::zero, "constant"},
                                                      {Boundary::reflect, "reflect"},
                                                      {Boundary::replicate, "nearest"},
                                                      {Boundary::valid, "valid"}};
    for (std::size_t c = 0; c < cases.size(); ++c) {
        const auto k = random_array<double, 2>({cases[c].kh, cases[c].kw}, 50 + unsigned(c));
        for (auto [b, mode] : modes) {
            if (b == Boundary::valid && (cases[c].kh > h || cases[c].kw > w)) continue;
            const auto want = test::read_npy<double>(dir / ("conv_y" + std::to_string(c) + "_" + mode + ".npy"));
            for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
                CAPTURE(cases[c].kh, cases[c].kw, mode, name(method));
                Convolution<double> A(k, {h, w}, b, {.method = method});
                const auto y = A(x);
                REQUIRE(y.shape()[0] == want.shape()[0]);
                REQUIRE(y.shape()[1] == want.shape()[1]);
                CHECK(max_abs_diff(y, want) < 1e-12 * (1 + max_abs(want)));
            }
        }
    }
}

TEMPLATE_TEST_CASE("Convolution: FFT and direct paths agree to round-off on larger images", "[convolution][fft]",
                   float, double) {
    using T = TestType;
    const std::size_t h = 70, w = 97;
    const auto x = random_array<T, 2>({h, w}, 60);
    for (auto [kh, kw, rank1] : {std::tuple{9, 7, false}, std::tuple{11, 11, true}, std::tuple{6, 10, false},
                                 std::tuple{1, 15, false}})
        for (Boundary b : all_boundaries) {
            CAPTURE(kh, kw, rank1, to_string(b));
            const Image<T> k = rank1 ? separable_kernel<T>(std::size_t(kh), std::size_t(kw), 61)
                                     : random_array<T, 2>({std::size_t(kh), std::size_t(kw)}, 62);
            Convolution<T> D(k, {h, w}, b, {.method = ConvolutionMethod::direct});
            Convolution<T> F(k, {h, w}, b, {.method = ConvolutionMethod::fft});
            const auto yd = D(x), yf = F(x);
            const double scale = max_abs(yd);
            CHECK(max_abs_diff(yd, yf) <= 20 * tol<T>() * (1 + scale));
            const auto g = random_array<T, 2>(D.range_shape(), 63);
            const auto ad = D.adjoint_of(g), af = F.adjoint_of(g);
            CHECK(max_abs_diff(ad, af) <= 20 * tol<T>() * (1 + max_abs(ad)));
        }
}

TEMPLATE_TEST_CASE("Convolution direct path: banded products, split among threads, equal direct summation and the FFT adjoint",
                   "[convolution][reference][threads]", float, double) {
    using T = TestType;
    // 100 output rows: several 32-row bands (and a short last one), the row-pass rows a
    // separable kernel carries from band to band (k_h − 1 up to 30), and, with 2 or 3
    // threads, each worker's own range of bands. Operators built under 1 and 2 threads
    // (band buffers for that many workers) and applied under 1, 2 and 3.
    const std::size_t h = 100, w = 61;
    const auto x = random_array<T, 2>({h, w}, 5);
    const int before = num_threads();
    for (auto [kh, kw, rank1] : {std::tuple{31, 31, true}, std::tuple{5, 5, true}, std::tuple{9, 7, false},
                                 std::tuple{2, 4, true}})
        for (Boundary b : all_boundaries) {
            const Image<T> k = rank1 ? separable_kernel<T>(std::size_t(kh), std::size_t(kw), 7)
                                     : random_array<T, 2>({std::size_t(kh), std::size_t(kw)}, 8);
            const auto ref = ref_convolve(x, k, b);
            double k1 = 0;
            for (auto v : k) k1 += std::abs(double(v));
            const double bound = 16 * double(std::numeric_limits<T>::epsilon()) * k1 * max_abs(x);
            // the adjoint against the FFT path's (tested by the dot-product test), on the same g
            Convolution<T> F(k, {h, w}, b, {.method = ConvolutionMethod::fft});
            const auto g = random_array<T, 2>(F.range_shape(), 9);
            const auto ref_adj = F.adjoint_of(g);
            const double adj_bound = 20 * tol<T>() * (1 + max_abs(ref_adj));
            for (int built : {1, 2}) {
                set_num_threads(built);
                Convolution<T> A(k, {h, w}, b, {.method = ConvolutionMethod::direct});
                Image<T> first;
                for (int run : {1, 2, 3}) {
                    CAPTURE(kh, kw, rank1, to_string(b), built, run);
                    set_num_threads(run);
                    const auto y = A(x);
                    CHECK(max_abs_diff(y, ref) <= bound);
                    if (run == 1) first = y;
                    else CHECK(max_abs_diff(y, first) <= bound);  // the carried rows change no sum
                    CHECK(max_abs_diff(A.adjoint_of(g), ref_adj) <= adj_bound);
                    CHECK(adjoint_test(A, 11).relative_error < tol<T>());
                }
            }
        }
    set_num_threads(before);
}

TEMPLATE_TEST_CASE("Convolution direct path: the portable, AVX2 and AVX-512 tap loops each equal direct summation",
                   "[convolution][reference][simd]", float, double) {
    if (test::available_isas().size() < 3) WARN("this CPU lacks AVX2 or AVX-512: those tap loops are not exercised here");
    using T = TestType;
    // 157 columns: whole 8-vector blocks, single vectors and a scalar tail at every vector width;
    // a separable 31×31 kernel (row and paired column lists) and a 2-D 9×7 one.
    const std::size_t h = 40, w = 157;
    const auto x = random_array<T, 2>({h, w}, 21);
    const int before = num_threads();
    set_num_threads(1);
    for (const bool rank1 : {true, false}) {
        const Image<T> k = rank1 ? separable_kernel<T>(31, 31, 22) : random_array<T, 2>({9, 7}, 23);
        double k1 = 0;
        for (auto v : k) k1 += std::abs(double(v));
        const double bound = 16 * double(std::numeric_limits<T>::epsilon()) * k1 * max_abs(x);
        for (Boundary b : {Boundary::zero, Boundary::reflect, Boundary::valid}) {
            const auto ref = ref_convolve(x, k, b);
            for (const test::Isa isa : test::available_isas()) {
                CAPTURE(rank1, to_string(b), test::to_string(isa));
                const test::ForceIsa use(isa);
                Convolution<T> A(k, {h, w}, b, {.method = ConvolutionMethod::direct});
                CHECK(max_abs_diff(A(x), ref) <= bound);
            }
        }
    }
    set_num_threads(before);
}

TEMPLATE_TEST_CASE("Convolution spectrum: Fourier symbol for periodic", "[convolution][spectrum]", float, double) {
    using T = TestType;
    // a fast size, two prime sizes (exact-size FFT), and a kernel larger than the image (it wraps)
    for (auto [h, w, kh, kw] : {std::tuple{16, 12, 5, 4}, std::tuple{13, 11, 3, 6}, std::tuple{7, 5, 9, 12}}) {
        CAPTURE(h, w, kh, kw);
        const Shape<2> shape{std::size_t(h), std::size_t(w)};
        const auto x = random_array<T, 2>(shape, 71);
        // rank-1 kernels take the outer product of two 1-D DFTs instead of a 2-D transform
        for (bool rank1 : {false, true})
        for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
            CAPTURE(rank1, name(method));
            const auto k = rank1 ? separable_kernel<T>(std::size_t(kh), std::size_t(kw), 72)
                                 : random_array<T, 2>({std::size_t(kh), std::size_t(kw)}, 70);
            Convolution<T> A(k, shape, Boundary::periodic, {.method = method});
            const auto s = A.spectrum();
            REQUIRE(s.has_value());
            CHECK(s->transform == Transform::fourier);
            CHECK(s->plane == shape);
            CHECK(s->values.shape()[2] == std::size_t(w / 2 + 1));
            ops::SpectralOperator<T> S(*s, shape);
            CHECK(max_abs_diff(S(x), A(x)) <= 10 * tol<T>() * (1 + max_abs(A(x))));
            CHECK(max_abs_diff(S.adjoint_of(x), A.adjoint_of(x)) <= 10 * tol<T>() * (1 + max_abs(x)) * kh * kw);
            // DC term is the kernel sum
            double sum = 0;
            for (auto v : k) sum += double(v);
            CHECK(double(s->values(0, 0, 0).real()) == Approx(sum).margin(10 * tol<T>()));
        }
    }
}

namespace {
// An axis-symmetric odd kernel: k[a,b] = r(|a−c_h|, |b−c_w|) for random r.
template <class T>
Image<T> symmetric_kernel(std::size_t kh, std::size_t kw, unsigned seed) {
    const auto r = random_array<T, 2>({kh / 2 + 1, kw / 2 + 1}, seed);
    Image<T> k({kh, kw});
    const long ch = long(kh / 2), cw = long(kw / 2);
    for (long a = 0; a < long(kh); ++a)
        for (long b = 0; b < long(kw); ++b) k(a, b) = r(std::size_t(std::abs(a - ch)), std::size_t(std::abs(b - cw)));
    return k;
}
}  // namespace

TEMPLATE_TEST_CASE("Convolution spectrum: DCT-II eigenvalues for reflect with a symmetric kernel",
                   "[convolution][spectrum]", float, double) {
    using T = TestType;
    for (auto [h, w, kh, kw] : {std::tuple{12, 10, 3, 3}, std::tuple{9, 14, 7, 5}, std::tuple{8, 8, 1, 7},
                                std::tuple{6, 5, 13, 9}}) {
        CAPTURE(h, w, kh, kw);
        const Shape<2> shape{std::size_t(h), std::size_t(w)};
        const auto k = symmetric_kernel<T>(std::size_t(kh), std::size_t(kw), unsigned(h * w));
        const auto x = random_array<T, 2>(shape, 81);
        for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
            Convolution<T> A(k, shape, Boundary::reflect, {.method = method});
            REQUIRE(A.axis_symmetric());
            const auto s = A.spectrum();
            REQUIRE(s.has_value());
            CHECK(s->transform == Transform::cosine);
            CHECK(s->plane == shape);
            ops::SpectralOperator<T> S(*s, shape);
            const auto ax = A(x);
            CHECK(max_abs_diff(S(x), ax) <= 10 * tol<T>() * (1 + max_abs(ax)));
            // A is symmetric: the folded adjoint equals A itself
            CHECK(max_abs_diff(A.adjoint_of(x), ax) <= 10 * tol<T>() * (1 + max_abs(ax)));
        }
        // the same kernel with a periodic boundary is Fourier-, not cosine-diagonal
        CHECK(Convolution<T>(k, shape, Boundary::periodic).spectrum()->transform == Transform::fourier);
    }
    // no cosine structure: asymmetric, even-sized, or another boundary
    const Shape<2> shape{10, 12};
    auto k = symmetric_kernel<T>(5, 5, 3);
    k(0, 1) += T(0.25);
    CHECK_FALSE(Convolution<T>(k, shape, Boundary::reflect).spectrum().has_value());
    CHECK_FALSE(Convolution<T>(Image<T>({2, 2}, T(0.25)), shape, Boundary::reflect).spectrum().has_value());
    const auto ks = symmetric_kernel<T>(5, 3, 4);
    for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::valid})
        CHECK_FALSE(Convolution<T>(ks, shape, b).spectrum().has_value());
    // point-symmetric but not axis-symmetric (a rotated anisotropic blur) is not cosine-diagonal
    Image<T> diag({3, 3}, T(0));
    diag(0, 0) = diag(2, 2) = T(0.25);
    diag(1, 1) = T(0.5);
    CHECK_FALSE(Convolution<T>(diag, shape, Boundary::reflect).spectrum().has_value());
}

TEMPLATE_TEST_CASE("(AᵀA + ρI)⁻¹ from the spectrum equals conjugate gradients", "[convolution][spectrum][cg]", float,
                   double) {
    using T = TestType;
    const Shape<2> shape{24, 20};
    const T rho = T(0.05);
    const auto b = random_array<T, 2>(shape, 90);
    const double cg_tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
    for (Boundary bd : {Boundary::periodic, Boundary::reflect}) {
        CAPTURE(to_string(bd));
        const Image<T> k = bd == Boundary::periodic ? random_array<T, 2>({5, 4}, 91) : symmetric_kernel<T>(7, 5, 92);
        Convolution<T> A(k, shape, bd);
        auto N = gram(A) + rho * ops::Identity<Image<T>>(shape);
        const auto sn = N.spectrum();
        REQUIRE(sn.has_value());
        ops::SpectralOperator<T> Ninv(spectrum_inverse(*sn), shape);
        const auto x_spec = Ninv(b);
        auto r = conjugate_gradient(N, b, zeros_like(b), {.max_iter = 2000, .tol = cg_tol});
        CHECK(r.status == Status::converged);
        CHECK(distance(x_spec, r.x) <= (std::is_same_v<T, float> ? 1e-4 : 1e-9) * norm(r.x));
        // and it really inverts: (AᵀA + ρI) x = b
        CHECK(distance(N(x_spec), b) <= 100 * tol<T>() * norm(b));
    }
}

TEST_CASE("Convolution rejects bad input with errors naming the argument", "[convolution][errors]") {
    const Image<double> k({3, 3}, 1.0 / 9);
    CHECK_THROWS_WITH(Convolution<double>(Image<double>({0, 3}), {8, 8}), Catch::Contains("'kernel'"));
    Image<double> bad = k;
    bad(1, 2) = std::nan("");
    CHECK_THROWS_WITH(Convolution<double>(bad, {8, 8}), Catch::Contains("'kernel'") && Catch::Contains("finite"));
    bad(1, 2) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(Convolution<double>(bad, {8, 8}), Error);
    CHECK_THROWS_WITH(Convolution<double>(k, {0, 8}), Catch::Contains("'shape'"));
    CHECK_THROWS_WITH((Convolution<double, 3>(k, {0, 8, 8})), Catch::Contains("'shape'"));
    CHECK_THROWS_AS(Convolution<double>(Image<double>({9, 3}, 1.0), {8, 8}, Boundary::valid), ShapeError);
    CHECK_THROWS_WITH(Convolution<double>(Image<double>({3, 9}, 1.0), {8, 8}, Boundary::valid),
                      Catch::Contains("'kernel'") && Catch::Contains("at most 8x8"));
    CHECK_NOTHROW(Convolution<double>(Image<double>({8, 8}, 1.0), {8, 8}, Boundary::valid));
    CHECK_NOTHROW(Convolution<double>(Image<double>({20, 3}, 1.0), {8, 8}, Boundary::reflect));
    CHECK_THROWS_WITH(Convolution<double>(k, {8, 8}, static_cast<Boundary>(9)), Catch::Contains("'boundary'"));
    CHECK_THROWS_WITH(Convolution<double>(k, {8, 8}, Boundary::zero, {.method = static_cast<ConvolutionMethod>(5)}),
                      Catch::Contains("options.method"));
    Convolution<double> A(k, {8, 8}, Boundary::valid);
    Image<double> x({8, 8}), y({6, 6}), wrong({8, 8});
    CHECK_NOTHROW(A.apply(x, y));
    CHECK_THROWS_WITH(A.apply(x, wrong), Catch::Contains("'y'") && Catch::Contains("6x6"));
    CHECK_THROWS_WITH(A.apply(y, y), Catch::Contains("'x'"));
    CHECK_THROWS_WITH(A.apply_adjoint(wrong, x), Catch::Contains("'y'"));
    CHECK_THROWS_AS(A.apply_adjoint(y, y), ShapeError);
}

TEMPLATE_TEST_CASE("Convolution apply and apply_adjoint do not allocate", "[convolution][alloc]", float, double) {
    using T = TestType;
    const Shape<3> shape{2, 200, 180};
    const auto x = random_array<T, 3>(shape, 5);
    for (auto [kh, kw, rank1] : {std::tuple{5, 4, false}, std::tuple{9, 9, true}})
        for (Boundary b : all_boundaries)
            for (auto method : {ConvolutionMethod::direct, ConvolutionMethod::fft}) {
                CAPTURE(kh, kw, to_string(b), name(method));
                const Image<T> k = rank1 ? separable_kernel<T>(std::size_t(kh), std::size_t(kw), 6)
                                         : random_array<T, 2>({std::size_t(kh), std::size_t(kw)}, 7);
                Convolution<T, 3> A(k, shape, b, {.method = method});
                auto y = make_range(A);
                auto z = make_domain(A);
                A.apply(x, y);  // warm-up (thread pools)
                A.apply_adjoint(y, z);
                CHECK(test::allocations_during([&] {
                          A.apply(x, y);
                          A.apply_adjoint(y, z);
                      }) == 0);
            }
}

// ---- explicit Toeplitz matrices -------------------------------------------------

TEMPLATE_TEST_CASE("Toeplitz matrices equal Convolution with zero boundary", "[toeplitz]", float, double) {
    using T = TestType;
    // 1-D: explicit entries T_ij = k[c + i − j]
    const auto t = ops::toeplitz_matrix<T>({T(1), T(2), T(3), T(4)}, 5);  // c = 2
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> td(t);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) {
            const int m = 2 + i - j;
            CHECK(td(i, j) == (m >= 0 && m < 4 ? T(m + 1) : T(0)));
        }
    const auto k1 = random_array<T, 2>({1, 6}, 3);
    const auto x1 = random_array<T, 2>({1, 23}, 4);
    const auto t1 = ops::toeplitz_matrix<T>(std::vector<T>(k1.begin(), k1.end()), 23);
    const VectorX<T> y1 = t1 * as_eigen(x1);
    const auto c1 = Convolution<T>(k1, {1, 23}, Boundary::zero)(x1);
    for (std::size_t j = 0; j < 23; ++j) CHECK(std::abs(double(y1(Eigen::Index(j))) - double(c1(0, j))) < tol<T>());

    // 2-D block-Toeplitz as a MatrixOperator on images, odd and even kernels
    for (auto kc : std::vector<KernelCase>{{3, 3}, {4, 5}, {1, 7}, {6, 2}, {11, 9}}) {
        CAPTURE(kc.kh, kc.kw);
        const auto k = random_array<T, 2>({kc.kh, kc.kw}, unsigned(kc.kh * 10 + kc.kw));
        const Shape<2> shape{13, 10};
        auto M = ops::toeplitz_operator(k, shape);
        Convolution<T> C(k, shape, Boundary::zero);
        const auto x = random_array<T, 2>(shape, 5);
        const auto g = random_array<T, 2>(shape, 6);
        CHECK(max_abs_diff(M(x), C(x)) <= tol<T>());  // the issue: to 1e-12 in double
        CHECK(max_abs_diff(M.adjoint_of(g), C.adjoint_of(g)) <= tol<T>());
        CHECK(adjoint_test(M, 7).relative_error < tol<T>());
    }
    CHECK_THROWS_WITH(ops::toeplitz_matrix<T>({}, 4), Catch::Contains("'kernel'"));
    CHECK_THROWS_WITH(ops::toeplitz_matrix<T>({T(1)}, 0), Catch::Contains("'n'"));
    CHECK_THROWS_WITH(ops::block_toeplitz_matrix<T>(Image<T>({2, 2}, T(1)), {0, 3}), Catch::Contains("'shape'"));
}

TEST_CASE("the lecture's blur matrix: weights [1 2 3 4 3 2 1]/15 along rows, zero boundary", "[toeplitz]") {
    const std::size_t n = 5, m = 9;
    const Eigen::MatrixXd A(ops::lecture_blur_matrix<double>(n, m));
    REQUIRE(A.rows() == Eigen::Index(n * m));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t p = 0; p < n; ++p)
                for (std::size_t q = 0; q < m; ++q) {
                    const long d = long(q) - long(j);
                    const double want = (p == i && std::abs(d) <= 3) ? double(4 - std::abs(d)) / 15.0 : 0.0;
                    CHECK(A(Eigen::Index(i * m + j), Eigen::Index(p * m + q)) == want);
                }
    // interior rows sum to 16/15 (the printed weights are not normalized)
    CHECK(A.row(Eigen::Index(2 * m + 4)).sum() == Approx(16.0 / 15.0).epsilon(1e-15));
    // = Convolution with the 1×7 kernel /15 and zero boundary
    Image<double> k({1, 7});
    for (std::size_t j = 0; j < 7; ++j) k(0, j) = (4.0 - std::abs(double(j) - 3)) / 15.0;
    const auto x = random_array<double, 2>({n, m}, 8);
    const Eigen::VectorXd y = A * as_eigen(x);
    const auto c = Convolution<double>(k, {n, m}, Boundary::zero)(x);
    CHECK((y - as_eigen(c)).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("naive inversion of the lecture's blur amplifies 1e-3 noise more than 100x", "[toeplitz][ill-posed]") {
    // (1) structure: A = I_n ⊗ T_m, so a dense SVD of the nm×nm matrix has the 1-D singular values
    {
        const std::size_t n = 6, m = 16;
        const Eigen::MatrixXd A(ops::lecture_blur_matrix<double>(n, m));
        const Eigen::VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(A).singularValues();
        const Eigen::MatrixXd T1(ops::lecture_blur_matrix<double>(1, m));
        const Eigen::VectorXd s1 = Eigen::JacobiSVD<Eigen::MatrixXd>(T1).singularValues();
        CHECK(s(0) == Approx(s1(0)).epsilon(1e-12));
        CHECK(s(s.size() - 1) == Approx(s1(s1.size() - 1)).epsilon(1e-10));
        // every singular value lies below the symbol's maximum 16/15
        CHECK(s(0) <= 16.0 / 15.0);
        // the iterative estimate agrees with the dense SVD
        const auto e = ops::extreme_singular_values(ops::lecture_blur_matrix<double>(n, m));
        CHECK(e.max == Approx(s(0)).epsilon(1e-6));
        CHECK(e.min == Approx(s(s.size() - 1)).epsilon(1e-6));
    }
    // (2) a 64×64 crop of the camera image: cond(A) ≈ 1.8e3 by inverse iteration, checked against a dense 64×64 SVD
    const std::size_t N = 64;
    const auto full = io::read_gray<double>(test::source_path("data/camera.png"));
    Image<double> x({N, N});
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < N; ++j) x(i, j) = full(96 + i, 96 + j);
    const auto A = ops::lecture_blur_matrix<double>(N, N);
    const auto est = ops::extreme_singular_values(A);
    const Eigen::VectorXd s1 =
        Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::MatrixXd(ops::lecture_blur_matrix<double>(1, N))).singularValues();
    CHECK(est.min == Approx(s1(Eigen::Index(N) - 1)).epsilon(1e-6));
    CHECK(est.condition == Approx(s1(0) / s1(Eigen::Index(N) - 1)).epsilon(1e-6));
    CHECK(est.condition > 1000);

    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(A);
    REQUIRE(lu.info() == Eigen::Success);
    const Eigen::VectorXd xv = as_eigen(x);
    const Eigen::VectorXd y = A * xv;
    // without noise the solve is exact: the failure below is the problem, not the solver
    CHECK((lu.solve(y) - xv).norm() <= 1e-9 * xv.norm());
    std::mt19937 rng(2024);
    std::normal_distribution<double> noise(0, 1e-3);
    Eigen::VectorXd e(y.size());
    for (auto& v : e) v = noise(rng);
    const Eigen::VectorXd xhat = lu.solve(y + e);
    const double rel_noise = e.norm() / y.norm(), rel_error = (xhat - xv).norm() / xv.norm();
    const double amplification = rel_error / rel_noise;
    INFO("cond(A) = " << est.condition << ", relative noise " << rel_noise << ", relative error " << rel_error
                      << ", amplification " << amplification);
    CHECK(amplification > 100);
    CHECK(amplification <= est.condition);  // the worst case is cond(A)
    CHECK(rel_error > 0.1);                 // 0.1 % noise ruins the image
}
