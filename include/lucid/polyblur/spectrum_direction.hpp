#pragma once
/// \file spectrum_direction.hpp
/// The blur direction read off the decay of the image's power spectrum
/// (`DirectionRule::power_spectrum`), an alternative to POLYBLUR.md §2.6 that
/// does not depend on the photo's sharpest edges.
///
/// Model. A photo's power spectrum falls off as a power law with a
/// direction-dependent amplitude, |U(ω)|² ≈ A(φ)·|ω|^−γ (φ the angle of ω);
/// a Gaussian blur of spatial covariance Σ multiplies it by
/// |K(ω)|² = exp(−ωᵀΣω), and noise adds a flat floor N. So
/// \f[ \log\big(P(\omega) - N\big) = a(\varphi) - \gamma \log|\omega| - \omega^\top \Sigma\, \omega . \f]
/// Σ enters through how fast the spectrum falls *along each radial line*,
/// not through its level there, so the content's anisotropy A(φ) — the
/// photo's own edges, which bias every rule built on gradient maxima — is a
/// free per-direction offset and drops out. θ is the principal axis of the
/// fitted Σ.
///
/// Measurement (all on the gray image's interior, `border` excluded):
///  - P: Welch's average of periodograms of Hann-windowed tiles of at most
///    256×256 (50 % overlap, at most 4 tiles per axis spread evenly; the
///    window keeps the tile edges out of the spectrum);
///  - N: mean of P where |ωx| and |ωy| both exceed 0.8π (where a blur of
///    σ ≥ 1 px has left nothing but noise);
///  - bins: 12 angular bins over [0, π) × 16 radial bins evenly spaced in
///    log|ω| over [0.05π, π]; a bin is used when its mean P exceeds 2N and its
///    log(P − N) lies within 15 of the largest in its angular bin (below
///    that, the window's leakage from low frequencies, not the blur, sets the
///    level); an angular bin needs two used radial bins;
///  - fit: weighted least squares for (a_1..a_12, γ, Σxx, Σxy, Σyy), each bin
///    weighted by √n·(P − N)/P (n its number of frequencies; the factor is
///    the delta-method standard deviation of log(P − N) up to a constant).
///
/// Measured on the shipped photos (docs/polyblur.md): every one of the 30
/// test cases within ±15° noise-free and at 1 % noise, where the maxima-based
/// rules miss 1 to 4. When the interior is smaller than 32 pixels in a
/// dimension, or fewer than 3 angular bins carry signal above the noise, the
/// fit is not determined and the estimator falls back to
/// `DirectionRule::sinusoid_fit` (`BlurEstimation::direction_rule` says which
/// rule produced θ). Constants are this file's; none comes from a paper.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <memory>
#include <numbers>
#include <optional>
#include <vector>

#include <Eigen/Dense>

#include "lucid/core/fft.hpp"
#include "lucid/polyblur/detail.hpp"

namespace lucid::polyblur::detail {

/// The fitted spatial covariance Σ = [[xx, xy], [xy, yy]] of the blur in
/// pixels², x to the right and y up (the frame of `GaussianBlur`'s θ): an
/// oriented Gaussian (σ0 along θ, σ1 across) has
/// Σ = R(θ)·diag(σ0², σ1²)·R(θ)ᵀ.
struct SpectrumFit {
    double xx = 0, xy = 0, yy = 0;

    /// Principal axis of Σ, θ = ½·atan2(2Σxy, Σxx − Σyy) in [0, π); 0 when Σ
    /// has no preferred axis (Σxx = Σyy and Σxy = 0 up to rounding).
    double theta() const {
        const double gap = std::hypot(2 * xy, xx - yy);
        if (!(gap > 1e-12 * (std::abs(xx) + std::abs(yy)))) return 0.0;
        double theta = 0.5 * std::atan2(2 * xy, xx - yy);
        if (theta < 0) theta += std::numbers::pi;
        return theta < std::numbers::pi ? theta : 0.0;
    }
};

/// Measures P on tiles of a gray image and fits the model of the file comment.
/// Keeps the tile plan, window, buffers and bin tables between calls.
template <class T>
class SpectrumDirection {
public:
    static constexpr std::size_t max_tile = 256;
    static constexpr std::size_t min_tile = 32;
    static constexpr std::size_t max_tiles_per_axis = 4;
    static constexpr int angle_bins = 12;
    static constexpr int radius_bins = 16;
    static constexpr double radius_low = 0.05;     // × π rad/pixel
    static constexpr double noise_corner = 0.8;    // × π rad/pixel
    static constexpr double signal_to_noise = 1.0; // mean P − N must exceed this × N
    static constexpr double dynamic_range = 15.0;  // in log(P − N) below its angular bin's largest

    /// Σ fitted on the interior [border, h − border) × [border, w − border)
    /// of the h×w gray image, or nothing when the fit is not determined.
    std::optional<SpectrumFit> fit(const T* gray, std::size_t h, std::size_t w, std::size_t border) {
        const std::size_t ih = h - 2 * border, iw = w - 2 * border;
        if (ih < min_tile || iw < min_tile) return std::nullopt;
        prepare(std::min(ih, max_tile), std::min(iw, max_tile));
        const auto ys = tile_starts(ih, th_), xs = tile_starts(iw, tw_);
        const std::size_t ns = th_ * sw_;
        const std::ptrdiff_t jobs = std::ptrdiff_t(ys.size() * xs.size());
        const int workers = workers_for(jobs);
        if (workers_.size() < std::size_t(workers)) workers_.resize(std::size_t(workers));
        for (int t = 0; t < workers; ++t) workers_[std::size_t(t)].prepare(th_ * tw_, ns);
        parallel_jobs(jobs, workers, [&](std::ptrdiff_t job, int t) {
            Worker& k = workers_[std::size_t(t)];
            const std::size_t y0 = border + ys[std::size_t(job) / xs.size()];
            const std::size_t x0 = border + xs[std::size_t(job) % xs.size()];
            // Tile minus its mean (the DC term would leak through the window), times the window.
            double mean = 0;
            for (std::size_t y = 0; y < th_; ++y)
                for (std::size_t x = 0; x < tw_; ++x) mean += double(gray[(y0 + y) * w + x0 + x]);
            mean /= double(th_ * tw_);
            for (std::size_t y = 0; y < th_; ++y)
                for (std::size_t x = 0; x < tw_; ++x)
                    k.tile[y * tw_ + x] = T((double(gray[(y0 + y) * w + x0 + x]) - mean) * window_[y * tw_ + x]);
            plan_->r2c(k.tile.data(), k.spectrum.data());
            for (std::size_t i = 0; i < ns; ++i) k.power[i] += double(std::norm(k.spectrum[i]));
        });
        power_.assign(ns, 0.0);
        for (int t = 0; t < workers; ++t)
            for (std::size_t i = 0; i < ns; ++i) power_[i] += workers_[std::size_t(t)].power[i];
        return solve();
    }

private:
    struct Worker {
        fft::AlignedBuffer<T> tile;
        fft::AlignedBuffer<std::complex<T>> spectrum;
        std::vector<double> power;
        void prepare(std::size_t n, std::size_t ns) {
            if (tile.size() != n) tile = fft::AlignedBuffer<T>(n);
            if (spectrum.size() != ns) spectrum = fft::AlignedBuffer<std::complex<T>>(ns);
            power.assign(ns, 0.0);
        }
    };

    /// Sums over the frequencies of one (angle, radius) bin.
    struct Bin {
        double count = 0, log_radius = 0, xx = 0, xy = 0, yy = 0;
    };

    /// Starts of `t`-long tiles covering [0, n): 50 % overlap, evenly spread,
    /// at most max_tiles_per_axis (then they no longer overlap: a sample of the image).
    static std::vector<std::size_t> tile_starts(std::size_t n, std::size_t t) {
        if (n <= t) return {0};
        const std::size_t k = std::min(max_tiles_per_axis, (2 * (n - t) + t - 1) / t + 1);
        std::vector<std::size_t> s(k);
        for (std::size_t i = 0; i < k; ++i) s[i] = std::size_t(std::llround(double(i) * double(n - t) / double(k - 1)));
        return s;
    }

    /// Plan, window and bin tables for th×tw tiles (kept while the size stays).
    void prepare(std::size_t th, std::size_t tw) {
        if (plan_ && th == th_ && tw == tw_) return;
        th_ = th;
        tw_ = tw;
        sw_ = tw / 2 + 1;
        plan_ = fft::plan<T>(fft::Kind::r2c, th, tw, 1);
        auto hann = [](std::size_t n, std::size_t i) {
            return 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(n - 1));
        };
        window_.resize(th * tw);
        for (std::size_t y = 0; y < th; ++y)
            for (std::size_t x = 0; x < tw; ++x) window_[y * tw + x] = hann(th, y) * hann(tw, x);
        // Each half-spectrum entry: its bin (or −1), or −2 for the noise corner.
        bin_of_.assign(th * sw_, -1);
        bins_.assign(std::size_t(angle_bins * radius_bins), Bin{});
        const double pi = std::numbers::pi;
        for (std::size_t ky = 0; ky < th; ++ky) {
            const double wy = 2 * pi * double(ky <= th / 2 ? double(ky) : double(ky) - double(th)) / double(th);
            for (std::size_t kx = 0; kx < sw_; ++kx) {
                const double wx = 2 * pi * double(kx) / double(tw);
                const double r = std::hypot(wx, wy);
                int& b = bin_of_[ky * sw_ + kx];
                if (std::abs(wx) > noise_corner * pi && std::abs(wy) > noise_corner * pi) b = -2;
                if (r < radius_low * pi || r > pi) continue;
                double phi = std::atan2(wy, wx);  // in (−π/2, π/2] since wx >= 0
                if (phi < 0) phi += pi;
                const int a = std::min(angle_bins - 1, int(phi / pi * angle_bins));
                const int q = std::min(radius_bins - 1, int(std::log(r / (radius_low * pi)) /
                                                            std::log(1 / radius_low) * radius_bins));
                if (b == -1) b = a * radius_bins + q;
                Bin& s = bins_[std::size_t(a * radius_bins + q)];
                s.count += 1;
                s.log_radius += std::log(r);
                s.xx += wx * wx;
                s.xy += wx * wy;
                s.yy += wy * wy;
            }
        }
    }

    std::optional<SpectrumFit> solve() {
        const std::size_t nb = bins_.size();
        std::vector<double> sum(nb, 0.0);
        double noise = 0, corner = 0;
        for (std::size_t i = 0; i < power_.size(); ++i) {
            const int b = bin_of_[i];
            if (b >= 0) sum[std::size_t(b)] += power_[i];
            if (b == -2) {
                noise += power_[i];
                corner += 1;
            }
        }
        // Noise-free synthetic images have N = 0: leakage and rounding then set
        // the floor, which the dynamic-range rule handles.
        noise = corner > 0 ? noise / corner : 0.0;
        // Used bins: mean P above (1 + snr)·N; log(P − N) within the dynamic range.
        std::vector<double> level(nb, -INFINITY);
        for (std::size_t b = 0; b < nb; ++b) {
            if (bins_[b].count == 0) continue;
            const double mean = sum[b] / bins_[b].count;
            if (mean - noise > signal_to_noise * noise && mean > 0) level[b] = std::log(mean - noise);
        }
        std::vector<int> angle_column(angle_bins, -1);
        std::vector<std::size_t> used;
        int columns = 0;
        for (int a = 0; a < angle_bins; ++a) {
            double top = -INFINITY;
            for (int q = 0; q < radius_bins; ++q) top = std::max(top, level[std::size_t(a * radius_bins + q)]);
            std::vector<std::size_t> mine;
            for (int q = 0; q < radius_bins; ++q) {
                const std::size_t b = std::size_t(a * radius_bins + q);
                if (std::isfinite(level[b]) && level[b] >= top - dynamic_range) mine.push_back(b);
            }
            if (mine.size() < 2) continue;  // one level alone only fixes its own offset a(φ)
            angle_column[std::size_t(a)] = columns++;
            used.insert(used.end(), mine.begin(), mine.end());
        }
        const int unknowns = columns + 4;
        if (columns < 3 || int(used.size()) < unknowns + 1) return std::nullopt;
        Eigen::MatrixXd design = Eigen::MatrixXd::Zero(Eigen::Index(used.size()), unknowns);
        Eigen::VectorXd rhs(Eigen::Index(used.size()));
        for (std::size_t row = 0; row < used.size(); ++row) {
            const std::size_t b = used[row];
            const Bin& s = bins_[b];
            const double mean = sum[b] / s.count;
            const double weight = std::sqrt(s.count) * (mean - noise) / mean;
            const Eigen::Index i = Eigen::Index(row);
            design(i, angle_column[b / radius_bins]) = weight;
            design(i, columns) = -weight * s.log_radius / s.count;
            design(i, columns + 1) = -weight * s.xx / s.count;
            design(i, columns + 2) = -2 * weight * s.xy / s.count;
            design(i, columns + 3) = -weight * s.yy / s.count;
            rhs(i) = weight * level[b];
        }
        const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
        if (qr.rank() < unknowns) return std::nullopt;
        const Eigen::VectorXd x = qr.solve(rhs);
        // Frequencies were laid out with y down (image rows): flipping y negates Σxy.
        SpectrumFit f{x(columns + 1), -x(columns + 2), x(columns + 3)};
        if (!std::isfinite(f.xx) || !std::isfinite(f.xy) || !std::isfinite(f.yy)) return std::nullopt;
        return f;
    }

    std::size_t th_ = 0, tw_ = 0, sw_ = 0;
    std::shared_ptr<const fft::Plan<T>> plan_;
    std::vector<double> window_, power_;
    std::vector<int> bin_of_;
    std::vector<Bin> bins_;
    std::vector<Worker> workers_;
};

}  // namespace lucid::polyblur::detail
