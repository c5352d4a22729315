#pragma once
/// \file adjoint_test.hpp
/// The dot-product test: for random x, y, ⟨Ax, y⟩ must equal ⟨x, Aᵀy⟩.
/// Run it on your own operators before handing them to a solver.

#include <cmath>
#include <cstdint>
#include <random>

#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/operator_norm.hpp"

namespace lucid {

/// Outcome of `adjoint_test`.
struct AdjointTestResult {
    double forward = 0;          ///< ⟨Ax, y⟩
    double backward = 0;         ///< ⟨x, Aᵀy⟩
    double relative_error = 0;   ///< |⟨Ax,y⟩ − ⟨x,Aᵀy⟩| / (‖Ax‖‖y‖ + ‖x‖‖Aᵀy‖)
};

/// Runs the dot-product test with x, y ~ N(0, I) drawn from `seed`.
/// A correct adjoint gives relative_error at round-off level (~1e-15 in
/// double, ~1e-7 in float, times a small factor for long sums).
template <LinearOperator A>
AdjointTestResult adjoint_test(const A& op, std::uint64_t seed = 0) {
    std::mt19937_64 rng(seed);
    auto x = make_domain(op);
    auto y = make_range(op);
    detail::fill_normal(x, rng);
    detail::fill_normal(y, rng);
    auto ax = make_range(op);
    auto aty = make_domain(op);
    op.apply(x, ax);
    op.apply_adjoint(y, aty);
    AdjointTestResult r;
    r.forward = double(dot(ax, y));
    r.backward = double(dot(x, aty));
    const double scale_ = double(norm(ax)) * double(norm(y)) + double(norm(x)) * double(norm(aty));
    r.relative_error = scale_ > 0 ? std::abs(r.forward - r.backward) / scale_ : std::abs(r.forward - r.backward);
    return r;
}

}  // namespace lucid
