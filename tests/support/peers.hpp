#pragma once
// Test support: exchange arrays with Debian's Python peers (numpy, scipy,
// scikit-image, PyWavelets, OpenCV) through .npy files, and run their scripts.
// Peers are optional: a test checks `python_has("skimage")` and WARNs and
// returns when a module is missing (CI installs them, so there they run).

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xmanipulation.hpp>
#include <algorithm>

namespace lucid::test {

/// A directory for this test process's scratch files (removed at exit).
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("lucid-tests-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                            ("lucid-tests-" + std::to_string(::getpid())), ec);
        });
        return d;
    }();
    return dir;
}

/// Path of a file shipped in the source tree, e.g. source_path("data/camera.png").
inline std::string source_path(const std::string& relative) { return std::string(LUCID_SOURCE_DIR) + "/" + relative; }

// ---- .npy (format 1.0), little-endian float32 / float64 / int64, C order ----

template <class T>
constexpr const char* npy_descr() {
    if constexpr (std::is_same_v<T, double>) return "<f8";
    else if constexpr (std::is_same_v<T, float>) return "<f4";
    else if constexpr (std::is_same_v<T, std::int64_t>) return "<i8";
    else static_assert(sizeof(T) == 0, "unsupported npy element type");
}

/// Writes an array (xtensor of any rank) as .npy.
template <class E>
void write_npy(const std::filesystem::path& path, const E& a) {
    using T = typename E::value_type;
    std::string shape = "(";
    for (auto s : a.shape()) shape += std::to_string(s) + ", ";
    shape += ")";
    std::string header = std::string("{'descr': '") + npy_descr<T>() + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::ofstream f(path, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const std::uint16_t len = std::uint16_t(header.size());
    f.write(reinterpret_cast<const char*>(&len), 2);
    f.write(header.data(), std::streamsize(header.size()));
    f.write(reinterpret_cast<const char*>(a.data()), std::streamsize(a.size() * sizeof(T)));
    if (!f) throw std::runtime_error("write_npy: cannot write " + path.string());
}

/// Reads a .npy of float32/float64/int64 into xt::xarray<T> (converting).
template <class T>
xt::xarray<T> read_npy(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("read_npy: cannot open " + path.string());
    char magic[8];
    f.read(magic, 8);
    if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("read_npy: not an npy file");
    std::uint32_t len = 0;
    if (magic[6] == 1) {
        std::uint16_t l16;
        f.read(reinterpret_cast<char*>(&l16), 2);
        len = l16;
    } else {
        f.read(reinterpret_cast<char*>(&len), 4);
    }
    std::string header(len, ' ');
    f.read(header.data(), len);
    auto field = [&](const std::string& key) {
        auto p = header.find("'" + key + "'");
        if (p == std::string::npos) throw std::runtime_error("read_npy: no " + key);
        return header.substr(header.find(':', p) + 1);
    };
    const std::string descr = field("descr").substr(field("descr").find('\'') + 1, 3);
    const std::string order = field("fortran_order");
    const bool fortran = order.find("True") < order.find(',');
    std::string sh = field("shape");
    sh = sh.substr(sh.find('(') + 1, sh.find(')') - sh.find('(') - 1);
    std::vector<std::size_t> shape;
    std::size_t pos = 0;
    while (pos < sh.size()) {
        while (pos < sh.size() && (sh[pos] == ' ' || sh[pos] == ',')) ++pos;
        if (pos >= sh.size()) break;
        std::size_t end = pos;
        while (end < sh.size() && std::isdigit(static_cast<unsigned char>(sh[end]))) ++end;
        shape.push_back(std::stoul(sh.substr(pos, end - pos)));
        pos = end;
    }
    if (fortran) std::reverse(shape.begin(), shape.end());  // read as the C-order transpose
    xt::xarray<T> out(shape);
    auto read_as = [&](auto tag) {
        using S = decltype(tag);
        std::vector<S> raw(out.size());
        f.read(reinterpret_cast<char*>(raw.data()), std::streamsize(raw.size() * sizeof(S)));
        if (!f) throw std::runtime_error("read_npy: truncated " + path.string());
        for (std::size_t i = 0; i < raw.size(); ++i) out.data()[i] = T(raw[i]);
    };
    if (descr == "<f8") read_as(double{});
    else if (descr == "<f4") read_as(float{});
    else if (descr == "<i8") read_as(std::int64_t{});
    else throw std::runtime_error("read_npy: unsupported dtype " + descr);
    if (fortran) return xt::xarray<T>(xt::transpose(out));
    return out;
}

// ---- running Debian's python3 ----

/// True if /usr/bin/python3 can import `module` (cached per module).
inline bool python_has(const std::string& module) {
    static std::mutex m;
    static std::map<std::string, bool> cache;
    std::lock_guard lock(m);
    if (auto it = cache.find(module); it != cache.end()) return it->second;
    const std::string cmd = std::string(LUCID_PYTHON) + " -c 'import " + module + "' >/dev/null 2>&1";
    const bool ok = std::system(cmd.c_str()) == 0;
    cache[module] = ok;
    return ok;
}

/// Runs `/usr/bin/python3 <script> <args...>`; returns stdout; throws on non-zero exit.
inline std::string run_python(const std::string& script, const std::vector<std::string>& args = {}) {
    std::string cmd = std::string(LUCID_PYTHON) + " '" + script + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>&1";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("run_python: cannot start " + cmd);
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int rc = ::pclose(p);
    if (rc != 0) throw std::runtime_error("run_python failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
    return out;
}

/// Runs an inline Python program (written to a scratch file).
inline std::string run_python_code(const std::string& code, const std::vector<std::string>& args = {}) {
    static int counter = 0;
    const auto path = scratch_dir() / ("inline_" + std::to_string(counter++) + ".py");
    std::ofstream(path) << code;
    return run_python(path.string(), args);
}

}  // namespace lucid::test
