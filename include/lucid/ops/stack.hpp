#pragma once
/// \file stack.hpp
/// Vertical stack [A₁; A₂; …]: one domain, a product range (std::tuple).

#include <optional>
#include <tuple>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// K x = (A₁x, A₂x, …) ∈ Y₁ × Y₂ × …; Kᵀ(y₁, y₂, …) = Σᵢ Aᵢᵀ yᵢ.
/// The splitting operator of ADMM/PDHG (e.g. stack(A, D) for ‖Ax−y‖² + λ‖Dx‖₁).
template <class... As>
class Stack : public OperatorBase<Stack<As...>> {
    static_assert(sizeof...(As) >= 1, "stack needs at least one operator");
    using First = lucid::detail::unwrap_t<std::tuple_element_t<0, std::tuple<As...>>>;
    static_assert((LinearOperator<lucid::detail::unwrap_t<As>> && ...), "stack needs LinearOperators");
    static_assert((std::is_same_v<typename lucid::detail::unwrap_t<As>::domain_type, typename First::domain_type> && ...),
                  "stacked operators need the same domain type");

public:
    using scalar_type = typename First::scalar_type;
    using domain_type = typename First::domain_type;
    using range_type = std::tuple<typename lucid::detail::unwrap_t<As>::range_type...>;

    explicit Stack(As... as) : ops_(std::move(as)...) {
        const auto d0 = lucid::detail::get(std::get<0>(ops_)).domain_shape();
        // Report the first operator that differs, by position, with both shapes.
        std::size_t index = 0;
        std::apply([&](const auto&... o) {
            ([&] {
                const auto d = lucid::detail::get(o).domain_shape();
                if (!(d == d0))
                    lucid::detail::fail_argument<ShapeError>(
                        "lucid::stack", lucid::detail::concat("operator ", index),
                        "of the domain shape " + shape_string(d0) + " of operator 0", shape_string(d));
                ++index;
            }(), ...);
        }, ops_);
        tmp_ = make_vector<domain_type>(d0);
    }

    auto domain_shape() const { return lucid::detail::get(std::get<0>(ops_)).domain_shape(); }
    auto range_shape() const {
        return std::apply([](const auto&... o) { return shape_t<range_type>{lucid::detail::get(o).range_shape()...}; }, ops_);
    }
    /// The i-th stacked operator.
    template <std::size_t I>
    const auto& block() const { return lucid::detail::get(std::get<I>(ops_)); }

    void apply(const domain_type& x, range_type& y) const {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (lucid::detail::get(std::get<I>(ops_)).apply(x, std::get<I>(y)), ...);
        }(std::index_sequence_for<As...>{});
    }
    void apply_adjoint(const range_type& y, domain_type& x) const {
        lucid::detail::get(std::get<0>(ops_)).apply_adjoint(std::get<0>(y), x);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((lucid::detail::get(std::get<I + 1>(ops_)).apply_adjoint(std::get<I + 1>(y), tmp_),
              axpy(scalar_type(1), tmp_, x)), ...);
        }(std::make_index_sequence<sizeof...(As) - 1>{});
    }
    std::optional<Spectrum<scalar_type>> spectrum() const {
        std::optional<Spectrum<scalar_type>> acc;
        bool ok = true;
        std::apply([&](const auto&... o) {
            ([&] {
                if (!ok) return;
                auto s = spectrum_of(lucid::detail::get(o));
                if (!s) { ok = false; return; }
                acc = acc ? spectrum_stack(*acc, *s) : s;
                if (!acc) ok = false;
            }(), ...);
        }, ops_);
        return ok ? acc : std::nullopt;
    }
    /// KᵀK = Σᵢ AᵢᵀAᵢ, from each block's gram symbol (works for Neumann differences too).
    std::optional<Spectrum<scalar_type>> gram_spectrum() const {
        std::optional<Spectrum<scalar_type>> acc;
        bool ok = true;
        std::apply([&](const auto&... o) {
            ([&] {
                if (!ok) return;
                auto g = gram_spectrum_of(lucid::detail::get(o));
                if (!g) { ok = false; return; }
                acc = acc ? spectrum_sum(*acc, *g) : g;
                if (!acc) ok = false;
            }(), ...);
        }, ops_);
        return ok ? acc : std::nullopt;
    }

private:
    std::tuple<As...> ops_;
    mutable domain_type tmp_;
};

}  // namespace lucid::ops

namespace lucid {
/// [A₁; A₂; …]: x ↦ (A₁x, A₂x, …).
template <class... As>
auto stack(As... as) { return ops::Stack<As...>(std::move(as)...); }
}  // namespace lucid
