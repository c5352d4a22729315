#pragma once
/// \file self_ensemble.hpp
/// Geometric self-ensemble: a denoiser averaged over the flips and
/// transposes of the pixel grid.

#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/denoisers/denoiser.hpp"

namespace lucid::denoisers {

/// Parameters of SelfEnsemble.
struct SelfEnsembleParams {
    /// Size of the symmetry group G averaged over: 8 = all flips, transposes
    /// and quarter turns (the dihedral group of the square); 4 = identity,
    /// left–right flip, up–down flip and the half turn (no transpose);
    /// 2 = identity and left–right flip; 1 = D itself. Each is a subgroup,
    /// so the ensemble is exactly G-equivariant. Cost: `transforms` calls of D.
    int transforms = 8;

    void validate() const {
        require(transforms == 1 || transforms == 2 || transforms == 4 || transforms == 8,
                "lucid::denoisers::SelfEnsembleParams", "transforms", "1, 2, 4 or 8", transforms);
    }
};

namespace detail::ensemble {

/// Where pixel (i, j) of an h×w plane goes under group element g, and where
/// it comes from. Bits of g: 1 = left–right flip, 2 = up–down flip,
/// 4 = transpose (applied after the flips). The transformed plane is h×w, or
/// w×h when g transposes; t[dst(i, j)] = y[src(i, j)] for all (i, j).
struct Element {
    int g;
    std::size_t h, w;
    bool transposes() const { return (g & 4) != 0; }
    std::size_t src(std::size_t i, std::size_t j) const {
        return ((g & 2) ? h - 1 - i : i) * w + ((g & 1) ? w - 1 - j : j);
    }
    std::size_t dst(std::size_t i, std::size_t j) const { return transposes() ? j * h + i : i * w + j; }
};

}  // namespace detail::ensemble

/// Geometric self-ensemble of a denoiser D (Timofte, Rothe & Van Gool 2016,
/// "Seven ways to improve example-based single image super resolution",
/// CVPR, §2.1; the "×8" of Lim et al. 2017 (EDSR) and of DPIR, Zhang et al.
/// 2021, TPAMI 44(10)):
/// \f[ D_G(y, \sigma) = \frac{1}{|G|} \sum_{g \in G} g^{-1}\, D(g\,y,\ \sigma), \f]
/// where G is a group of pixel permutations of the grid — flips, transposes
/// and quarter turns (SelfEnsembleParams::transforms). White Gaussian noise
/// is invariant under each g, so g y is a valid input at the same σ.
///
/// Properties: D_G is G-equivariant (D_G(g y) = g D_G(y)); if D already is
/// (e.g. GaussianDenoiser, whose kernel and boundary are symmetric), D_G = D.
/// Each g⁻¹ D g is an orthogonal conjugate of D, so Lipschitz constants,
/// non-expansiveness and positive homogeneity of D carry over to the
/// average, and a linear D stays linear. For a learned denoiser that is only
/// approximately equivariant (a CNN trained with random flips and
/// rotations) the average reduces the estimator's variance: typically
/// +0.1–0.3 dB, for |G| times the cost.
///
/// Workspaces (the transformed input and output in both orientations and an
/// accumulator) are allocated at the first call for a given shape and reused;
/// later calls with that shape allocate nothing beyond what D itself does.
/// A copy starts with empty workspaces. One object is not for concurrent use.
///
/// ```cpp
/// auto cnn = lucid::denoisers::Cnn<float>::load_default();
/// lucid::denoisers::SelfEnsemble x8(cnn);                 // 8 transforms
/// auto r = lucid::pnp_admm(lucid::LeastSquares(A, y), x8, y, params);
/// ```
template <class D>
class SelfEnsemble {
public:
    using scalar_type = typename std::remove_cvref_t<D>::scalar_type;
    using denoiser_type = D;

    explicit SelfEnsemble(D denoiser, SelfEnsembleParams params = {})
        : denoiser_(std::move(denoiser)), params_((params.validate(), params)) {}

    const D& denoiser() const { return denoiser_; }
    const SelfEnsembleParams& params() const { return params_; }
    /// |G|, the number of calls of D per call.
    int size() const { return params_.transforms; }
    /// D's largest accepted σ, where D declares one (a trained range).
    scalar_type sigma_max() const requires requires(const D& d) { d.sigma_max(); } { return denoiser_.sigma_max(); }

    /// out = D_G(y, σ) for an H×W image or a C×H×W stack (each plane is
    /// transformed; D is called once per group element on the whole stack).
    /// σ is passed to D unchanged (D checks it). out may alias y.
    template <std::size_t Rank>
        requires Denoiser<D, xt::xtensor<scalar_type, Rank>>
    void denoise(const xt::xtensor<scalar_type, Rank>& y, scalar_type sigma,
                 xt::xtensor<scalar_type, Rank>& out) const {
        static_assert(Rank == 2 || Rank == 3, "SelfEnsemble acts on H×W images or C×H×W stacks");
        using T = scalar_type;
        constexpr const char* where = "lucid::denoisers::SelfEnsemble::denoise";
        require_finite_image(where, "y", y);
        require_shape(where, "out", out.shape(), y.shape());
        Shape<Rank> s;
        for (std::size_t i = 0; i < Rank; ++i) s[i] = y.shape()[i];
        const auto hw = plane_shape(s);
        const std::size_t h = hw[0], w = hw[1], plane = h * w, planes = channel_count(s);
        auto& ws = std::get<Rank - 2>(work_.buffers);
        Shape<Rank> st = with_plane(s, {w, h});
        ws.fit(s, st);
        work_.acc.resize(y.size());  // no allocation once the size was seen
        T* acc = work_.acc.data();
        const T* src = y.data();
        for (int g = 0; g < params_.transforms; ++g) {
            const detail::ensemble::Element e{g, h, w};
            const bool tr = e.transposes() && h != w;
            auto& in = tr ? ws.in_t : ws.in;
            auto& den = tr ? ws.out_t : ws.out;
            if (g == 0) {
                denoiser_.denoise(y, sigma, den);  // identity: no copy
                std::copy(den.data(), den.data() + y.size(), acc);
                continue;
            }
            for (std::size_t c = 0; c < planes; ++c) {  // in = g y, plane by plane
                const T* p = src + c * plane;
                T* q = in.data() + c * plane;
                for (std::size_t i = 0; i < h; ++i)
                    for (std::size_t j = 0; j < w; ++j) q[e.dst(i, j)] = p[e.src(i, j)];
            }
            denoiser_.denoise(in, sigma, den);
            for (std::size_t c = 0; c < planes; ++c) {  // acc += g⁻¹ D(g y, σ)
                const T* q = den.data() + c * plane;
                T* a = acc + c * plane;
                for (std::size_t i = 0; i < h; ++i)
                    for (std::size_t j = 0; j < w; ++j) a[e.src(i, j)] += q[e.dst(i, j)];
            }
        }
        const T inv = T(1) / T(params_.transforms);
        T* o = out.data();
        for (std::size_t k = 0, n = y.size(); k < n; ++k) o[k] = acc[k] * inv;
    }

private:
    template <std::size_t Rank>
    struct Buffers {
        xt::xtensor<scalar_type, Rank> in, out, in_t, out_t;  // plain and transposed orientation
        /// Resizes only when the shape changes (xtensor keeps the storage for an equal shape).
        void fit(const Shape<Rank>& s, const Shape<Rank>& st) {
            in.resize(s);
            out.resize(s);
            if (st != s) {
                in_t.resize(st);
                out_t.resize(st);
            }
        }
    };
    struct Workspace {
        std::tuple<Buffers<2>, Buffers<3>> buffers;
        std::vector<scalar_type> acc;
        Workspace() = default;
        Workspace(const Workspace&) {}
        Workspace(Workspace&&) noexcept = default;
        Workspace& operator=(const Workspace&) { return *this; }
        Workspace& operator=(Workspace&&) noexcept = default;
    };

    D denoiser_;
    SelfEnsembleParams params_;
    mutable Workspace work_;
};

}  // namespace lucid::denoisers
