// Writing your own linear operator, and checking its adjoint.
//
// The operator: a sub-pixel translation by (dy, dx) with bilinear
// interpolation, the edge pixels continuing outside the image (replicate),
//
//     (S x)[i, j] = Σ_{a,b ∈ {0,1}} w_a(fy) w_b(fx) x[c(i + ny + a), c(j + nx + b)],
//     n = ⌊d⌋, f = d − n, w_0(f) = 1 − f, w_1(f) = f, c = clamp to the image,
//
// (the lecture's "camera moved by a fraction of a pixel"). Its adjoint
// scatters each y[i, j] back onto the same four (clamped) pixels with the
// same weights, so the edge pixels collect the taps that fell outside.
//
// A lucid operator is any type with scalar_type, domain_type, range_type,
// domain_shape(), range_shape(), apply(x, y) and apply_adjoint(y, x) writing
// into caller buffers (the LinearOperator concept, core/linear_operator.hpp);
// deriving from ops::OperatorBase adds S(x) and S.adjoint_of(y). Then
// lucid::adjoint_test(S) runs the dot-product test ⟨Sx, y⟩ = ⟨x, Sᵀy⟩ with
// random x, y: round-off (~1e-16) for a true adjoint.
//
// The tempting shortcut "Sᵀ = shift by −d" is exact in the interior (and
// would be exact with a zero boundary) but not with replicate: the test
// catches it (~1e-3 instead of ~1e-17). Once the test
// passes, the operator composes with the library's (blur ∘ shift) and goes
// straight into any solver.
//
//   example_custom_operator [--smoke] [--size N]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "lucid/lucid.hpp"

namespace {

using lucid::Image;

/// Bilinear sub-pixel translation x ↦ x(· + d), replicate boundary; see file comment.
/// `wrong_adjoint` makes apply_adjoint shift by −d instead (for the demo).
template <class T>
class SubpixelShift : public lucid::ops::OperatorBase<SubpixelShift<T>> {
public:
    using scalar_type = T;
    using domain_type = Image<T>;
    using range_type = Image<T>;

    SubpixelShift(lucid::Shape<2> shape, double dy, double dx, bool wrong_adjoint = false)
        : shape_(shape), dy_(dy), dx_(dx), wrong_(wrong_adjoint) {
        lucid::require(std::isfinite(dy) && std::isfinite(dx), "SubpixelShift", "dy, dx", "finite", dy + dx);
    }

    lucid::Shape<2> domain_shape() const { return shape_; }
    lucid::Shape<2> range_shape() const { return shape_; }

    /// y = S x (no allocation; y is overwritten).
    void apply(const Image<T>& x, Image<T>& y) const {
        lucid::require_shape("SubpixelShift::apply", "x", x.shape(), shape_);
        lucid::require_shape("SubpixelShift::apply", "y", y.shape(), shape_);
        y.fill(T(0));
        visit(dy_, dx_, [&](std::size_t i, std::size_t j, std::size_t p, std::size_t q, T w) { y(i, j) += w * x(p, q); });
    }

    /// x = Sᵀ y: the same taps, gathered into the source pixels (a scatter).
    void apply_adjoint(const Image<T>& y, Image<T>& x) const {
        lucid::require_shape("SubpixelShift::apply_adjoint", "y", y.shape(), shape_);
        lucid::require_shape("SubpixelShift::apply_adjoint", "x", x.shape(), shape_);
        x.fill(T(0));
        if (wrong_)   // "shift back": right in the interior, wrong where taps leave the image
            visit(-dy_, -dx_, [&](std::size_t i, std::size_t j, std::size_t p, std::size_t q, T w) { x(i, j) += w * y(p, q); });
        else
            visit(dy_, dx_, [&](std::size_t i, std::size_t j, std::size_t p, std::size_t q, T w) { x(p, q) += w * y(i, j); });
    }

private:
    /// Calls fn(i, j, p, q, w) for every output pixel (i, j) and each of its
    /// four bilinear taps (p, q), clamped into the image, weight w.
    template <class Fn>
    void visit(double dy, double dx, Fn&& fn) const {
        const double fy = dy - std::floor(dy), fx = dx - std::floor(dx);
        const long ny = long(std::floor(dy)), nx = long(std::floor(dx));
        const long h = long(shape_[0]), w = long(shape_[1]);
        const T wy[2] = {T(1 - fy), T(fy)}, wx[2] = {T(1 - fx), T(fx)};
        for (long i = 0; i < h; ++i)
            for (long j = 0; j < w; ++j)
                for (int a = 0; a < 2; ++a)
                    for (int b = 0; b < 2; ++b) {
                        const long p = std::clamp(i + ny + a, 0L, h - 1), q = std::clamp(j + nx + b, 0L, w - 1);
                        fn(std::size_t(i), std::size_t(j), std::size_t(p), std::size_t(q), wy[a] * wx[b]);
                    }
    }

    lucid::Shape<2> shape_;
    double dy_, dx_;
    bool wrong_;
};

static_assert(lucid::LinearOperator<SubpixelShift<double>>);

}  // namespace

int main(int argc, char** argv) {
    using namespace lucid;
    std::size_t n = 128;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") n = 48;
        else if (a == "--size" && i + 1 < argc) n = std::size_t(std::atol(argv[++i]));
        else {
            std::fprintf(stderr, "usage: %s [--smoke] [--size N]\n", argv[0]);
            return 2;
        }
    }
    try {
        const Shape<2> shape{n, n};
        const SubpixelShift<double> S(shape, 0.3, -1.6);
        const SubpixelShift<double> S_wrong(shape, 0.3, -1.6, /*wrong_adjoint=*/true);
        const ops::Convolution<double> K(kernels::gaussian<double>(1.0), shape, Boundary::reflect);
        const auto A = K * S;   // library algebra: blur after the shift (Composition owns its scratch)

        std::printf("dot-product test |<Ax,y> - <x,A^T y>| / (|Ax||y| + |x||A^T y|), %zux%zu, shift (0.3, -1.6):\n\n",
                    n, n);
        std::printf("| operator | relative error | verdict |\n|---|---|---|\n");
        auto report = [](const char* name, const AdjointTestResult& r) {
            std::printf("| %s | %.1e | %s |\n", name, r.relative_error, r.relative_error < 1e-12 ? "pass" : "FAIL");
        };
        report("SubpixelShift (scatter adjoint)", adjoint_test(S));
        report("SubpixelShift (adjoint = shift by -d)", adjoint_test(S_wrong));
        report("Convolution * SubpixelShift", adjoint_test(A));
        report("gram(Convolution * SubpixelShift)", adjoint_test(gram(A)));

        // Use it: undo blur + shift of a camera crop (1% noise) with gradient-
        // regularized least squares, min ½‖Ax − y‖² + ½μ‖∇x‖², i.e. CG on
        // (AᵀA + μ∇ᵀ∇)x = Aᵀy — built from the operator algebra, no matrix.
        const auto full = io::read_gray<double>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
        const std::size_t m = std::min({n, full.shape()[0], full.shape()[1]});
        Image<double> x = zeros_like(Image<double>(shape));
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < m; ++j) x(i, j) = full((full.shape()[0] - m) / 2 + i, (full.shape()[1] - m) / 2 + j);
        auto y = A(x);
        std::mt19937 rng(5);
        std::normal_distribution<double> noise(0.0, 0.01);
        for (auto& v : y) v += noise(rng);
        const double mu = 2e-3;
        const ops::Gradient<double> D(shape);
        const auto r = conjugate_gradient(gram(A) + mu * gram(D), A.adjoint_of(y), zeros_like(x),
                                          {.max_iter = 300, .tol = 1e-6});
        std::printf("\nrestoring camera %zux%zu from blur (sigma 1, reflect) + shift + 1%% noise:\n"
                    "PSNR(y) = %.2f dB (misaligned), PSNR(S^T y) = %.2f dB, CG on (A^T A + %g D^T D) x = A^T y: "
                    "%s after %d iterations, PSNR = %.2f dB\n",
                    n, n, metrics::psnr(x, y), metrics::psnr(x, S.adjoint_of(y)), mu,
                    std::string(to_string(r.status)).c_str(), r.iterations, metrics::psnr(x, r.x));
        const bool ok = adjoint_test(S).relative_error < 1e-12 && adjoint_test(S_wrong).relative_error > 1e-6;
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
