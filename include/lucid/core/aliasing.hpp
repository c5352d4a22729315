#pragma once
/// \file aliasing.hpp
/// Detecting an output that shares memory with an input (`A.apply(x, x)`).
///
/// Operators that read a neighbourhood of a pixel after writing it, or that
/// need the input again after the output is written (Horner's rule, a matrix
/// product), cannot run in place. They call `require_distinct_storage` so that
/// such a call throws instead of returning a silently wrong result.

#include <cstdint>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid {

/// True when any element of `a` and any element of `b` occupy the same bytes:
/// the byte ranges [data, data + size) of their leaves intersect.
template <Vector U, Vector V>
bool storage_overlaps(const U& a, const V& b) {
    bool overlap = false;
    detail::for_each_leaf([&](auto sa) {
        const auto a0 = reinterpret_cast<std::uintptr_t>(sa.data());
        const auto a1 = a0 + sa.size_bytes();
        detail::for_each_leaf([&](auto sb) {
            const auto b0 = reinterpret_cast<std::uintptr_t>(sb.data());
            const auto b1 = b0 + sb.size_bytes();
            overlap = overlap || (a0 < b1 && b0 < a1);
        }, b);
    }, a);
    return overlap;
}

/// Throws `lucid::Error` when `out` shares memory with `in`: the operator at
/// `where` cannot compute in place.
template <Vector U, Vector V>
void require_distinct_storage(const char* where, const char* in_name, const U& in, const char* out_name,
                              const V& out) {
    if (storage_overlaps(in, out))
        throw Error(detail::concat(where, ": argument '", out_name, "' must not share memory with '", in_name,
                                   "' (this operator cannot compute in place; pass a separate output buffer)"));
}

}  // namespace lucid
