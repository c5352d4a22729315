#pragma once
/// \file tv_paths.hpp
/// Private: what `admm_tv` and `hqs_tv` share around their own loops — the
/// input checks, the choice of the fused transform path, and the generic
/// fallback with the Neumann gradient.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l21_norm.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/smooth_term.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::detail {

/// Throws lucid::Error naming the argument unless λ > 0 and x0, y have the
/// operator's domain and range shapes and are finite.
template <LinearOperator A>
void require_tv_problem(const char* where, const A& op, const range_t<A>& y, op_scalar_t<A> lambda,
                        const domain_t<A>& x0) {
    require_positive(where, "lambda", lambda);
    require(shape_of(x0) == op.domain_shape(), where, "x0", "of the operator's domain shape", element_count(x0));
    require(shape_of(y) == op.range_shape(), where, "y", "of the operator's range shape", element_count(y));
    require(all_finite(y), where, "y", "finite everywhere", "a non-finite value");
    require(all_finite(x0), where, "x0", "finite everywhere", "a non-finite value");
}

/// For an H×W image operator whose AᵀA is diagonalized by the DFT or the
/// DCT-II (one block on the image plane, or a multiple of the identity):
/// returns fused(std::bool_constant<Fourier>{}, symbol of AᵀA, Aᵀy, ‖y‖²),
/// the arguments of the fused loops. nullopt for any other operator.
template <LinearOperator A, class Fused>
std::optional<SolverResult<domain_t<A>>> solve_transform_diagonal(const A& op, const range_t<A>& y, Fused&& fused) {
    using T = op_scalar_t<A>;
    if constexpr (std::is_same_v<domain_t<A>, Image<T>>) {
        auto g = gram_spectrum_of(op);
        if (g && g->blocks() == 1 && (g->transform == Transform::any || g->plane == plane_shape(op.domain_shape()))) {
            Image<T> aty = make_domain(op);
            op.apply_adjoint(y, aty);
            const double y2 = double(squared_norm(y));
            if (g->transform == Transform::fourier)
                return fused(std::true_type{}, std::move(*g), std::move(aty), y2);
            return fused(std::false_type{}, std::move(*g), std::move(aty), y2);
        }
    }
    return std::nullopt;
}

/// generic(LeastSquares(A, y), g, ∇) with ∇ the Neumann gradient of A's domain
/// (images and C×H×W stacks) and g = L21Norm(λ) (isotropic TV) or L1(λ)
/// (anisotropic): the paths without a fused loop.
template <LinearOperator A, class Generic>
SolverResult<domain_t<A>> solve_with_neumann_tv(const A& op, const range_t<A>& y, op_scalar_t<A> lambda, TvNorm norm,
                                                Generic&& generic) {
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    static_assert(image_rank<V>::value != 0, "TV deconvolution needs H×W images or C×H×W stacks");
    ops::Gradient<T, image_rank<V>::value> D(op.domain_shape());
    LeastSquares f(std::cref(op), y);
    if (norm == TvNorm::anisotropic) return generic(std::move(f), L1<T>(lambda), std::move(D));
    return generic(std::move(f), L21Norm<T>(lambda), std::move(D));
}

/// One history for channels solved one after another: iteration k of the
/// whole is iteration k of every channel (a channel that stopped earlier
/// keeps its last value). Objectives add, the stopping quantities take the
/// worst channel, norms (primal/dual residuals) add in quadrature, times add.
inline History merge_channel_histories(const std::vector<History>& h) {
    History out;
    auto merge = [&](auto member, std::vector<double>& into, auto combine) {
        std::size_t n = 0;
        for (const auto& c : h) n = std::max(n, (c.*member).size());
        for (const auto& c : h)
            if ((c.*member).empty()) return;  // a series some channel did not record
        into.resize(n);
        for (std::size_t k = 0; k < n; ++k) {
            double acc = combine.first;
            for (const auto& c : h) acc = combine.second(acc, (c.*member)[std::min(k, (c.*member).size() - 1)]);
            into[k] = acc;
        }
    };
    using P = std::pair<double, double (*)(double, double)>;
    const P sum{0.0, [](double a, double b) { return a + b; }};
    const P worst{-std::numeric_limits<double>::infinity(), [](double a, double b) { return std::isnan(b) ? b : std::max(a, b); }};
    const P quadrature{0.0, [](double a, double b) { return std::hypot(a, b); }};
    merge(&History::objective, out.objective, sum);
    merge(&History::residual, out.residual, worst);
    merge(&History::elapsed, out.elapsed, sum);
    merge(&History::primal_residual, out.primal_residual, quadrature);
    merge(&History::dual_residual, out.dual_residual, quadrature);
    merge(&History::penalty, out.penalty, worst);
    return out;
}

/// A C×H×W convolution applies one kernel to every channel and TV's norms are
/// per channel, so the problem separates exactly:
/// ½‖Ax − y‖² + λTV(x) = Σ_c ½‖k ∗ x_c − y_c‖² + λTV(x_c).
/// Solves the channels one after another with solve_plane(A_c, y_c, x0_c,
/// callback_c) on the H×W convolution with the same kernel, boundary and
/// options — the image paths (fused DFT/DCT loops, the masked `valid`
/// splitting) instead of the generic CG path, and the same ∇ as for an image.
/// The user's callback sees the whole stack (finished channels solved, the
/// current one at its iterate, later ones at x0), the channel's iteration,
/// objective and residual, and the time since the start; stopping it stops
/// the run (later channels stay at x0).
template <class T, class Callback, class SolvePlane>
SolverResult<ImageStack<T>> solve_per_channel(const ops::Convolution<T, 3>& op, const ImageStack<T>& y,
                                              const ImageStack<T>& x0, Callback& callback, SolvePlane&& solve_plane) {
    const auto dom = op.domain_shape();
    const std::size_t C = dom[0];
    ops::Convolution<T> plane_op(op.kernel(), {dom[1], dom[2]}, op.boundary(), op.options());
    const std::size_t nx = dom[1] * dom[2], ny = plane_op.range_shape()[0] * plane_op.range_shape()[1];
    Image<T> y_c(plane_op.range_shape()), x0_c(plane_op.domain_shape());
    SolverResult<ImageStack<T>> out;
    out.x = x0;
    out.status = Status::converged;
    std::vector<History> histories;
    const Stopwatch clock;
    for (std::size_t c = 0; c < C; ++c) {
        std::copy_n(y.data() + c * ny, ny, y_c.data());
        std::copy_n(x0.data() + c * nx, nx, x0_c.data());
        bool user_stopped = false;
        auto plane_callback = [&](const IterationState<Image<T>>& s) {
            if constexpr (std::is_same_v<std::remove_cvref_t<Callback>, callbacks::None>) {
                return false;
            } else {
                std::copy_n(s.x.data(), nx, out.x.data() + c * nx);
                user_stopped = invoke_callback(callback, IterationState<ImageStack<T>>{s.iteration, out.x, s.objective,
                                                                                       s.residual, clock.seconds()});
                return user_stopped;
            }
        };
        SolverResult<Image<T>> r = solve_plane(plane_op, y_c, x0_c, plane_callback);
        std::copy_n(r.x.data(), nx, out.x.data() + c * nx);
        out.iterations = std::max(out.iterations, r.iterations);
        histories.push_back(std::move(r.history));
        // the worst outcome wins: diverged, then stopped, then max_iterations
        auto rank = [](Status s) {
            return s == Status::diverged ? 3 : s == Status::stopped ? 2 : s == Status::max_iterations ? 1 : 0;
        };
        if (rank(r.status) > rank(out.status) || c == 0) {
            out.status = r.status;
            out.message = C > 1 ? "channel " + std::to_string(c) + ": " + r.message : r.message;
        }
        if (user_stopped || r.status == Status::diverged) break;  // later channels stay at x0
    }
    out.history = merge_channel_histories(histories);
    return out;
}

}  // namespace lucid::detail
