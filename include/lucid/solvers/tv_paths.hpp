#pragma once
/// \file tv_paths.hpp
/// Private: what `admm_tv` and `hqs_tv` share around their own loops — the
/// input checks, the choice of the fused transform path, and the generic
/// fallback with the Neumann gradient.

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l21_norm.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/spectrum.hpp"
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

}  // namespace lucid::detail
