#pragma once
/// \file atomic_file.hpp
/// All-or-nothing file output: the bytes go to a temporary file in the
/// destination's directory, which is flushed to disk and then renamed over the
/// destination. Readers see either the old file or the complete new one; a
/// failure at any step removes the temporary and leaves the destination as it was.

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lucid/core/error.hpp"
#include "lucid/io/file_error.hpp"

namespace lucid::io {

namespace detail {

/// A unique suffix for temporary names: process id, a counter and random bits.
inline std::string temporary_suffix() {
    static std::atomic<unsigned> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}() ^ (std::uint64_t(::getpid()) << 32)};
    return lucid::detail::concat(".lucid-tmp-", ::getpid(), "-", counter.fetch_add(1), "-", std::hex, rng() & 0xFFFFFFu);
}

}  // namespace detail

/// Writes `bytes` to `path` atomically (POSIX): create a hidden temporary `.NAME.lucid-tmp-XXXXXX`
/// next to `path` (mode 0666 minus umask, or the mode of the file it replaces),
/// write everything, `fsync`, `close`, `rename` over `path`, then `fsync` the
/// directory (best effort). On any failure the temporary is removed and an
/// `IoError` naming `path` and the system's reason is thrown; the previous
/// content of `path`, if any, is untouched.
///
/// `rename` replaces a symbolic link at `path` by a regular file rather than
/// writing through it. `where` prefixes error messages.
///
/// `cancel` (optional) is polled before the temporary is created, between
/// write chunks and just before the rename: once it reads true the temporary
/// is removed and `lucid::Cancelled` is thrown, `path` untouched. It lets a
/// signal handler that only sets a flag stop a write without leaving a file.
///
/// Example: `lucid::io::write_file_atomic("out.json", bytes);`
inline void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                              std::string_view where = "lucid::io::write_file_atomic",
                              const std::atomic<bool>* cancel = nullptr) {
    namespace fs = std::filesystem;
    if (path.empty()) lucid::detail::fail_argument(where, "path", "a non-empty file name", "''");
    if (!path.has_filename()) lucid::detail::fail_argument(where, "path", "a path that names a file", path.string());
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");

    std::error_code ec;
    const auto dir_status = fs::status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        detail::fail_write(where, path, "directory '" + dir.string() + "': " + ec.message());
    if (!fs::exists(dir_status)) detail::fail_write(where, path, "directory '" + dir.string() + "' does not exist");
    if (!fs::is_directory(dir_status)) detail::fail_write(where, path, "'" + dir.string() + "' is not a directory");
    struct stat target {};
    const bool target_exists = ::stat(path.c_str(), &target) == 0;
    if (target_exists && S_ISDIR(target.st_mode)) detail::fail_write(where, path, "it is a directory");
    auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
    auto cancel_message = [&] { return lucid::detail::concat(where, ": writing '", path.string(), "' was cancelled"); };
    if (cancelled()) throw Cancelled(cancel_message());

    // Create the temporary with O_EXCL so that an existing file is never reused.
    fs::path tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
        // keep the temporary's name within NAME_MAX (255) even for long file names
        const std::string name = path.filename().string();
        tmp = dir / ("." + (name.size() <= 200 ? name : name.substr(0, 200)) + detail::temporary_suffix());
        do fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        while (fd < 0 && errno == EINTR);
        if (fd < 0 && errno != EEXIST) detail::fail_write(where, path, detail::errno_text(errno));
    }
    if (fd < 0) detail::fail_write(where, path, "cannot create a unique temporary file");

    auto abort_with = [&](int err, std::string_view step) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        detail::fail_write(where, path, lucid::detail::concat(step, ": ", detail::errno_text(err)));
    };
    auto abort_if_cancelled = [&] {
        if (!cancelled()) return;
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw Cancelled(cancel_message());
    };

    if (target_exists && S_ISREG(target.st_mode)) (void)::fchmod(fd, target.st_mode & 07777);  // best effort
    std::size_t done = 0;
    while (done < bytes.size()) {
        abort_if_cancelled();
        // 16 MiB chunks: a raised cancel flag is seen within one chunk's write
        const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, std::size_t(1) << 24);
        const ssize_t n = ::write(fd, bytes.data() + done, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            abort_with(errno, "write failed");
        }
        if (n == 0) abort_with(EIO, "write made no progress");
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0) abort_with(errno, "fsync failed");
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) abort_with(errno, "close failed");
    abort_if_cancelled();
    if (::rename(tmp.c_str(), path.c_str()) != 0) abort_with(errno, "rename failed");

    // Make the rename itself durable; not all file systems support fsync on a directory.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace lucid::io
