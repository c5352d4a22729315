#pragma once
/// \file parse_spec.hpp
/// The kernel SPEC strings of the `lucid` command line.

#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/box.hpp"
#include "lucid/kernels/disk.hpp"
#include "lucid/kernels/from_image.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/kernels/motion.hpp"
#include "lucid/kernels/toeplitz_row.hpp"

namespace lucid::kernels {

namespace detail {

inline constexpr const char* spec_where = "lucid::kernels::parse_spec";

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A finite decimal number filling all of `text`, or an Error naming `key`.
inline double parse_number(std::string_view key, std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
        lucid::detail::fail_argument(spec_where, key, "a finite number", "'" + std::string(text) + "'");
    return v;
}

/// key=value pairs of a SPEC body; unknown and repeated keys are errors naming the key.
inline std::map<std::string, double> parse_pairs(std::string_view kernel, std::string_view body,
                                                 const std::vector<std::string>& allowed) {
    std::map<std::string, double> out;
    std::string allowed_list;
    for (const auto& a : allowed) allowed_list += (allowed_list.empty() ? "" : ", ") + a;
    std::size_t start = 0;
    while (start <= body.size()) {
        const std::size_t comma = body.find(',', start);
        const std::string_view item = trim(body.substr(start, comma == std::string_view::npos ? body.npos : comma - start));
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty())
            lucid::detail::fail_argument(spec_where, "spec",
                                         lucid::detail::concat("a list KEY=VALUE,... for '", kernel, "' (keys ",
                                                               allowed_list, ")"),
                                         "'" + std::string(item) + "'");
        const std::string key(trim(item.substr(0, eq)));
        bool known = false;
        for (const auto& a : allowed) known = known || a == key;
        if (!known)
            lucid::detail::fail_argument(spec_where, key,
                                         lucid::detail::concat("a known key of '", kernel, "' (", allowed_list, ")"),
                                         "unknown key '" + key + "'");
        if (out.count(key))
            lucid::detail::fail_argument(spec_where, key, "given once", "a repeated key '" + key + "'");
        out[key] = parse_number(key, item.substr(eq + 1));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

inline double required(const std::map<std::string, double>& kv, std::string_view kernel, const std::string& key) {
    auto it = kv.find(key);
    if (it == kv.end())
        lucid::detail::fail_argument(spec_where, key, lucid::detail::concat("given for '", kernel, "'"), "nothing");
    return it->second;
}

inline double positive(const std::map<std::string, double>& kv, std::string_view kernel, const std::string& key) {
    const double v = required(kv, kernel, key);
    require_positive(spec_where, key, v);
    return v;
}

inline std::size_t positive_integer(const std::map<std::string, double>& kv, std::string_view kernel,
                                    const std::string& key) {
    const double v = required(kv, kernel, key);
    require(v >= 1 && v <= 1e5 && v == std::floor(v), spec_where, key, "an integer in [1, 100000]", v);
    return std::size_t(v);
}

}  // namespace detail

/// Builds a kernel from a command-line SPEC (DESIGN.md), normalized to sum 1:
///
/// | SPEC                                   | kernel                                          |
/// |----------------------------------------|-------------------------------------------------|
/// | `gaussian:sigma=2[,size=N]`            | gaussian<T>(σ)                                  |
/// | `gaussian:sigma0=2,sigma1=1[,theta=30][,size=N]` | gaussian<T>(σ0, σ1, θ·π/180) (θ in degrees, default 0) |
/// | `motion:length=15[,angle=45]`          | motion<T>(length, angle in degrees, default 0)  |
/// | `disk:radius=4`                        | disk<T>(radius)                                 |
/// | `box:size=5`                           | box<T>(size)                                    |
/// | `toeplitz:1,2,3,4,3,2,1`               | toeplitz_row<T>(weights) (1×n, normalized)      |
/// | `file:k.png`                           | from_image<T>(path) (the rest of the string)    |
///
/// Keys are case-sensitive; spaces around items are ignored. Errors (lucid::Error)
/// name the offending key: a malformed SPEC names `spec`, an unknown or repeated
/// key names that key, and a negative, zero or non-finite σ, length, radius or
/// size names its key (angles may be negative, but must be finite).
/// ```cpp
/// auto k = lucid::kernels::parse_spec<double>("motion:length=15,angle=45");
/// ```
template <class T>
Image<T> parse_spec(std::string_view spec) {
    using namespace detail;
    const std::string_view s = trim(spec);
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0)
        lucid::detail::fail_argument(spec_where, "spec",
                                     "NAME:PARAMETERS with NAME one of gaussian, motion, disk, box, toeplitz, file "
                                     "(e.g. gaussian:sigma=2)",
                                     "'" + std::string(spec) + "'");
    const std::string name(trim(s.substr(0, colon)));
    const std::string_view body = s.substr(colon + 1);
    constexpr double deg = 3.14159265358979323846 / 180.0;
    if (name == "file") {
        const std::string_view path = trim(body);
        require(!path.empty(), spec_where, "path", "a file name after 'file:'", "nothing");
        return from_image<T>(std::string(path));
    }
    if (name == "toeplitz") {
        std::vector<double> w;
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = body.find(',', start);
            const double v =
                parse_number("weights", body.substr(start, comma == std::string_view::npos ? body.npos : comma - start));
            if (v < 0) lucid::detail::fail_argument(spec_where, "weights", "finite and >= 0", v);
            w.push_back(v);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return toeplitz_row<T>(w);
    }
    if (name == "gaussian") {
        const auto kv = parse_pairs(name, body, {"sigma", "sigma0", "sigma1", "theta", "size"});
        const std::size_t size = kv.count("size") ? positive_integer(kv, name, "size") : 0;
        if (kv.count("sigma")) {
            for (const char* other : {"sigma0", "sigma1", "theta"})
                if (kv.count(other))
                    lucid::detail::fail_argument(spec_where, other, "absent when 'sigma' is given (isotropic)",
                                                 kv.at(other));
            return gaussian<T>(positive(kv, name, "sigma"), size);
        }
        const double s0 = positive(kv, name, "sigma0"), s1 = positive(kv, name, "sigma1");
        const double theta = kv.count("theta") ? kv.at("theta") : 0.0;
        return gaussian<T>(s0, s1, theta * deg, size);
    }
    if (name == "motion") {
        const auto kv = parse_pairs(name, body, {"length", "angle"});
        return motion<T>(positive(kv, name, "length"), kv.count("angle") ? kv.at("angle") : 0.0);
    }
    if (name == "disk") {
        const auto kv = parse_pairs(name, body, {"radius"});
        return disk<T>(positive(kv, name, "radius"));
    }
    if (name == "box") {
        const auto kv = parse_pairs(name, body, {"size"});
        return box<T>(positive_integer(kv, name, "size"));
    }
    lucid::detail::fail_argument(spec_where, "spec", "a kernel name among gaussian, motion, disk, box, toeplitz, file",
                                 "'" + name + "'");
}

}  // namespace lucid::kernels
