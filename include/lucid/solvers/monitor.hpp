#pragma once
/// \file monitor.hpp
/// Bookkeeping shared by the solver loops (private helpers in lucid::detail):
/// the clock, the history, the user callback, the divergence guard, and a few
/// fused reductions that solvers use for their stopping rules without
/// temporaries.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::detail {

inline constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

/// Checks the fields every solver's params share.
inline void validate_common(const char* where, int max_iter, double tol, double divergence_factor) {
    require(max_iter >= 1, where, "max_iter", ">= 1", max_iter);
    require(std::isfinite(tol) && tol >= 0, where, "tol", "finite and >= 0", tol);
    require(std::isfinite(divergence_factor) && divergence_factor > 1, where, "divergence_factor", "finite and > 1",
            divergence_factor);
}

/// ‖x − y‖ and ‖x‖ in one pass over both vectors.
struct Change {
    double diff = 0;  ///< ‖x − y‖
    double norm = 0;  ///< ‖x‖
    /// ‖x − y‖ / ‖x‖ (‖x − y‖ when x = 0).
    double relative() const { return norm > 0 ? diff / norm : diff; }
};

template <Vector V>
Change change(const V& x, const V& y) {
    require_same_shape("lucid::detail::change", "y", x, y);
    double d2 = 0, n2 = 0;
    for_each_leaf([&](auto a, auto b) {
        const auto* pa = a.data();
        const auto* pb = b.data();
        const std::size_t n = a.size();
        double s0 = 0, s1 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double va = double(pa[i]);
            const double d = va - double(pb[i]);
            s0 += d * d;
            s1 += va * va;
        }
        d2 += s0;
        n2 += s1;
    }, x, y);
    return {std::sqrt(d2), std::sqrt(n2)};
}

/// ‖a·x + b·y + c·z + d·w‖ without a temporary.
template <Vector V>
double norm_of_combination(double a, const V& x, double b, const V& y, double c, const V& z, double d, const V& w) {
    double s = 0;
    for_each_leaf([&](auto px, auto py, auto pz, auto pw) {
        const std::size_t n = px.size();
        for (std::size_t i = 0; i < n; ++i) {
            const double v = a * double(px[i]) + b * double(py[i]) + c * double(pz[i]) + d * double(pw[i]);
            s += v * v;
        }
    }, x, y, z, w);
    return std::sqrt(s);
}

/// The clock, the history and the callback of one run.
///
/// `record` files iteration k (history when enabled, then the callback) and
/// returns true when the callback asked to stop (the status is then set).
/// The history is reserved for `max_iter` iterations up front
/// (`History::reserve_for_run`, capped), so recording never allocates inside
/// the loop of a run of at most that many iterations.
template <class V, class Callback>
class Monitor {
public:
    Monitor(RunInfo& info, Callback& callback, int max_iter, bool record_history)
        : info_(info), callback_(callback), record_(record_history) {
        if (record_) info_.history.reserve_for_run(max_iter);
    }

    double elapsed() const { return clock_.seconds(); }

    /// Files iteration k; true when the callback asks to stop.
    bool record(int k, const V& x, double objective, double residual) {
        info_.iterations = k;
        const double t = clock_.seconds();
        if (record_) info_.history.push(objective, residual, t);
        if (invoke_callback(callback_, IterationState<V>{k, x, objective, residual, t})) {
            finish(Status::stopped, "stopped by callback");
            return true;
        }
        return false;
    }
    /// Primal and dual residuals of iteration k (call before `record`).
    void record_split(double primal, double dual) {
        if (record_) info_.history.push_split(primal, dual);
    }
    /// The penalty / step of iteration k (call before `record`).
    void record_penalty(double p) {
        if (record_) info_.history.push_penalty(p);
    }

    void finish(Status s, std::string message) {
        info_.status = s;
        info_.message = std::move(message);
    }
    /// Ends the run as diverged; the caller has restored the last finite iterate.
    void diverge(int k, const char* what) {
        info_.iterations = k;
        finish(Status::diverged, concat(what, " at iteration ", k, "; x is the last finite iterate"));
    }

private:
    RunInfo& info_;
    Callback& callback_;
    bool record_;
    Stopwatch clock_;
};

/// The divergence rule shared by the solvers: a non-finite quantity, or an
/// iterate step larger than `factor`·max(1, ‖x₀‖).
class DivergenceGuard {
public:
    DivergenceGuard(double factor, double x0_norm) : limit_(factor * std::max(1.0, x0_norm)) {}
    /// True when `step` (‖x_k − x_{k−1}‖) or any of `values` signals divergence.
    template <class... D>
    bool operator()(double step, D... values) const {
        return !std::isfinite(step) || step > limit_ || !(std::isfinite(double(values)) && ...);
    }
    double limit() const { return limit_; }

private:
    double limit_;
};

}  // namespace lucid::detail
