#pragma once
// Shared pieces of the lucid command-line tool: exit codes, the error types
// that map onto them, SIGINT handling, options every computing command takes,
// image input/output with argument-naming errors, and wall-clock timing.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "args.hpp"
#include "json.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/io/read.hpp"
#include "lucid/io/write.hpp"

namespace lucid::cli {

/// Exit codes of every command (also listed by `lucid --help` and docs/cli.md).
enum ExitCode : int {
    exit_ok = 0,           ///< success
    exit_failure = 1,      ///< runtime or data error: unreadable/corrupt file, write failure, solver diverged
    exit_usage = 2,        ///< bad command line: unknown command/option/method, malformed value or SPEC
    exit_interrupted = 130 ///< SIGINT (Ctrl-C): the run was stopped and nothing was written
};

/// A runtime or data error raised by the tool itself (exit code 1).
class Failure : public lucid::Error {
public:
    using Error::Error;
};

/// Thrown when SIGINT stopped the run (exit code 130).
class Interrupted : public std::exception {
public:
    const char* what() const noexcept override { return "interrupted"; }
};

// ---- SIGINT -----------------------------------------------------------------
//
// While a solver runs or an output is written, SIGINT only raises a flag: the
// solver's callback sees it and stops the run, a write sees it before its
// rename and removes its temporary; the command then throws Interrupted and
// writes nothing. `lucid demo` polls the flag between its steps (its staging
// directory must be removed). Elsewhere (reading, closed-form steps without a
// callback) the handler ends the process at once with status 130: nothing is
// being written there. A second SIGINT always ends at once.

namespace detail {
inline std::atomic<bool>& interrupt_flag() {
    static std::atomic<bool> f{false};
    return f;
}
inline std::atomic<int>& cooperative_depth() {
    static std::atomic<int> d{0};
    return d;
}
/// --quiet also silences notes (e.g. a dropped alpha channel).
inline bool& notes_silenced() {
    static bool quiet = false;
    return quiet;
}
/// --max-pixels: the decompression-bomb limit of every image this run reads.
inline std::uint64_t& read_pixel_limit() {
    static std::uint64_t limit = lucid::io::ReadOptions{}.max_pixels;
    return limit;
}
inline std::atomic<bool>& handler_installed() {
    static std::atomic<bool> h{false};
    return h;
}
/// True while a progress line (ended by '\r', not '\n') is on stderr.
inline std::atomic<bool>& progress_line_open() {
    static std::atomic<bool> open{false};
    return open;
}
/// "lucid <command>: interrupted; no output written\n", prepared before the
/// handler is installed (a signal handler may only write(), not format).
inline std::array<char, 128>& sigint_message() {
    static std::array<char, 128> m{};
    return m;
}
extern "C" inline void on_sigint(int) {
    static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
    const bool again = interrupt_flag().exchange(true);
    if (again || cooperative_depth().load() == 0) {
        ssize_t written = 0;  // nothing to do if stderr is gone
        if (progress_line_open().load()) written = ::write(STDERR_FILENO, "\n", 1);
        const char* msg = sigint_message().data();
        written = ::write(STDERR_FILENO, msg, std::strlen(msg));
        (void)written;
        ::_exit(exit_interrupted);
    }
}
}  // namespace detail

/// Installs the SIGINT handler (once); `command` names the run in its message.
inline void install_sigint_handler(const std::string& command = "") {
    auto& m = detail::sigint_message();
    std::snprintf(m.data(), m.size(), "lucid%s%.60s: interrupted; no output written\n", command.empty() ? "" : " ",
                  command.c_str());
    if (detail::handler_installed().exchange(true)) return;
    struct sigaction sa {};
    sa.sa_handler = detail::on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    // A terminal closing (SIGHUP) or `kill` (SIGTERM) must not leave a partial output either.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

/// True once SIGINT arrived.
inline bool interrupt_requested() { return detail::interrupt_flag().load(std::memory_order_relaxed); }

/// Throws Interrupted if SIGINT arrived.
inline void check_interrupt() {
    if (interrupt_requested()) throw Interrupted();
}

/// Marks a section in which SIGINT is handled by polling (solver callbacks).
class CooperativeSection {
public:
    CooperativeSection() { detail::cooperative_depth().fetch_add(1); }
    ~CooperativeSection() { detail::cooperative_depth().fetch_sub(1); }
    CooperativeSection(const CooperativeSection&) = delete;
    CooperativeSection& operator=(const CooperativeSection&) = delete;
};

// ---- options shared by commands ----------------------------------------------

inline OptionSpec threads_option() {
    return {"threads", true, "N", "worker threads (default: all cores)"};
}
inline OptionSpec max_pixels_option() {
    return {"max-pixels", true, "N", "refuse input images of more than N pixels (default 268435456 = 16384^2)"};
}
inline OptionSpec quiet_option() { return {"quiet", false, "", "no progress or summary on stderr/stdout"}; }
inline OptionSpec json_option() { return {"json", false, "", "print one JSON object with the results on stdout"}; }
inline OptionSpec bit_depth_option() {
    return {"bit-depth", true, "8|16", "bits per sample of OUT (default: 16 when IN has more than 8, else 8)"};
}
inline OptionSpec reference_option() {
    return {"reference", true, "REF", "sharp image: report PSNR/SSIM of the result against it"};
}

/// Options every computing command shares, read once.
struct CommonOptions {
    bool json = false;
    bool quiet = false;
    int threads = 0;
};

/// Reads --json, --quiet, --threads (whichever the command declares) and applies --threads.
inline CommonOptions read_common(const Args& args, const CommandSpec& spec) {
    CommonOptions c;
    auto declared = [&](const char* n) {
        for (const auto& o : spec.options)
            if (o.name == n) return true;
        return false;
    };
    if (declared("json")) c.json = args.flag("json");
    if (declared("quiet")) c.quiet = args.flag("quiet");
    detail::notes_silenced() = c.quiet;
    if (declared("max-pixels"))
        detail::read_pixel_limit() = std::uint64_t(args.integer("max-pixels", long(lucid::io::ReadOptions{}.max_pixels), 1,
                                                                 long(1) << 40));
    if (declared("threads")) {
        c.threads = int(args.integer("threads", lucid::num_threads(), 1, 1024));
        lucid::set_num_threads(c.threads);
    }
    return c;
}

// ---- errors that name an argument ---------------------------------------------

/// One line: newlines of a message become spaces.
inline std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

/// Runs fn(); a lucid::Error it throws is rethrown as E with "ARG: " in front.
/// IoError stays an IoError (exit 1); everything else becomes `Rethrow`.
template <class Rethrow = Failure, class Fn>
auto naming(const std::string& argument, Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const lucid::IoError& e) {
        // the reader names the library's option; on the command line it is --max-pixels
        std::string what = e.what();
        const std::string api = "(ReadOptions::max_pixels)";
        if (const auto at = what.find(api); at != std::string::npos) what.replace(at, api.size(), "(option '--max-pixels')");
        throw lucid::IoError(argument + ": " + what);
    } catch (const Interrupted&) {
        throw;
    } catch (const lucid::Cancelled&) {
        throw;
    } catch (const UsageError&) {
        throw;
    } catch (const Failure&) {
        throw;
    } catch (const lucid::Error& e) {
        throw Rethrow(argument + ": " + e.what());
    }
}

// ---- images -----------------------------------------------------------------

/// Reads an image with its own channel count (C×H×W, C = 1 or 3); errors name `argument`.
/// An alpha channel is dropped (lucid restores colour, not coverage), with a note on
/// stderr unless --quiet.
inline lucid::io::ReadResult<double> read_image(const std::string& path, const std::string& argument) {
    auto r = naming(argument, [&] {
        return lucid::io::read_with_info<double>(path, {.max_pixels = detail::read_pixel_limit()});
    });
    if (r.info.has_alpha && !detail::notes_silenced())
        std::fprintf(stderr, "lucid: note: %s: alpha channel dropped (%s processed)\n", argument.c_str(),
                     r.image.shape()[0] == 1 ? "gray" : "RGB");
    return r;
}

/// The single plane of a C×H×W stack with C = 1.
inline Image<double> plane_of(const ImageStack<double>& s, std::size_t c) {
    const std::size_t h = s.shape()[1], w = s.shape()[2];
    Image<double> out({h, w});
    std::copy(s.data() + c * h * w, s.data() + (c + 1) * h * w, out.data());
    return out;
}

inline void set_plane(ImageStack<double>& s, std::size_t c, const Image<double>& p) {
    std::copy(p.data(), p.data() + p.size(), s.data() + c * p.size());
}

/// Checks before any computation that `path` can be an output image: a known
/// extension (.png, .pgm, .ppm, .pnm), an existing writable directory, and not
/// a directory itself.
inline void check_output_path(const std::string& path, const std::string& argument, std::size_t channels) {
    namespace fs = std::filesystem;
    const fs::path p(path);
    try {
        (void)lucid::io::format_from_extension(p, channels);
    } catch (const lucid::Error&) {
        throw UsageError(argument + ": '" + path + "' must end in .png, .pgm, .ppm or .pnm (the format follows the name)");
    }
    if (channels == 3 && lucid::io::format_from_extension(p, channels) == lucid::io::Format::pgm)
        throw UsageError(argument + ": '" + path + "' is a PGM name, but the image has 3 channels (use .png or .ppm)");
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::exists(dir, ec))
        throw Failure(argument + ": cannot write '" + path + "': directory '" + dir.string() + "' does not exist");
    if (!fs::is_directory(dir, ec))
        throw Failure(argument + ": cannot write '" + path + "': '" + dir.string() + "' is not a directory");
    if (fs::is_directory(p, ec)) throw Failure(argument + ": cannot write '" + path + "': it is a directory");
    // the file is created next to its destination (atomic rename), so the directory must take new entries
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw Failure(argument + ": cannot write '" + path + "': directory '" + dir.string() + "' is not writable");
}

/// An output directory written as a whole or not at all. Construct it before
/// any computation: it checks that DIR is (or can be created as) a directory
/// in a writable place. Files go into a hidden staging directory inside DIR;
/// `commit()` renames them into DIR (renames need no space, so they do not
/// fail halfway for lack of it). Without a commit (an error, an interrupt)
/// the destructor removes the staging directory and the directories this
/// object created, so DIR is left as it was.
class StagedDirectory {
public:
    StagedDirectory(std::filesystem::path dir, std::string argument) : dir_(std::move(dir)), argument_(std::move(argument)) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec))
            throw UsageError(argument_ + ": '" + dir_.string() + "' exists and is not a directory");
        // the nearest existing ancestor must be a directory we may write into
        fs::path probe = fs::absolute(dir_, ec);
        while (!probe.empty() && !fs::exists(probe, ec) && probe.has_parent_path() && probe.parent_path() != probe)
            probe = probe.parent_path();
        if (!fs::is_directory(probe, ec))
            throw Failure(argument_ + ": cannot create directory '" + dir_.string() + "': '" + probe.string() +
                          "' is not a directory");
        if (::access(probe.c_str(), W_OK | X_OK) != 0)
            throw Failure(argument_ + ": cannot write into '" + probe.string() + "'");
    }
    StagedDirectory(const StagedDirectory&) = delete;
    StagedDirectory& operator=(const StagedDirectory&) = delete;
    ~StagedDirectory() {
        if (committed_) return;
        std::error_code ec;
        if (!staging_.empty()) std::filesystem::remove_all(staging_, ec);
        for (auto it = created_.rbegin(); it != created_.rend(); ++it) std::filesystem::remove(*it, ec);  // only if empty
    }

    /// Where a file named `name` is to be written (creates DIR and the staging directory on first use).
    std::filesystem::path file(const std::string& name) {
        namespace fs = std::filesystem;
        if (staging_.empty()) {
            std::error_code ec;
            std::vector<fs::path> missing;
            for (fs::path p = fs::absolute(dir_, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
                missing.push_back(p);
                if (!p.has_parent_path() || p.parent_path() == p) break;
            }
            for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
                if (!fs::create_directory(*it, ec) && !fs::is_directory(*it))
                    throw Failure(argument_ + ": cannot create directory '" + it->string() + "'" +
                                  (ec ? ": " + ec.message() : std::string()));
                created_.push_back(*it);
            }
            const fs::path staging = dir_ / (".lucid-partial-" + std::to_string(::getpid()));
            if (!fs::create_directory(staging, ec))
                throw Failure(argument_ + ": cannot create directory '" + staging.string() + "'" +
                              (ec ? ": " + ec.message() : std::string()));
            staging_ = staging;
        }
        names_.push_back(name);
        return staging_ / name;
    }

    /// Moves every staged file into DIR and removes the staging directory.
    void commit() {
        namespace fs = std::filesystem;
        check_interrupt();
        for (const auto& n : names_) {  // a directory in the way would stop the moves halfway
            std::error_code ec;
            if (fs::is_directory(dir_ / n, ec))
                throw Failure(argument_ + ": cannot write '" + (dir_ / n).string() + "': it is a directory");
        }
        for (const auto& n : names_) {
            std::error_code ec;
            fs::rename(staging_ / n, dir_ / n, ec);
            if (ec) throw Failure(argument_ + ": cannot move '" + n + "' into '" + dir_.string() + "': " + ec.message());
        }
        std::error_code ec;
        fs::remove(staging_, ec);
        committed_ = true;
    }

    const std::filesystem::path& path() const { return dir_; }

private:
    std::filesystem::path dir_, staging_;
    std::string argument_;
    std::vector<std::filesystem::path> created_;
    std::vector<std::string> names_;
    bool committed_ = false;
};

/// Runs write(cancel_flag) with SIGINT only raising the flag; a write the flag
/// cancelled (lucid::Cancelled: temporary removed, destination untouched)
/// becomes Interrupted. The handler's immediate exit would leave the
/// temporary behind, so writes are never left to it.
template <class Write>
void write_cooperatively(const std::string& argument, Write&& write) {
    CooperativeSection cooperative;
    check_interrupt();
    try {
        naming(argument, [&] { write(&detail::interrupt_flag()); });
    } catch (const lucid::Cancelled&) {
        throw Interrupted();
    }
}

/// --bit-depth 8|16 if given; read with the other options, before any file.
inline std::optional<int> requested_bit_depth(const Args& args) {
    if (!args.has("bit-depth")) return std::nullopt;
    return args.choice("bit-depth", "8", {"8", "16"}) == "16" ? 16 : 8;
}

/// Bits per sample of an output image: the requested depth, else 16 for an
/// input with more than 8 (a 16-bit photo keeps its precision), else 8.
inline int output_bit_depth(std::optional<int> requested, const lucid::io::ImageInfo& input) {
    return requested.value_or(input.bit_depth > 8 ? 16 : 8);
}

/// Writes atomically unless SIGINT arrived (then throws Interrupted, nothing written).
template <class Img>
void write_image(const std::string& path, const Img& image, const std::string& argument, int bit_depth = 8) {
    write_cooperatively(argument, [&](const std::atomic<bool>* cancel) {
        lucid::io::write(path, image, {.bit_depth = bit_depth, .cancel = cancel});
    });
}

/// Writes a small text file atomically (SIGINT as in write_image).
inline void write_text(const std::filesystem::path& path, const std::string& text, const std::string& argument) {
    write_cooperatively(argument, [&](const std::atomic<bool>* cancel) {
        lucid::io::write_file_atomic(
            path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
            "lucid::io::write_file_atomic", cancel);
    });
}

// ---- timing -------------------------------------------------------------------

class Stopwatch {
public:
    Stopwatch() : t0_(std::chrono::steady_clock::now()) {}
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

private:
    std::chrono::steady_clock::time_point t0_;
};

/// "%.3g"-style formatting for messages and tables.
inline std::string fmt(double v, const char* f = "%.4g") {
    if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

// ---- numeric option ranges shared by commands ---------------------------------

/// Largest --iters for the blind methods' own counts (Polyblur passes, kernel
/// estimation alternations per level): the bound lucid::polyblur and lucid::blind validate.
inline constexpr long max_blind_iters = 1000;

/// --sigma, a noise level on the [0, 1] scale, must lie in [1e-6, 1]: below,
/// the weights derived from it (100σ², σ²) leave the range the solvers work in.
inline void check_noise_sigma(const std::string& command, double sigma) {
    if (sigma < 1e-6 || sigma > 1)
        throw UsageError("lucid " + command + ": option '--sigma' must be in [1e-06, 1] (the noise level on the [0, 1] scale; got " +
                         fmt(sigma) + ")");
}

/// A positive --lambda must be >= 1e-12: the solvers divide by it (PnP's 1/λ, TV's 1/(8λτ)).
inline void check_weight(const std::string& command, double lambda, bool zero_allowed = false) {
    if (lambda < 1e-12 && !(zero_allowed && lambda == 0))
        throw UsageError("lucid " + command + ": option '--lambda' must be >= 1e-12" + (zero_allowed ? " or 0" : "") +
                         " (got " + fmt(lambda) + ")");
}

/// True when stderr is a terminal (progress lines are printed only then).
inline bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace lucid::cli
