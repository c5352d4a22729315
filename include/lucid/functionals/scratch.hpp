#pragma once
/// \file scratch.hpp
/// A lazily allocated scratch vector whose type is known only at the call
/// (functionals are generic over the vector type). Allocates once per shape.

#include <any>

#include "lucid/core/vector_space.hpp"

namespace lucid::detail {

class ScratchVector {
public:
    /// A vector with the type and shape of `like` (contents unspecified).
    template <Vector V>
    V& like(const V& like_this) const {
        V* p = std::any_cast<V>(&store_);
        if (!p || !(shape_of(*p) == shape_of(like_this))) {
            store_ = zeros_like(like_this);
            p = std::any_cast<V>(&store_);
        }
        return *p;
    }

private:
    mutable std::any store_;
};

}  // namespace lucid::detail
