#pragma once
/// \file vector_space.hpp
/// Vector-space operations that solvers use instead of touching storage.
///
/// A `Vector` is any type with a `VectorTraits` specialization: xtensor
/// containers of any rank (`xt::xtensor<T,N>`, `xt::xarray<T>`), Eigen column
/// vectors, and `std::tuple` of vectors (product spaces, as produced by
/// `lucid::stack`). All functions work elementwise on the flattened storage;
/// reductions accumulate in double so float results stay accurate.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "lucid/core/aligned_buffer.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/finite.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"

namespace lucid {

/// Describes how to allocate and flatten a vector type. Specialized below.
template <class V, class = void>
struct VectorTraits;

namespace detail {
template <class V>
struct is_tuple : std::false_type {};
template <class... Vs>
struct is_tuple<std::tuple<Vs...>> : std::true_type {};

/// An xtensor container of the given shape, left uninitialized (uvector does
/// not touch arithmetic types), advised as huge pages from 4 MiB
/// (fft::detail::advise_huge_pages) and backed in one system call
/// (fft::detail::prefault) before anything writes it: no page fault per
/// 4 KiB page on the first write.
template <class C, class S>
C fresh_untouched(const S& shape) {
    C v(shape);
    fft::detail::advise_huge_pages(v.data(), v.size() * sizeof(typename C::value_type));
    fft::detail::prefault(v.data(), v.size() * sizeof(typename C::value_type));
    return v;
}

/// The same, zero-filled.
template <class C, class S>
C fresh_zeros(const S& shape) {
    C v = fresh_untouched<C>(shape);
    std::fill(v.data(), v.data() + v.size(), typename C::value_type(0));
    return v;
}
/// A copy of the xtensor container v in fresh storage, advised and prefaulted
/// before the copy writes it (a copy constructor would fault page by page).
template <class C>
C fresh_copy(const C& v) {
    C c = fresh_untouched<C>(v.shape());
    std::copy(v.data(), v.data() + v.size(), c.data());
    return c;
}
}  // namespace detail

/// xtensor containers (fixed or dynamic rank): shape is the container's shape.
template <class T, class Alloc, std::size_t N, xt::layout_type L, class Tag>
struct VectorTraits<xt::xtensor_container<xt::uvector<T, Alloc>, N, L, Tag>> {
    using vector_type = xt::xtensor_container<xt::uvector<T, Alloc>, N, L, Tag>;
    using scalar_type = T;
    using shape_type = std::array<std::size_t, N>;
    static shape_type shape(const vector_type& v) {
        shape_type s;
        for (std::size_t i = 0; i < N; ++i) s[i] = v.shape()[i];
        return s;
    }
    static vector_type make(const shape_type& s) { return detail::fresh_zeros<vector_type>(s); }
    /// Storage of shape s left unfilled, for a caller that writes every element next.
    static vector_type make_uninitialized(const shape_type& s) { return detail::fresh_untouched<vector_type>(s); }
    static vector_type clone(const vector_type& v) { return detail::fresh_copy(v); }
    static T* data(vector_type& v) { return v.data(); }
    static const T* data(const vector_type& v) { return v.data(); }
    static std::size_t size(const vector_type& v) { return v.size(); }
};

template <class T, class Alloc, xt::layout_type L, class SC, class Tag>
struct VectorTraits<xt::xarray_container<xt::uvector<T, Alloc>, L, SC, Tag>> {
    using vector_type = xt::xarray_container<xt::uvector<T, Alloc>, L, SC, Tag>;
    using scalar_type = T;
    using shape_type = std::vector<std::size_t>;
    static shape_type shape(const vector_type& v) { return shape_type(v.shape().begin(), v.shape().end()); }
    static vector_type make(const shape_type& s) { return detail::fresh_zeros<vector_type>(s); }
    /// Storage of shape s left unfilled, for a caller that writes every element next.
    static vector_type make_uninitialized(const shape_type& s) { return detail::fresh_untouched<vector_type>(s); }
    static vector_type clone(const vector_type& v) { return detail::fresh_copy(v); }
    static T* data(vector_type& v) { return v.data(); }
    static const T* data(const vector_type& v) { return v.data(); }
    static std::size_t size(const vector_type& v) { return v.size(); }
};

/// Eigen dense column vectors: shape is {rows}.
template <class T, int Rows, int Opts, int MaxRows>
struct VectorTraits<Eigen::Matrix<T, Rows, 1, Opts, MaxRows, 1>> {
    using vector_type = Eigen::Matrix<T, Rows, 1, Opts, MaxRows, 1>;
    using scalar_type = T;
    using shape_type = std::array<std::size_t, 1>;
    static shape_type shape(const vector_type& v) { return {std::size_t(v.size())}; }
    static vector_type make(const shape_type& s) { return vector_type::Zero(Eigen::Index(s[0])); }
    static T* data(vector_type& v) { return v.data(); }
    static const T* data(const vector_type& v) { return v.data(); }
    static std::size_t size(const vector_type& v) { return std::size_t(v.size()); }
};

namespace detail {
/// VectorTraits<V>::clone where the traits have one, the copy constructor otherwise.
template <class V>
V clone_leaf(const V& v) {
    if constexpr (requires { VectorTraits<V>::clone(v); }) return VectorTraits<V>::clone(v);
    else return V(v);
}
}  // namespace detail

/// Product spaces: a tuple of vectors with a tuple of shapes.
template <class... Vs>
struct VectorTraits<std::tuple<Vs...>> {
    using vector_type = std::tuple<Vs...>;
    using scalar_type = typename VectorTraits<std::tuple_element_t<0, vector_type>>::scalar_type;
    using shape_type = std::tuple<typename VectorTraits<Vs>::shape_type...>;
    static shape_type shape(const vector_type& v) {
        return std::apply([](const auto&... e) { return shape_type{VectorTraits<std::decay_t<decltype(e)>>::shape(e)...}; }, v);
    }
    static vector_type make(const shape_type& s) {
        return std::apply([](const auto&... e) { return vector_type{VectorTraits<Vs>::make(e)...}; }, s);
    }
    static vector_type clone(const vector_type& v) {
        return std::apply([](const auto&... e) { return vector_type{detail::clone_leaf(e)...}; }, v);
    }
    static std::size_t size(const vector_type& v) {
        return std::apply([](const auto&... e) { return (std::size_t(0) + ... + VectorTraits<std::decay_t<decltype(e)>>::size(e)); }, v);
    }
};

/// A type the vector-space functions accept.
template <class V>
concept Vector = requires { typename VectorTraits<std::remove_cvref_t<V>>::scalar_type; };

/// Scalar type of a vector (float or double).
template <Vector V>
using scalar_t = typename VectorTraits<std::remove_cvref_t<V>>::scalar_type;

/// Shape type of a vector.
template <Vector V>
using shape_t = typename VectorTraits<std::remove_cvref_t<V>>::shape_type;

/// Shape of a vector (array of extents, or a tuple of them).
template <Vector V>
shape_t<V> shape_of(const V& v) { return VectorTraits<std::remove_cvref_t<V>>::shape(v); }

/// A new zero vector of type V and the given shape.
template <Vector V>
V make_vector(const shape_t<V>& shape) { return VectorTraits<V>::make(shape); }

/// A new zero vector with the type and shape of `v`.
template <Vector V>
std::remove_cvref_t<V> zeros_like(const V& v) {
    using R = std::remove_cvref_t<V>;
    return VectorTraits<R>::make(VectorTraits<R>::shape(v));
}

/// A copy of `v` in new storage, as `V(v)`; images are prefaulted in one
/// call before the copy is written (fft::detail::prefault), which solvers use
/// for their iterates (`V x = clone(x0)`).
template <Vector V>
std::remove_cvref_t<V> clone(const V& v) { return detail::clone_leaf(v); }

/// Total number of scalars.
template <Vector V>
std::size_t element_count(const V& v) { return VectorTraits<std::remove_cvref_t<V>>::size(v); }

namespace detail {

template <class V>
constexpr bool is_product_v = is_tuple<std::remove_cvref_t<V>>::value;

template <class V>
auto flat(V& v) {
    using R = std::remove_cvref_t<V>;
    using T = typename VectorTraits<R>::scalar_type;
    using P = std::conditional_t<std::is_const_v<std::remove_reference_t<V>>, const T, T>;
    return std::span<P>(VectorTraits<R>::data(v), VectorTraits<R>::size(v));
}

/// Equal shapes, leaf by leaf (an equal size is not enough: a 2×3 and a 3×2 image
/// would be combined index by index). Compares in place: nothing allocates.
template <class V>
bool same_shape(const V& a, const V& b) {
    if constexpr (is_product_v<V>) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return (same_shape(std::get<I>(a), std::get<I>(b)) && ...);
        }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<V>>>{});
    } else if constexpr (requires { a.shape(); }) {
        return std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(), b.shape().end());
    } else {
        return a.size() == b.size();
    }
}

/// Throws ShapeError naming `name` unless `v` has x's shape (checked once, before
/// the leaves are visited: equal shapes imply equal leaf sizes).
template <class V>
void require_same_shape(const char* where, const char* name, const V& x, const V& v) {
    if (!same_shape(x, v)) {
        if constexpr (requires { shape_string(shape_of(x)); })
            fail_argument<ShapeError>(where, name, "of the shape of x, " + shape_string(shape_of(x)),
                                      shape_string(shape_of(v)));
        else
            fail_argument<ShapeError>(where, name, "of the shape of x", "another shape");
    }
}

/// Calls f(flat_0, flat_1, ...) on each leaf of (possibly tuple) vectors that share a structure.
template <class F, class First, class... Rest>
void for_each_leaf(F&& f, First&& first, Rest&&... rest);

template <std::size_t I, class F, class First, class... Rest>
void for_each_leaf_at(F& f, First& first, Rest&... rest) {
    for_each_leaf(f, std::get<I>(first), std::get<I>(rest)...);
}

template <class F, class First, class... Rest>
void for_each_leaf(F&& f, First&& first, Rest&&... rest) {
    if constexpr (is_product_v<First>) {
        constexpr std::size_t n = std::tuple_size_v<std::remove_cvref_t<First>>;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (for_each_leaf_at<I>(f, first, rest...), ...);
        }(std::make_index_sequence<n>{});
    } else {
        f(flat(first), flat(rest)...);
    }
}

}  // namespace detail

namespace detail {
/// ⟨x, y⟩ accumulated and returned in double.
template <Vector V>
double dot_in_double(const V& x, const V& y) {
    detail::require_same_shape("lucid::dot", "y", x, y);
    double total = 0.0;
    detail::for_each_leaf([&](auto a, auto b) {
        const std::ptrdiff_t n = std::ptrdiff_t(a.size());
        const auto* pa = a.data();
        const auto* pb = b.data();
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        std::ptrdiff_t i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += double(pa[i]) * pb[i];
            s1 += double(pa[i + 1]) * pb[i + 1];
            s2 += double(pa[i + 2]) * pb[i + 2];
            s3 += double(pa[i + 3]) * pb[i + 3];
        }
        for (; i < n; ++i) s0 += double(pa[i]) * pb[i];
        total += (s0 + s1) + (s2 + s3);
    }, x, y);
    return total;
}
}  // namespace detail

/// ⟨x, y⟩ = Σᵢ xᵢ yᵢ (accumulated in double).
template <Vector V>
scalar_t<V> dot(const V& x, const V& y) { return scalar_t<V>(detail::dot_in_double(x, y)); }

/// ‖x‖² = ⟨x, x⟩.
template <Vector V>
scalar_t<V> squared_norm(const V& x) { return dot(x, x); }

/// ‖x‖₂ (the square root taken in double: ‖x‖² of a float vector may pass
/// FLT_MAX while ‖x‖ does not).
template <Vector V>
scalar_t<V> norm(const V& x) { return scalar_t<V>(std::sqrt(detail::dot_in_double(x, x))); }

/// ‖x‖₁ = Σᵢ |xᵢ|.
template <Vector V>
scalar_t<V> norm1(const V& x) {
    double total = 0.0;
    detail::for_each_leaf([&](auto a) { for (auto v : a) total += std::abs(double(v)); }, x);
    return scalar_t<V>(total);
}

/// ‖x‖∞ = maxᵢ |xᵢ|; NaN when any xᵢ is NaN (std::max would skip it).
template <Vector V>
scalar_t<V> norm_inf(const V& x) {
    using T = scalar_t<V>;
    T m = 0;
    bool nan = false;
    detail::for_each_leaf([&](auto a) {
        for (auto v : a) {
            const T e = std::abs(v);
            if (e > m) m = e;
            nan |= e != e;
        }
    }, x);
    return nan ? std::numeric_limits<T>::quiet_NaN() : m;
}

/// y ← a·x + y.
template <Vector V>
void axpy(scalar_t<V> a, const V& x, V& y) {
    detail::require_same_shape("lucid::axpy", "y", x, y);
    detail::for_each_leaf([&](auto xs, auto ys) {
        auto* __restrict py = ys.data();
        const auto* __restrict px = xs.data();
        parallel_for(0, std::ptrdiff_t(ys.size()), [=](std::ptrdiff_t i) { py[i] += a * px[i]; });
    }, x, y);
}

/// y ← a·x + b·y.
template <Vector V>
void axpby(scalar_t<V> a, const V& x, scalar_t<V> b, V& y) {
    detail::require_same_shape("lucid::axpby", "y", x, y);
    detail::for_each_leaf([&](auto xs, auto ys) {
        auto* __restrict py = ys.data();
        const auto* __restrict px = xs.data();
        parallel_for(0, std::ptrdiff_t(ys.size()), [=](std::ptrdiff_t i) { py[i] = a * px[i] + b * py[i]; });
    }, x, y);
}

/// out ← a·x + b·y (out may alias x or y).
template <Vector V>
void lincomb(scalar_t<V> a, const V& x, scalar_t<V> b, const V& y, V& out) {
    detail::require_same_shape("lucid::lincomb", "y", x, y);
    detail::require_same_shape("lucid::lincomb", "out", x, out);
    detail::for_each_leaf([&](auto xs, auto ys, auto os) {
        auto* po = os.data();
        const auto* px = xs.data();
        const auto* py = ys.data();
        parallel_for(0, std::ptrdiff_t(os.size()), [=](std::ptrdiff_t i) { po[i] = a * px[i] + b * py[i]; });
    }, x, y, out);
}

/// x ← a·x.
template <Vector V>
void scale(scalar_t<V> a, V& x) {
    detail::for_each_leaf([&](auto xs) {
        auto* p = xs.data();
        parallel_for(0, std::ptrdiff_t(xs.size()), [=](std::ptrdiff_t i) { p[i] *= a; });
    }, x);
}

/// y ← x (shapes must agree; use `y = x` to reallocate).
template <Vector V>
void copy(const V& x, V& y) {
    detail::require_same_shape("lucid::copy", "y", x, y);
    detail::for_each_leaf([&](auto xs, auto ys) {
        std::copy(xs.begin(), xs.end(), ys.begin());
    }, x, y);
}

/// x ← c everywhere.
template <Vector V>
void fill(V& x, scalar_t<V> c) {
    detail::for_each_leaf([&](auto xs) { std::fill(xs.begin(), xs.end(), c); }, x);
}

/// x ← 0.
template <Vector V>
void set_zero(V& x) { fill(x, scalar_t<V>(0)); }

/// True when every element is finite (no NaN, no ±∞).
template <Vector V>
bool all_finite(const V& x) {
    bool ok = true;
    detail::for_each_leaf([&](auto xs) { ok = ok && detail::all_finite_values(xs.data(), xs.size()); }, x);
    return ok;
}

/// ‖x − y‖₂ without a temporary.
template <Vector V>
scalar_t<V> distance(const V& x, const V& y) {
    detail::require_same_shape("lucid::distance", "y", x, y);
    double total = 0.0;
    detail::for_each_leaf([&](auto a, auto b) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double d = double(a[i]) - double(b[i]);
            total += d * d;
        }
    }, x, y);
    return scalar_t<V>(std::sqrt(total));
}

}  // namespace lucid
