#pragma once
// Progress lines on stderr for long runs, and the solver callback the tool
// passes to every iterative solver: it prints progress, records PSNR against a
// reference when asked, and stops the run when SIGINT arrived.

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "lucid/metrics/psnr.hpp"

namespace lucid::cli {

/// "label  iter k/N  objective F  elapsed t s" rewritten in place on stderr,
/// at most 10 times a second and only after the first half second; silent
/// when disabled (--quiet, or stderr not a terminal).
class Progress {
public:
    Progress(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {}
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    ~Progress() { finish(); }

    bool enabled() const { return enabled_; }

    void update(int iteration, int max_iter, double objective, double residual) {
        if (!enabled_) return;
        const double t = clock_.seconds();
        if (t < 0.5 || t - last_ < 0.1) return;
        last_ = t;
        std::string line = "\r" + label_ + "  iter " + std::to_string(iteration);
        if (max_iter > 0) line += "/" + std::to_string(max_iter);
        if (std::isfinite(objective)) line += "  objective " + fmt(objective, "%.6g");
        if (std::isfinite(residual)) line += "  residual " + fmt(residual, "%.3g");
        line += "  elapsed " + fmt(t, "%.1f") + " s   ";
        std::fputs(line.c_str(), stderr);
        std::fflush(stderr);
        shown_ = true;
        detail::progress_line_open().store(true);
    }

    /// A one-off status line (e.g. "denoising ...") once the run is slow enough.
    void note(const std::string& what) {
        if (!enabled_) return;
        const double t = clock_.seconds();
        if (t < 0.5) return;
        std::fputs(("\r" + label_ + "  " + what + "  elapsed " + fmt(t, "%.1f") + " s   ").c_str(), stderr);
        std::fflush(stderr);
        shown_ = true;
        detail::progress_line_open().store(true);
    }

    void finish() {
        if (shown_) std::fputs("\n", stderr);
        shown_ = false;
        detail::progress_line_open().store(false);
    }

private:
    std::string label_;
    bool enabled_;
    bool shown_ = false;
    double last_ = -1;
    Stopwatch clock_;
};

/// The callback every solver run of the tool gets.
struct SolverHook {
    Progress* progress = nullptr;
    int max_iter = 0;
    const Image<double>* reference = nullptr;  ///< record PSNR per iteration (same shape only)
    std::vector<double>* psnr_trace = nullptr;

    template <class State>
    bool operator()(const State& s) const {
        if (progress) progress->update(s.iteration, max_iter, s.objective, s.residual);
        if (reference && psnr_trace) {
            if constexpr (requires { s.x.shape(); }) {
                const auto& x = s.x;
                if (x.dimension() == 2 && x.shape()[0] == reference->shape()[0] &&
                    x.shape()[1] == reference->shape()[1]) {
                    // PSNR of the clamped iterate (data range 1), without a copy.
                    const double* p = x.data();
                    const double* r = reference->data();
                    double sse = 0;
                    for (std::size_t i = 0; i < reference->size(); ++i) {
                        const double d = std::clamp(double(p[i]), 0.0, 1.0) - r[i];
                        sse += d * d;
                    }
                    const double mse = sse / double(reference->size());
                    psnr_trace->push_back(mse > 0 ? 10 * std::log10(1 / mse) : std::numeric_limits<double>::infinity());
                }
            }
        }
        return interrupt_requested();
    }
};

}  // namespace lucid::cli
