#pragma once
/// \file input_file.hpp
/// Reading a whole image file into memory with errors that name the path and
/// the reason (errno text). Only regular files are read: a FIFO or a device
/// is refused instead of blocking.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lucid/core/error.hpp"
#include "lucid/io/file_error.hpp"

namespace lucid::io::detail {

/// An open, regular, non-empty file (RAII file descriptor).
class InputFile {
public:
    InputFile(const std::filesystem::path& path, std::string_view where) : path_(path), where_(where) {
        if (path.empty()) lucid::detail::fail_argument(where, "path", "a non-empty file name", "''");
        // O_NONBLOCK: opening a FIFO without a writer must not hang.
        do fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        while (fd_ < 0 && errno == EINTR);
        if (fd_ < 0) fail_read(where_, path_, errno_text(errno));
        struct stat st {};
        if (::fstat(fd_, &st) != 0) fail(errno_text(errno));
        if (S_ISDIR(st.st_mode)) fail("it is a directory");
        if (!S_ISREG(st.st_mode)) fail("it is not a regular file");
        if (st.st_size == 0) fail("the file is empty (0 bytes)");
        size_ = std::uint64_t(st.st_size);
    }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile() {
        if (fd_ >= 0) ::close(fd_);
    }

    /// Size in bytes at open time.
    std::uint64_t size() const { return size_; }

    /// Up to `n` bytes from offset 0 (fewer if the file is shorter).
    std::vector<std::uint8_t> head(std::size_t n) const {
        std::vector<std::uint8_t> out(std::size_t(std::min<std::uint64_t>(n, size_)));
        out.resize(read_at(0, out.data(), out.size()));
        return out;
    }

    /// The whole file. Throws if it is larger than `max_bytes` (reason: `too_large`).
    std::vector<std::uint8_t> all(std::uint64_t max_bytes, std::string_view too_large) const {
        if (size_ > max_bytes) fail(too_large);
        std::vector<std::uint8_t> out(static_cast<std::size_t>(size_));
        out.resize(read_at(0, out.data(), out.size()));
        if (out.empty()) fail("the file is empty (0 bytes)");
        return out;
    }

    /// Throws IoError "<where>: cannot read '<path>': <reason>".
    [[noreturn]] void fail(std::string_view reason) const { fail_read(where_, path_, reason); }

private:
    std::size_t read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n) const {
        std::size_t done = 0;
        while (done < n) {
            const std::size_t chunk = std::min<std::size_t>(n - done, std::size_t(1) << 30);
            const ssize_t got = ::pread(fd_, dst + done, chunk, off_t(offset + done));
            if (got < 0) {
                if (errno == EINTR) continue;
                fail(errno_text(errno));
            }
            if (got == 0) break;  // the file shrank since fstat: the caller sees fewer bytes
            done += std::size_t(got);
        }
        return done;
    }

    std::filesystem::path path_;
    std::string where_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace lucid::io::detail
