#pragma once
/// \file error.hpp
/// The exception family of lucid and the small checks that raise it.
///
/// Every public entry point validates its inputs and throws an `lucid::Error`
/// whose message names the function, the argument and the expected value, e.g.
/// `lucid::kernels::gaussian: argument 'sigma' must be > 0 (got -1)`.
/// Non-convergence is never an exception: solvers report it as a `Status`.

#include <cmath>
#include <concepts>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace lucid {

/// Base of every exception lucid throws on invalid input or unusable data.
class Error : public std::invalid_argument {
public:
    explicit Error(const std::string& what) : std::invalid_argument(what) {}
};

/// Shapes of operator, image and buffer do not fit together.
class ShapeError : public Error {
public:
    using Error::Error;
};

/// A file could not be read or written, or its content is not a valid image.
class IoError : public Error {
public:
    using Error::Error;
};

/// An operation stopped because the caller raised its cancel flag (for
/// example `io::WriteOptions::cancel`); it left nothing behind.
class Cancelled : public Error {
public:
    using Error::Error;
};

namespace detail {

template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream os;
    os.precision(10);
    (os << ... << parts);
    return os.str();
}

/// Throws `E` with "where: argument 'name' must be <expected> (got <got>)".
template <class E = Error, class Got>
[[noreturn]] void fail_argument(std::string_view where, std::string_view name,
                                std::string_view expected, const Got& got) {
    throw E(concat(where, ": argument '", name, "' must be ", expected, " (got ", got, ")"));
}

}  // namespace detail

/// Throws unless `condition`; the message names the argument and the rule.
template <class Got>
void require(bool condition, std::string_view where, std::string_view name,
             std::string_view expected, const Got& got) {
    if (!condition) detail::fail_argument(where, name, expected, got);
}

/// Requires a finite value > 0.
template <class T>
void require_positive(std::string_view where, std::string_view name, T value) {
    if constexpr (std::floating_point<T>)
        require(std::isfinite(value) && value > T(0), where, name, "finite and > 0", value);
    else
        require(value > T(0), where, name, "> 0", value);
}

/// Requires a finite value >= 0.
template <class T>
void require_nonnegative(std::string_view where, std::string_view name, T value) {
    if constexpr (std::floating_point<T>)
        require(std::isfinite(value) && value >= T(0), where, name, "finite and >= 0", value);
    else
        require(value >= T(0), where, name, ">= 0", value);
}

/// Requires `value`, converted to T, to be a positive normal number of T
/// (not 0, subnormal, infinite or NaN): weights that enter a denominator as
/// 1/(a + value) with a possibly 0 must not let it overflow. `got` is what
/// the message reports (the value, or how it was obtained).
template <std::floating_point T, class Got>
void require_positive_normal(std::string_view where, std::string_view name, double value, const Got& got) {
    constexpr T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    const T v = T(value);
    if (!(v >= lo && v <= hi))
        detail::fail_argument(where, name,
                              detail::concat("in [", lo, ", ", hi, "] (a normal ",
                                             std::is_same_v<T, float> ? "float" : "double", ")"),
                              got);
}

/// Requires a finite value (not NaN, not infinite).
template <std::floating_point T>
void require_finite(std::string_view where, std::string_view name, T value) {
    require(std::isfinite(value), where, name, "finite", value);
}

}  // namespace lucid
