#pragma once
/// \file spectrum.hpp
/// Transfer functions of operators that a fixed orthogonal transform diagonalizes.
///
/// A periodic convolution is diagonal in the DFT: A = F⁻¹ diag(Â) F. With the
/// half-sample symmetric (`reflect`) boundary and a kernel symmetric about
/// both axes (k[m,n] = k[−m,n] = k[m,−n] about the centre; point symmetry
/// alone, k[m,n] = k[−m,−n], is not enough in 2-D: a rotated anisotropic
/// Gaussian has it but couples the axes), convolution and Neumann differences
/// are diagonal in the 2-D DCT-II (Ng, Chan & Tang 1999): A = C⁻¹ diag(λ) C. Such operators report a
/// `Spectrum`; sums, compositions, adjoints, grams, polynomials and stacks of
/// them combine spectra pointwise, so (AᵀA + ρDᵀD)⁻¹ or p(K) costs one
/// transform pair (see SpectralOperator).
///
/// Layout: `values` has shape (blocks, rows, cols). One block per output
/// image of the operator (a gradient has 2). For `fourier`, rows × cols =
/// H × (W/2+1), the half spectrum of FFTW's r2c; for `cosine`, H × W real
/// eigenvalues (stored as complex with zero imaginary part). `any` is a
/// constant symbol valid for every transform (the identity and its
/// multiples); it has shape (blocks, 1, 1) and broadcasts.

#include <complex>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/aligned_buffer.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid {

/// The transform that diagonalizes an operator.
enum class Transform { any, fourier, cosine };

/// Storage of a symbol table: an xtensor on lucid's workspace memory
/// (huge pages from 1 MiB, core/aligned_buffer.hpp), so that an image-sized
/// table is not faulted in page by page when it is built.
template <class T>
using SymbolTable =
    xt::xtensor<std::complex<T>, 3, xt::layout_type::row_major, fft::detail::WorkspaceAllocator<std::complex<T>>>;

/// Pointwise symbol of a diagonalized operator (see file comment for layout).
template <class T>
struct Spectrum {
    Transform transform = Transform::any;
    Shape<2> plane{0, 0};                         ///< H, W of the image plane it acts on
    SymbolTable<T> values;                        ///< (blocks, rows, cols)

    std::size_t blocks() const { return values.shape()[0]; }

    /// Rows × cols of the symbol grid for a transform and plane.
    static Shape<2> grid(Transform t, Shape<2> plane) {
        switch (t) {
            case Transform::fourier: return {plane[0], plane[1] / 2 + 1};
            case Transform::cosine: return plane;
            case Transform::any: return {1, 1};
        }
        return {1, 1};
    }

    /// A constant symbol c (c·I) valid for any transform.
    static Spectrum constant(T c, std::size_t blocks = 1) {
        Spectrum s;
        s.values = SymbolTable<T>({blocks, 1, 1}, std::complex<T>(c));
        return s;
    }

    /// A zero symbol of the given transform, plane and block count.
    static Spectrum zeros(Transform t, Shape<2> plane, std::size_t blocks = 1) {
        Spectrum s;
        s.transform = t;
        s.plane = plane;
        const auto g = grid(t, plane);
        s.values = SymbolTable<T>({blocks, g[0], g[1]}, std::complex<T>(0));
        return s;
    }
};

/// A one-block symbol that factors over the two axes, Â[p, q] = rows[p]·cols[q]
/// (the DFT or the DCT-II eigenvalues of a separable kernel k = u·vᵀ), kept as
/// its two 1-D factors: H + (W/2 + 1) values (Fourier) or H + W (cosine)
/// instead of an image-sized table. Closed-form solvers read it row by row
/// (see `wiener`), so the symbol is never written out or streamed from memory.
template <class T>
struct SeparableSpectrum {
    Transform transform = Transform::any;
    Shape<2> plane{0, 0};                 ///< H, W of the image plane it acts on
    std::vector<std::complex<T>> rows;    ///< Spectrum<T>::grid(transform, plane)[0] values
    std::vector<std::complex<T>> cols;    ///< Spectrum<T>::grid(transform, plane)[1] values

    /// out[q − q0] = rows[p]·cols[q] for the columns q0 ≤ q < q1 of row p
    /// (real arithmetic: it vectorizes, std::complex's operator* does not).
    void row(std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* out) const {
        const T rr = rows[p].real(), ri = rows[p].imag();
        const T* c = reinterpret_cast<const T*>(cols.data() + q0);
        T* o = reinterpret_cast<T*>(out);
        for (std::size_t i = 0; i < q1 - q0; ++i) {
            const T cr = c[2 * i], ci = c[2 * i + 1];
            o[2 * i] = rr * cr - ri * ci;
            o[2 * i + 1] = rr * ci + ri * cr;
        }
    }

    /// The same symbol as a one-block `Spectrum` table.
    Spectrum<T> table() const {
        Spectrum<T> s;
        s.transform = transform;
        s.plane = plane;
        s.values = SymbolTable<T>({std::size_t(1), rows.size(), cols.size()});
        for (std::size_t p = 0; p < rows.size(); ++p) row(p, 0, cols.size(), s.values.data() + p * cols.size());
        return s;
    }
};

namespace detail {

/// Common transform and plane of two spectra, or nullopt if they cannot combine.
template <class T>
std::optional<std::pair<Transform, Shape<2>>> common_frame(const Spectrum<T>& a, const Spectrum<T>& b) {
    if (a.transform == Transform::any) return std::pair{b.transform, b.plane};
    if (b.transform == Transform::any) return std::pair{a.transform, a.plane};
    if (a.transform != b.transform || a.plane != b.plane) return std::nullopt;
    return std::pair{a.transform, a.plane};
}

/// Value of block `b` at (i, j), broadcasting constant symbols.
template <class T>
std::complex<T> at(const Spectrum<T>& s, std::size_t b, std::size_t i, std::size_t j) {
    if (s.transform == Transform::any) return s.values(b, 0, 0);
    return s.values(b, i, j);
}

/// Builds a spectrum on the common frame of a and b, entry by entry.
template <class T, class F>
std::optional<Spectrum<T>> combine(const Spectrum<T>& a, const Spectrum<T>& b, std::size_t blocks, F&& f) {
    const auto frame = common_frame(a, b);
    if (!frame) return std::nullopt;
    Spectrum<T> out;
    out.transform = frame->first;
    out.plane = frame->second;
    const auto g = Spectrum<T>::grid(out.transform, out.plane);
    out.values = SymbolTable<T>({blocks, g[0], g[1]});
    for (std::size_t k = 0; k < blocks; ++k)
        for (std::size_t i = 0; i < g[0]; ++i)
            for (std::size_t j = 0; j < g[1]; ++j) out.values(k, i, j) = f(k, i, j);
    return out;
}

}  // namespace detail

/// Symbol of A∘B: Â·B̂ (B must have one block; A's blocks are kept).
template <class T>
std::optional<Spectrum<T>> spectrum_compose(const Spectrum<T>& a, const Spectrum<T>& b) {
    if (b.blocks() != 1) return std::nullopt;
    return detail::combine(a, b, a.blocks(), [&](std::size_t k, std::size_t i, std::size_t j) {
        return detail::at(a, k, i, j) * detail::at(b, 0, i, j);
    });
}

/// Symbol of A + B: Â + B̂ (same block count).
template <class T>
std::optional<Spectrum<T>> spectrum_sum(const Spectrum<T>& a, const Spectrum<T>& b) {
    if (a.blocks() != b.blocks()) return std::nullopt;
    return detail::combine(a, b, a.blocks(), [&](std::size_t k, std::size_t i, std::size_t j) {
        return detail::at(a, k, i, j) + detail::at(b, k, i, j);
    });
}

/// Symbol of s·A.
template <class T>
Spectrum<T> spectrum_scale(T s, Spectrum<T> a) {
    a.values *= std::complex<T>(s);
    return a;
}

/// Symbol of Aᵀ: conj(Â) (one block only).
template <class T>
std::optional<Spectrum<T>> spectrum_adjoint(Spectrum<T> a) {
    if (a.blocks() != 1) return std::nullopt;
    for (auto& v : a.values) v = std::conj(v);
    return a;
}

/// Symbol of AᵀA: Σ_blocks |Â_b|².
template <class T>
Spectrum<T> spectrum_gram(const Spectrum<T>& a) {
    Spectrum<T> out;
    out.transform = a.transform;
    out.plane = a.plane;
    const std::size_t rows = a.values.shape()[1], cols = a.values.shape()[2];
    out.values = SymbolTable<T>({1, rows, cols}, std::complex<T>(0));
    for (std::size_t k = 0; k < a.blocks(); ++k)
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) out.values(0, i, j) += std::norm(a.values(k, i, j));
    return out;
}

/// Symbol of Σᵢ cᵢ Aⁱ by Horner's rule (one block only).
template <class T>
std::optional<Spectrum<T>> spectrum_polynomial(const Spectrum<T>& a, const std::vector<T>& coeffs) {
    if (a.blocks() != 1 || coeffs.empty()) return std::nullopt;
    Spectrum<T> out = a;
    for (auto& v : out.values) {
        std::complex<T> acc(coeffs.back());
        for (std::size_t i = coeffs.size() - 1; i-- > 0;) acc = acc * v + coeffs[i];
        v = acc;
    }
    return out;
}

/// Symbol of the vertical stack [A; B]: the blocks of A followed by those of B.
template <class T>
std::optional<Spectrum<T>> spectrum_stack(const Spectrum<T>& a, const Spectrum<T>& b) {
    const std::size_t na = a.blocks();
    return detail::combine(a, b, na + b.blocks(), [&](std::size_t k, std::size_t i, std::size_t j) {
        return k < na ? detail::at(a, k, i, j) : detail::at(b, k - na, i, j);
    });
}

/// Symbol of A⁻¹: 1/Â. Throws if some eigenvalue is below `tolerance` in modulus.
template <class T>
Spectrum<T> spectrum_inverse(Spectrum<T> a, T tolerance = T(0)) {
    require(a.blocks() == 1, "lucid::spectrum_inverse", "spectrum", "a single-block (square) symbol",
            detail::concat(a.blocks(), " blocks"));
    for (auto& v : a.values) {
        if (!(std::abs(v) > tolerance))
            throw Error(detail::concat("lucid::spectrum_inverse: operator is singular (an eigenvalue has modulus ",
                                       std::abs(v), " <= tolerance ", tolerance, ")"));
        v = T(1) / v;
    }
    return a;
}

}  // namespace lucid

namespace lucid {

/// Operators that may report a transfer function.
template <class A>
concept HasSpectrum = requires(const A& a) {
    { a.spectrum() };
};

/// A's spectrum if A reports one, otherwise nullopt.
template <class A>
auto spectrum_of(const A& a) -> std::optional<Spectrum<typename A::scalar_type>> {
    if constexpr (HasSpectrum<A>) return a.spectrum();
    else return std::nullopt;
}

/// Operators that may report their symbol as a `SeparableSpectrum`.
template <class A>
concept HasSeparableSpectrum = requires(const A& a) {
    { a.separable_spectrum() };
};

/// A's symbol as two 1-D factors if A reports them (a separable kernel on a
/// boundary with a spectrum), otherwise nullopt; `spectrum_of(a)` then still
/// gives the table.
template <class A>
auto separable_spectrum_of(const A& a) -> std::optional<SeparableSpectrum<typename A::scalar_type>> {
    if constexpr (HasSeparableSpectrum<A>) return a.separable_spectrum();
    else return std::nullopt;
}

/// Operators whose normal operator AᵀA is diagonalized even where A itself is
/// not: Neumann differences map DCT-II to DST-II, yet DᵀD (the Neumann
/// Laplacian) is DCT-II diagonal. They report `gram_spectrum()`.
template <class A>
concept HasGramSpectrum = requires(const A& a) {
    { a.gram_spectrum() };
};

/// Symbol of AᵀA: A's own `gram_spectrum()` if it has one, else Σ|Â_b|² from
/// its spectrum, else nullopt.
template <class A>
auto gram_spectrum_of(const A& a) -> std::optional<Spectrum<typename A::scalar_type>> {
    if constexpr (HasGramSpectrum<A>) {
        return a.gram_spectrum();
    } else {
        auto s = spectrum_of(a);
        if (!s) return std::nullopt;
        return spectrum_gram(*s);
    }
}

}  // namespace lucid
