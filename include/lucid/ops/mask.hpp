#pragma once
/// \file mask.hpp
/// A binary pixel mask: the forward operator of inpainting.

#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::ops {

/// Pixel masking for inpainting: \f$ y = m \odot x \f$ with \f$ m_i \in \{0, 1\} \f$
/// (1 = observed, 0 = missing). Self-adjoint and idempotent (MᵀM = M, a projection),
/// ‖M‖ = 1 unless m = 0. Missing pixels are set to 0 in y, so y keeps the image shape.
/// Rank 3 (C×H×W): a full C×H×W mask, or one H×W mask shared by all channels.
/// For weights other than 0/1 use ops::Diagonal.
///
/// \code
/// Image<double> m = ...;               // 1 where the pixel is known
/// ops::Mask<double> M(m);
/// auto y = M(x);                       // known pixels, zeros elsewhere
/// \endcode
template <class T, std::size_t Rank = 2>
class Mask : public OperatorBase<Mask<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Mask<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Mask acts on H×W images or C×H×W stacks");
    static constexpr const char* where_ = "lucid::ops::Mask";

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;

    /// The mask m (every value exactly 0 or 1; the image shape of the operator).
    explicit Mask(xt::xtensor<T, Rank> mask) : m_(std::move(mask)) { validate(); }

    /// A boolean mask (true = observed).
    explicit Mask(const xt::xtensor<bool, Rank>& mask) : m_(mask.shape()) {
        for (std::size_t i = 0; i < mask.size(); ++i) m_.data()[i] = mask.data()[i] ? T(1) : T(0);
        validate();
    }

    /// One H×W mask applied to every channel of C×H×W stacks (Rank 3 only).
    Mask(const Image<T>& plane_mask, std::size_t channels)
        requires(Rank == 3)
    {
        require(channels >= 1, where_, "channels", ">= 1", channels);
        m_ = xt::xtensor<T, 3>({channels, plane_mask.shape()[0], plane_mask.shape()[1]});
        const std::size_t n = plane_mask.size();
        for (std::size_t c = 0; c < channels; ++c)
            std::copy(plane_mask.data(), plane_mask.data() + n, m_.data() + c * n);
        validate();
    }

    Shape<Rank> domain_shape() const { return shape(); }
    Shape<Rank> range_shape() const { return shape(); }
    /// The 0/1 mask.
    const xt::xtensor<T, Rank>& mask() const { return m_; }
    /// Number of observed (m = 1) entries.
    std::size_t observed_count() const { return observed_; }

    /// y = m ⊙ x.
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::Mask::apply";
        require_shape(where, "x", x.shape(), m_.shape());
        require_shape(where, "y", y.shape(), m_.shape());
        multiply(x, y);
    }
    /// x = mᵀ ⊙ y = m ⊙ y (self-adjoint).
    void apply_adjoint(const range_type& y, domain_type& x) const {
        constexpr const char* where = "lucid::ops::Mask::apply_adjoint";
        require_shape(where, "y", y.shape(), m_.shape());
        require_shape(where, "x", x.shape(), m_.shape());
        multiply(y, x);
    }

private:
    Shape<Rank> shape() const {
        Shape<Rank> s;
        for (std::size_t i = 0; i < Rank; ++i) s[i] = m_.shape()[i];
        return s;
    }
    void validate() {
        require(m_.size() > 0, where_, "mask", "a non-empty image", shape_string(m_.shape()));
        observed_ = 0;
        for (std::size_t i = 0; i < m_.size(); ++i) {
            const T v = m_.data()[i];
            if (!(v == T(0) || v == T(1)))
                detail::fail_argument(where_, "mask", "binary (every value exactly 0 or 1)",
                                      detail::concat(v, " at flat index ", i));
            observed_ += v == T(1);
        }
    }
    void multiply(const xt::xtensor<T, Rank>& in, xt::xtensor<T, Rank>& out) const {
        const T* __restrict m = m_.data();
        const T* __restrict a = in.data();
        T* __restrict b = out.data();
        parallel_for(0, std::ptrdiff_t(m_.size()), [=](std::ptrdiff_t i) { b[i] = m[i] * a[i]; },
                     std::ptrdiff_t(1) << 20);
    }

    xt::xtensor<T, Rank> m_;
    std::size_t observed_ = 0;
};

}  // namespace lucid::ops
