#pragma once
/// \file status.hpp
/// How a solver run ended, its history, and what it returns.

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace lucid {

/// Why a solver stopped. Non-convergence is a status, never an exception.
enum class Status {
    converged,       ///< the stopping rule was met
    max_iterations,  ///< the iteration budget ran out first
    diverged,        ///< a non-finite or exploding iterate appeared; x is the last finite iterate
    stopped          ///< a callback asked to stop
};

constexpr std::string_view to_string(Status s) {
    switch (s) {
        case Status::converged: return "converged";
        case Status::max_iterations: return "max_iterations";
        case Status::diverged: return "diverged";
        case Status::stopped: return "stopped";
    }
    return "?";
}

/// Per-iteration records. `objective` is NaN where a solver has no cheap
/// objective; `residual` is the quantity its stopping rule tests.
///
/// Splitting methods (ADMM, PDHG, HQS, PnP) also record their primal and dual
/// residuals and the penalty / step parameter of each iteration (ρ for ADMM,
/// μ for HQS, the step 1/L for proximal gradient); these stay empty for
/// solvers that have no such quantity.
struct History {
    std::vector<double> objective;
    std::vector<double> residual;
    std::vector<double> elapsed;          ///< seconds since the start of the run
    std::vector<double> primal_residual;  ///< splitting methods: ‖Kx − z‖ (or their own primal residual)
    std::vector<double> dual_residual;    ///< splitting methods: ‖ρKᵀ(z − z_prev)‖ (or their own dual residual)
    std::vector<double> penalty;          ///< ρ, μ or step size used in the iteration

    /// Reserves room for n iterations in every series (no allocation while recording).
    void reserve(std::size_t n) {
        objective.reserve(n);
        residual.reserve(n);
        elapsed.reserve(n);
        primal_residual.reserve(n);
        dual_residual.reserve(n);
        penalty.reserve(n);
    }
    /// Reserves for a run of at most max_iter iterations, capped: max_iter =
    /// INT_MAX with a time limit must not reserve 6 × 16 GB; runs longer than
    /// the cap grow the history geometrically (rare reallocations).
    void reserve_for_run(int max_iter) {
        constexpr std::size_t max_reserved = std::size_t(1) << 20;  // 6 series × 8 MiB
        reserve(std::min<std::size_t>(std::size_t(std::max(max_iter, 0)) + 1, max_reserved));
    }
    /// Empties every series, keeping their storage (a reused run record does not reallocate).
    void clear() {
        for (auto* series : {&objective, &residual, &elapsed, &primal_residual, &dual_residual, &penalty}) series->clear();
    }
    void push(double obj, double res, double t) {
        objective.push_back(obj);
        residual.push_back(res);
        elapsed.push_back(t);
    }
    void push_split(double primal, double dual) {
        primal_residual.push_back(primal);
        dual_residual.push_back(dual);
    }
    void push_penalty(double p) { penalty.push_back(p); }
    std::size_t size() const { return residual.size(); }
};

/// How a run went, without the solution (what in-place solvers return).
struct RunInfo {
    Status status = Status::max_iterations;
    int iterations = 0;         ///< iterations performed
    History history;
    std::string message;        ///< human-readable reason for `status`

    bool converged() const { return status == Status::converged; }
};

/// What every solver returns: the run information and the solution `x`
/// (or, with `Status::diverged`, the last finite iterate). It also unpacks
/// as DESIGN.md writes it, `{x, status, iterations, history}`:
///   auto [x, status, iterations, history] = lucid::fista(f, g, x0);
template <class V>
struct SolverResult : RunInfo {
    V x;

    /// The I-th of (x, status, iterations, history), for structured bindings.
    template <std::size_t I>
    decltype(auto) get() & { return element<I>(*this); }
    template <std::size_t I>
    decltype(auto) get() const& { return element<I>(*this); }
    template <std::size_t I>
    decltype(auto) get() && { return std::move(element<I>(*this)); }

private:
    template <std::size_t I, class R>
    static auto& element(R& r) {
        static_assert(I < 4, "SolverResult unpacks into (x, status, iterations, history)");
        if constexpr (I == 0) return r.x;
        else if constexpr (I == 1) return r.status;
        else if constexpr (I == 2) return r.iterations;
        else return r.history;
    }
};

/// What a callback sees after each iteration.
template <class V>
struct IterationState {
    int iteration;        ///< 1-based count of completed iterations
    const V& x;           ///< current iterate (do not keep the reference)
    double objective;     ///< NaN when not computed
    double residual;      ///< the stopping-rule quantity
    double elapsed;       ///< seconds since the start
};

namespace detail {

/// Seconds since construction.
class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace detail
}  // namespace lucid

// Tuple-like protocol of SolverResult (structured bindings).
template <class V>
struct std::tuple_size<lucid::SolverResult<V>> : std::integral_constant<std::size_t, 4> {};
template <std::size_t I, class V>
struct std::tuple_element<I, lucid::SolverResult<V>> {
    using type = std::tuple_element_t<I, std::tuple<V, lucid::Status, int, lucid::History>>;
};
