#pragma once
/// \file quadratic_update.hpp
/// The x-update of splitting methods (ADMM, HQS, PnP; lucid::detail):
/// \f[ x = \arg\min_x f(x) + \tfrac\rho2\|Kx - v\|^2. \f]
///
/// - K the identity and f proximable: x = prox_{f/ρ}(v).
/// - f = (w/2)‖Ax − b‖² (LeastSquares, Tikhonov) or f = 0: the normal equations
///   \f$ (wA^\top A + \rho K^\top K)\,x = wA^\top b + \rho K^\top v \f$, solved
///   * in closed form when AᵀA and KᵀK are diagonalized by the same transform
///     (`gram_spectrum_of`, DFT or DCT) on images: one transform pair through
///     an ops::SpectralOperator whose symbol 1/(wÂ + ρK̂) is rewritten in place
///     when ρ changes (no new buffers);
///   * otherwise by conjugate gradients warm-started from the previous x (CgWorkspace).

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/zero.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/ops/spectral_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"
#include "lucid/solvers/smooth_term.hpp"

namespace lucid::detail {

template <class K>
struct is_identity_operator : std::false_type {};
template <class V>
struct is_identity_operator<ops::Identity<V>> : std::true_type {};
template <class K>
inline constexpr bool is_identity_operator_v = is_identity_operator<std::remove_cvref_t<K>>::value;

/// The range type of a quadratic data term's operator (int for other functionals).
template <class F>
struct data_range_of {
    using type = int;
};
template <QuadraticDataTerm F>
struct data_range_of<F> {
    using type = range_t<std::remove_cvref_t<decltype(std::declval<const F&>().op())>>;
};

/// The x ↦ wAᵀAx + ρKᵀKx operator for CG (owns one range vector of A and of K and one domain vector).
template <class F, class K, class V>
class NormalOperator {
public:
    using scalar_type = scalar_t<V>;
    using domain_type = V;
    using range_type = V;
    using T = scalar_type;

    NormalOperator(const F& f, const K& k, const V& like) : f_(f), k_(k), kx_(make_range(k)), tmp_(zeros_like(like)) {
        if constexpr (QuadraticDataTerm<F>) ax_ = std::make_unique<typename data_range_of<F>::type>(make_range(f.op()));
    }
    void set_rho(T rho) { rho_ = rho; }
    auto domain_shape() const { return k_.domain_shape(); }
    auto range_shape() const { return k_.domain_shape(); }
    void apply(const V& x, V& y) const {
        k_.apply(x, kx_);
        k_.apply_adjoint(kx_, y);
        if constexpr (QuadraticDataTerm<F>) {
            f_.op().apply(x, *ax_);
            f_.op().apply_adjoint(*ax_, tmp_);
            axpby(T(f_.weight()), tmp_, rho_, y);
        } else {
            scale(rho_, y);
        }
    }
    void apply_adjoint(const V& y, V& x) const { apply(y, x); }

private:
    const F& f_;
    const K& k_;
    T rho_ = 1;
    mutable range_t<K> kx_;
    mutable V tmp_;
    std::unique_ptr<typename data_range_of<F>::type> ax_;
};

/// Solves x = argmin f(x) + (ρ/2)‖Kx − v‖² (see file comment). `AllowProx` =
/// false forces the normal equations even for K = I (closed-form Tikhonov).
template <class F, class K, class V, bool AllowProx = true>
class QuadraticUpdate {
public:
    using T = scalar_t<V>;
    static constexpr bool by_prox = AllowProx && is_identity_operator_v<K> && Proximable<F, V>;
    static constexpr bool normal_equations = !by_prox && (QuadraticDataTerm<F> || is_zero_functional_v<F>);
    static_assert(by_prox || normal_equations,
                  "lucid::admm/hqs: the x-update needs K = identity with a proximable f, or a quadratic f "
                  "(LeastSquares, Tikhonov) or lucid::Zero with any K");
    static constexpr std::size_t rank = image_rank<V>::value;

    /// `cg` sets the inner solves (only used without a closed form).
    QuadraticUpdate(const F& f, const K& k, const V& like, CgParams cg) : f_(f), k_(k), cg_params_(cg) {
        cg_params_.record_history = false;
        if constexpr (normal_equations) {
            rhs_ = std::make_unique<V>(zeros_like(like));
            if constexpr (QuadraticDataTerm<F>) {
                atb_ = std::make_unique<V>(zeros_like(like));
                f.op().apply_adjoint(f.data(), *atb_);
                scale(T(f.weight()), *atb_);
            }
            if constexpr (rank != 0) build_spectral(like);
            if (!spectral_) {
                normal_ = std::make_unique<NormalOperator<F, K, V>>(f, k, like);
                cg_ws_ = std::make_unique<CgWorkspace<V>>(like);
            }
        }
    }

    /// True when each solve is one transform pair (or a closed-form prox of f).
    bool closed_form() const {
        if constexpr (by_prox) return true;
        else return spectral_ != nullptr;
    }

    /// Sets ρ (rewrites the closed-form symbol in place; no allocation).
    void set_rho(T rho) {
        rho_ = rho;
        if constexpr (normal_equations) {
            if (spectral_) {
                if (rho == symbol_rho_) return;  // HQS and PnP call this every iteration, mostly with the same ρ
                symbol_rho_ = rho;
                const T scale_max = max_a_ + rho * max_k_;
                const T floor = scale_max * T(64) * std::numeric_limits<T>::epsilon();
                spectral_->assign_symbol(*base_, [rho, floor](std::complex<T> b) {
                    const T den = b.real() + rho * b.imag();
                    return std::complex<T>(den > floor ? T(1) / den : T(0), T(0));  // pseudo-inverse on the null space
                });
            } else {
                normal_->set_rho(rho);
            }
        }
    }

    /// x = argmin f(x) + (ρ/2)‖Kx − v‖²; x holds the warm start on entry.
    /// Returns the inner CG status (converged for closed forms).
    Status solve(const range_t<K>& v, V& x) {
        if constexpr (by_prox) {
            f_.prox(v, T(1) / rho_, x);
            return Status::converged;
        } else {
            V& rhs = *rhs_;
            k_.apply_adjoint(v, rhs);                                   // Kᵀv
            if constexpr (QuadraticDataTerm<F>) axpby(T(1), *atb_, rho_, rhs);  // wAᵀb + ρKᵀv
            else scale(rho_, rhs);
            return solve_normal(rhs, x);
        }
    }

    /// The same with v = z − u given through Kᵀz and Kᵀu, which ADMM keeps
    /// anyway (its residuals need them): rhs = wAᵀb + ρ(Kᵀz − Kᵀu) in one pass.
    /// The prox mode (K = I) forms z − u in `scratch`.
    template <class W>
    Status solve_split(const V& ktz, const V& ktu, const W& z, const W& u, W& scratch, V& x) {
        if constexpr (by_prox) {
            lincomb(T(1), z, T(-1), u, scratch);
            f_.prox(scratch, T(1) / rho_, x);
            return Status::converged;
        } else {
            V& rhs = *rhs_;
            const T rho = rho_;
            if constexpr (QuadraticDataTerm<F>) {
                for_each_leaf([rho](auto a, auto b, auto c, auto o) {
                    for (std::size_t i = 0; i < o.size(); ++i) o[i] = a[i] + rho * (b[i] - c[i]);
                }, *atb_, ktz, ktu, rhs);
            } else {
                lincomb(rho, ktz, -rho, ktu, rhs);
            }
            return solve_normal(rhs, x);
        }
    }

    /// x = (wAᵀA + ρKᵀK)⁻¹ rhs (normal-equation modes only); x is the warm start.
    Status solve_normal(const V& rhs, V& x) { return solve_normal_run(rhs, x).status; }

    /// The same, returning CG's run (iterations 0 on the transform path) and
    /// passing `callback` every CG iteration's state (it may stop the solve).
    /// The run is kept here and valid until the next solve (one RunInfo for
    /// every call: no allocation per solve).
    template <class Callback = callbacks::None>
    const RunInfo& solve_normal_run(const V& rhs, V& x, Callback&& callback = {}) {
        if constexpr (normal_equations) {
            if constexpr (rank != 0) {
                if (spectral_) {
                    spectral_->apply(rhs, x);
                    return closed_form_run();
                }
            }
            conjugate_gradient_inplace(cg_run_, *normal_, rhs, x, *cg_ws_, cg_params_, std::forward<Callback>(callback));
            return cg_run_;
        } else {
            return closed_form_run();
        }
    }

    /// wAᵀb (quadratic f) — nullptr otherwise.
    const V* atb() const { return atb_.get(); }

private:
    void build_spectral(const V& like) {
        if constexpr (rank != 0) {
            auto gk = gram_spectrum_of(k_);
            if (!gk || gk->blocks() != 1) return;
            std::optional<Spectrum<T>> ga;
            if constexpr (QuadraticDataTerm<F>) {
                if constexpr (!std::is_same_v<domain_t<std::remove_cvref_t<decltype(f_.op())>>, V>) return;
                else {
                    ga = gram_spectrum_of(f_.op());
                    if (!ga || ga->blocks() != 1) return;
                    *ga = spectrum_scale(T(f_.weight()), std::move(*ga));
                }
            } else {
                ga = Spectrum<T>::constant(T(0));
            }
            // base = wÂ + i·K̂ (both real): the symbol for any ρ is 1/(Re + ρ·Im).
            auto base = combine(*ga, *gk, 1, [&](std::size_t, std::size_t i, std::size_t j) {
                return std::complex<T>(at(*ga, 0, i, j).real(), at(*gk, 0, i, j).real());
            });
            if (!base) return;
            Shape<rank> shape;
            for (std::size_t i = 0; i < rank; ++i) shape[i] = like.shape()[i];
            if (base->transform != Transform::any && base->plane != plane_shape(shape)) return;
            max_a_ = max_k_ = 0;
            for (const auto& b : base->values) {
                max_a_ = std::max(max_a_, std::abs(b.real()));
                max_k_ = std::max(max_k_, std::abs(b.imag()));
            }
            spectral_ = std::make_unique<ops::SpectralOperator<T, (rank == 0 ? 2 : rank)>>(*base, shape);
            base_ = std::make_unique<Spectrum<T>>(std::move(*base));
            set_rho(rho_);
        }
    }

    const F& f_;
    const K& k_;
    CgParams cg_params_;
    T rho_ = 1;
    T symbol_rho_ = std::numeric_limits<T>::quiet_NaN();  ///< the ρ the spectral symbol holds (NaN: none yet)
    T max_a_ = 0, max_k_ = 0;
    // unique_ptr rather than optional: GCC 12 reports false maybe-uninitialized
    // warnings for disengaged optionals of containers.
    std::unique_ptr<V> rhs_, atb_;
    std::unique_ptr<Spectrum<T>> base_;
    std::unique_ptr<ops::SpectralOperator<T, (rank == 0 ? 2 : rank)>> spectral_;
    std::unique_ptr<NormalOperator<F, K, V>> normal_;
    std::unique_ptr<CgWorkspace<V>> cg_ws_;
    RunInfo cg_run_;

    const RunInfo& closed_form_run() {
        cg_run_.status = Status::converged;
        cg_run_.iterations = 0;
        cg_run_.message.clear();
        return cg_run_;
    }
};

}  // namespace lucid::detail
