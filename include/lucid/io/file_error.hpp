#pragma once
/// \file file_error.hpp
/// The messages of file errors: "<where>: cannot read '<path>': <reason>" and
/// "<where>: cannot write '<path>': <reason>", thrown as `lucid::IoError`.

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "lucid/core/error.hpp"

namespace lucid::io::detail {

/// Text of an errno value (thread-safe, unlike std::strerror).
inline std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

/// Throws IoError "<where>: cannot read '<path>': <reason>".
[[noreturn]] inline void fail_read(std::string_view where, const std::filesystem::path& path, std::string_view reason) {
    throw IoError(lucid::detail::concat(where, ": cannot read '", path.string(), "': ", reason));
}

/// Throws IoError "<where>: cannot write '<path>': <reason>".
[[noreturn]] inline void fail_write(std::string_view where, const std::filesystem::path& path, std::string_view reason) {
    throw IoError(lucid::detail::concat(where, ": cannot write '", path.string(), "': ", reason));
}

}  // namespace lucid::io::detail
