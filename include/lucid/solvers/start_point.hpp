#pragma once
/// \file start_point.hpp
/// The starting-point checks shared by the solvers.

#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::detail {

/// Throws Error naming `x0` when it holds a NaN or ±∞. Unchecked, a solver
/// starts from it and returns `diverged` with a non-finite x (or an error
/// naming some prox's argument instead of the solver's).
template <class V>
void require_finite_start(std::string_view where, const V& x0) {
    if (!all_finite(x0)) fail_argument(where, "x0", "finite everywhere", "a non-finite value");
}

/// Throws ShapeError naming `name` unless `v` has the shape `expected`
/// (`what` says whose shape it is); the message shows both shapes.
template <class V, class S>
void require_vector_shape(std::string_view where, std::string_view name, const V& v, const S& expected,
                          std::string_view what) {
    if (!(shape_of(v) == expected))
        fail_argument<ShapeError>(where, name, concat("of ", what, " ", shape_string(expected)),
                                  shape_string(shape_of(v)));
}

/// Throws ShapeError naming `x0` when the data term exposes its operator
/// (`f.op()`, as LeastSquares does) and x0 is not of that operator's domain
/// shape — so a wrong start is reported as the solver's argument, not as an
/// operator's internal one several calls deeper. Then requires x0 finite.
template <class F, class V>
void require_start_in_domain(std::string_view where, const F& f, const V& x0) {
    if constexpr (requires { f.op().domain_shape(); }) {
        if (!(shape_of(x0) == f.op().domain_shape()))
            fail_argument<ShapeError>(where, "x0",
                                      concat("of the data term's domain shape (", element_count(make_vector<V>(f.op().domain_shape())),
                                             " elements)"),
                                      concat(element_count(x0), " elements"));
    }
    require_finite_start(where, x0);
}

}  // namespace lucid::detail
