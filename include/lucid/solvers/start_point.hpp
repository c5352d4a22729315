#pragma once
/// \file start_point.hpp
/// The starting-point check shared by the solvers.

#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::detail {

/// Throws ShapeError naming `x0` when the data term exposes its operator
/// (`f.op()`, as LeastSquares does) and x0 is not of that operator's domain
/// shape — so a wrong start is reported as the solver's argument, not as an
/// operator's internal one several calls deeper.
template <class F, class V>
void require_start_in_domain(std::string_view where, const F& f, const V& x0) {
    if constexpr (requires { f.op().domain_shape(); }) {
        if (!(shape_of(x0) == f.op().domain_shape()))
            fail_argument<ShapeError>(where, "x0",
                                      concat("of the data term's domain shape (", element_count(make_vector<V>(f.op().domain_shape())),
                                             " elements)"),
                                      concat(element_count(x0), " elements"));
    }
}

}  // namespace lucid::detail
