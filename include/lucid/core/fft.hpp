#pragma once
/// \file fft.hpp
/// FFTW plans for float and double, made once per (transform, size, threads)
/// and shared by every operator.
///
/// FFTW's planner is not thread-safe, so every planner call (create, destroy,
/// wisdom) is serialized by `planner_mutex()`; executing a plan on new arrays
/// (fftw_execute_dft_r2c & co.) is thread-safe and allocation-free, which is
/// how operators use the cached plans. Planning with FFTW_MEASURE costs
/// 0.1–1.5 s for large sizes; it happens once per size and process. Set
/// `LUCID_FFTW_EFFORT=estimate` (or call `set_planner_effort`) to trade
/// transform speed for instant planning, e.g. in tests.

#include <complex>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include <fftw3.h>

#include "lucid/core/aligned_buffer.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::fft {

/// How hard FFTW's planner searches (FFTW_ESTIMATE / FFTW_MEASURE / FFTW_PATIENT).
enum class Effort { estimate, measure, patient };

/// The 2-D transforms lucid uses. Sizes are h×w real samples.
/// - r2c:  real h×w → complex h×(w/2+1), unnormalized forward DFT
/// - c2r:  complex h×(w/2+1) → real h×w, unnormalized inverse DFT (destroys its input)
/// - dct2: DCT-II in both axes (FFTW_REDFT10), unnormalized
/// - dct3: DCT-III in both axes (FFTW_REDFT01); dct3(dct2(x)) = 4·h·w·x
/// and the 1-D batches that `filter_real` (real_filter.hpp) builds a 2-D
/// transform from:
/// - rows_r2c: each of h real rows of length w → w/2+1 complex (row strides w and w/2+1)
/// - rows_c2r: the inverse of rows_r2c, unnormalized (destroys its input)
/// - columns_forward / columns_backward: in place, the length-h DFT (sign −1 / +1)
///   of each of the w/2 columns of an h × w/2 complex array
enum class Kind { r2c, c2r, dct2, dct3, rows_r2c, rows_c2r, columns_forward, columns_backward };

namespace detail {

template <class T>
struct Api;

template <>
struct Api<double> {
    using plan = fftw_plan;
    using complex = fftw_complex;
    static void* malloc(std::size_t n) { return fftw_malloc(n); }
    static void free(void* p) { fftw_free(p); }
    static plan r2c(int h, int w, double* in, complex* out, unsigned f) { return fftw_plan_dft_r2c_2d(h, w, in, out, f); }
    static plan c2r(int h, int w, complex* in, double* out, unsigned f) { return fftw_plan_dft_c2r_2d(h, w, in, out, f); }
    static plan r2r(int h, int w, double* in, double* out, fftw_r2r_kind k, unsigned f) { return fftw_plan_r2r_2d(h, w, in, out, k, k, f); }
    static plan rows_r2c(int h, int w, double* in, complex* out, unsigned f) {
        return fftw_plan_many_dft_r2c(1, &w, h, in, nullptr, 1, w, out, nullptr, 1, w / 2 + 1, f);
    }
    static plan rows_c2r(int h, int w, complex* in, double* out, unsigned f) {
        return fftw_plan_many_dft_c2r(1, &w, h, in, nullptr, 1, w / 2 + 1, out, nullptr, 1, w, f);
    }
    static plan columns(int h, int w, complex* data, int sign, unsigned f) {
        return fftw_plan_many_dft(1, &h, w / 2, data, nullptr, w / 2, 1, data, nullptr, w / 2, 1, sign, f);
    }
    static void exec_dft(plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
    static void exec_r2c(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
    static void exec_c2r(plan p, complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
    static void exec_r2r(plan p, double* in, double* out) { fftw_execute_r2r(p, in, out); }
    static void destroy(plan p) { fftw_destroy_plan(p); }
    static int init_threads() { return fftw_init_threads(); }
    static void plan_with_nthreads(int n) { fftw_plan_with_nthreads(n); }
    static int alignment_of(double* p) { return fftw_alignment_of(p); }
};

template <>
struct Api<float> {
    using plan = fftwf_plan;
    using complex = fftwf_complex;
    static void* malloc(std::size_t n) { return fftwf_malloc(n); }
    static void free(void* p) { fftwf_free(p); }
    static plan r2c(int h, int w, float* in, complex* out, unsigned f) { return fftwf_plan_dft_r2c_2d(h, w, in, out, f); }
    static plan c2r(int h, int w, complex* in, float* out, unsigned f) { return fftwf_plan_dft_c2r_2d(h, w, in, out, f); }
    static plan r2r(int h, int w, float* in, float* out, fftw_r2r_kind k, unsigned f) { return fftwf_plan_r2r_2d(h, w, in, out, k, k, f); }
    static plan rows_r2c(int h, int w, float* in, complex* out, unsigned f) {
        return fftwf_plan_many_dft_r2c(1, &w, h, in, nullptr, 1, w, out, nullptr, 1, w / 2 + 1, f);
    }
    static plan rows_c2r(int h, int w, complex* in, float* out, unsigned f) {
        return fftwf_plan_many_dft_c2r(1, &w, h, in, nullptr, 1, w / 2 + 1, out, nullptr, 1, w, f);
    }
    static plan columns(int h, int w, complex* data, int sign, unsigned f) {
        return fftwf_plan_many_dft(1, &h, w / 2, data, nullptr, w / 2, 1, data, nullptr, w / 2, 1, sign, f);
    }
    static void exec_dft(plan p, complex* in, complex* out) { fftwf_execute_dft(p, in, out); }
    static void exec_r2c(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
    static void exec_c2r(plan p, complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
    static void exec_r2r(plan p, float* in, float* out) { fftwf_execute_r2r(p, in, out); }
    static void destroy(plan p) { fftwf_destroy_plan(p); }
    static int init_threads() { return fftwf_init_threads(); }
    static void plan_with_nthreads(int n) { fftwf_plan_with_nthreads(n); }
    static int alignment_of(float* p) { return fftwf_alignment_of(reinterpret_cast<float*>(p)); }
};

inline Effort effort_from_environment() {
    const char* e = std::getenv("LUCID_FFTW_EFFORT");
    if (!e) return Effort::measure;
    if (std::strcmp(e, "estimate") == 0) return Effort::estimate;
    if (std::strcmp(e, "patient") == 0) return Effort::patient;
    return Effort::measure;
}

inline Effort& effort_setting() {
    static Effort e = effort_from_environment();
    return e;
}

inline unsigned effort_flag(Effort e) {
    switch (e) {
        case Effort::estimate: return FFTW_ESTIMATE;
        case Effort::measure: return FFTW_MEASURE;
        case Effort::patient: return FFTW_PATIENT;
    }
    return FFTW_MEASURE;
}

}  // namespace detail

/// The mutex that serializes every call into FFTW's planner (ours and yours).
inline std::mutex& planner_mutex() {
    static std::mutex m;
    return m;
}

/// Sets the planner effort for plans made from now on.
inline void set_planner_effort(Effort e) {
    std::lock_guard lock(planner_mutex());
    detail::effort_setting() = e;
}

/// The planner effort used for new plans.
inline Effort planner_effort() {
    std::lock_guard lock(planner_mutex());
    return detail::effort_setting();
}

/// Smallest n' >= n whose only prime factors are 2, 3, 5 and 7 (FFTW's fast sizes).
inline std::size_t good_size(std::size_t n) {
    if (n <= 1) return 1;
    for (std::size_t m = n;; ++m) {
        std::size_t r = m;
        for (std::size_t p : {2u, 3u, 5u, 7u})
            while (r % p == 0) r /= p;
        if (r == 1) return m;
    }
}

/// A cached 2-D FFTW plan. Execute it on any arrays of the planned size;
/// arrays from `AlignedBuffer` use the SIMD plan, others an unaligned twin.
template <class T>
class Plan {
    using A = detail::Api<T>;

public:
    Plan(Kind kind, std::size_t h, std::size_t w, int threads, unsigned flags)
        : kind_(kind), h_(h), w_(w), threads_(threads), flags_(flags) {
        aligned_ = make(flags_);
    }
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;
    ~Plan() {
        std::lock_guard lock(planner_mutex());
        if (aligned_) A::destroy(aligned_);
        if (unaligned_) A::destroy(unaligned_);
    }

    Kind kind() const { return kind_; }
    std::size_t rows() const { return h_; }
    std::size_t cols() const { return w_; }
    /// Width of the half spectrum of an r2c/c2r plan: w/2 + 1.
    std::size_t spectrum_cols() const { return w_ / 2 + 1; }

    /// out = DFT(in); in is h×w real, out is h×(w/2+1) complex. `in` is preserved.
    void r2c(const T* in, std::complex<T>* out) const {
        if (kind_ != Kind::rows_r2c) check(Kind::r2c);
        T* i = const_cast<T*>(in);
        auto* o = reinterpret_cast<typename A::complex*>(out);
        A::exec_r2c(pick(i, reinterpret_cast<T*>(out)), i, o);
    }
    /// out = unnormalized inverse DFT(in); in is h×(w/2+1) complex and is destroyed.
    void c2r(std::complex<T>* in, T* out) const {
        if (kind_ != Kind::rows_c2r) check(Kind::c2r);
        auto* i = reinterpret_cast<typename A::complex*>(in);
        A::exec_c2r(pick(reinterpret_cast<T*>(in), out), i, out);
    }
    /// data ← length-h DFT of each of its w/2 columns, in place (columns_forward
    /// and columns_backward plans; data is h × w/2 complex).
    void columns(std::complex<T>* data) const {
        if (kind_ != Kind::columns_forward && kind_ != Kind::columns_backward)
            throw Error("lucid::fft::Plan::columns: plan is not a column DFT plan");
        T* d = reinterpret_cast<T*>(data);
        auto* c = reinterpret_cast<typename A::complex*>(data);
        A::exec_dft(pick(d, d), c, c);
    }
    /// out = DCT-II or DCT-III of in (both h×w real); `in` is preserved.
    void r2r(const T* in, T* out) const {
        if (kind_ != Kind::dct2 && kind_ != Kind::dct3)
            throw Error("lucid::fft::Plan::r2r: plan is not a DCT plan");
        T* i = const_cast<T*>(in);
        A::exec_r2r(pick(i, out), i, out);
    }

private:
    void check(Kind k) const {
        if (kind_ != k) throw Error("lucid::fft::Plan: plan executed with the wrong transform kind");
    }

    typename A::plan pick(T* in, T* out) const {
        if (A::alignment_of(in) == 0 && A::alignment_of(out) == 0) return aligned_;
        std::call_once(unaligned_once_, [&] { unaligned_ = make(flags_ | FFTW_UNALIGNED); });
        return unaligned_;
    }

    // Plans on scratch arrays (FFTW_MEASURE overwrites them), under the planner lock.
    typename A::plan make(unsigned flags) const {
        std::lock_guard lock(planner_mutex());
        static const bool threads_ok = (A::init_threads() != 0);
        A::plan_with_nthreads(threads_ok ? threads_ : 1);
        const std::size_t real_n = h_ * w_;
        const std::size_t complex_n = h_ * (w_ / 2 + 1);
        AlignedBuffer<T> real_buf(real_n);
        AlignedBuffer<std::complex<T>> complex_buf(complex_n);
        AlignedBuffer<T> real_out(kind_ == Kind::dct2 || kind_ == Kind::dct3 ? real_n : 0);
        const int h = int(h_), w = int(w_);
        auto* cbuf = reinterpret_cast<typename A::complex*>(complex_buf.data());
        typename A::plan p = nullptr;
        switch (kind_) {
            case Kind::r2c: p = A::r2c(h, w, real_buf.data(), cbuf, flags); break;
            case Kind::c2r: p = A::c2r(h, w, cbuf, real_buf.data(), flags | FFTW_DESTROY_INPUT); break;
            case Kind::dct2: p = A::r2r(h, w, real_buf.data(), real_out.data(), FFTW_REDFT10, flags); break;
            case Kind::dct3: p = A::r2r(h, w, real_buf.data(), real_out.data(), FFTW_REDFT01, flags); break;
            case Kind::rows_r2c: p = A::rows_r2c(h, w, real_buf.data(), cbuf, flags); break;
            case Kind::rows_c2r: p = A::rows_c2r(h, w, cbuf, real_buf.data(), flags | FFTW_DESTROY_INPUT); break;
            case Kind::columns_forward: p = A::columns(h, w, cbuf, FFTW_FORWARD, flags); break;
            case Kind::columns_backward: p = A::columns(h, w, cbuf, FFTW_BACKWARD, flags); break;
        }
        if (!p) throw Error(detail_message());
        return p;
    }

    std::string detail_message() const {
        return lucid::detail::concat("lucid::fft: FFTW could not plan a transform of size ", h_, "x", w_);
    }

    Kind kind_;
    std::size_t h_, w_;
    int threads_;
    unsigned flags_;
    typename A::plan aligned_ = nullptr;
    mutable typename A::plan unaligned_ = nullptr;
    mutable std::once_flag unaligned_once_;
};

namespace detail {

template <class T>
class PlanCache {
public:
    using Key = std::tuple<int, std::size_t, std::size_t, int, unsigned>;

    std::shared_ptr<const Plan<T>> get(Kind kind, std::size_t h, std::size_t w, int threads) {
        unsigned flags;
        {
            std::lock_guard lock(planner_mutex());
            flags = effort_flag(effort_setting());
        }
        const Key key{int(kind), h, w, threads, flags};
        {
            std::lock_guard lock(map_mutex_);
            if (auto it = plans_.find(key); it != plans_.end()) return it->second;
        }
        // Plan outside map_mutex_ so cached look-ups never wait on a slow planner.
        auto plan = std::make_shared<const Plan<T>>(kind, h, w, threads, flags);
        std::lock_guard lock(map_mutex_);
        auto [it, inserted] = plans_.emplace(key, std::move(plan));
        return it->second;
    }

    void clear() {
        std::lock_guard lock(map_mutex_);
        plans_.clear();
    }

    std::size_t size() {
        std::lock_guard lock(map_mutex_);
        return plans_.size();
    }

    static PlanCache& instance() {
        static PlanCache cache;
        return cache;
    }

private:
    // The planner mutex is made first, so that it is destroyed after the cache
    // at exit (statics die in reverse order): ~Plan locks it.
    PlanCache() { (void)planner_mutex(); }

    std::mutex map_mutex_;
    std::map<Key, std::shared_ptr<const Plan<T>>> plans_;
};

}  // namespace detail

/// The shared plan for a transform of h×w real samples (see `Kind`), made on
/// first use with `threads` FFTW threads and the current planner effort.
template <class T>
std::shared_ptr<const Plan<T>> plan(Kind kind, std::size_t h, std::size_t w, int threads) {
    require(h >= 1 && w >= 1, "lucid::fft::plan", "size", "at least 1x1",
            lucid::detail::concat(h, "x", w));
    require(threads >= 1, "lucid::fft::plan", "threads", ">= 1", threads);
    return detail::PlanCache<T>::instance().get(kind, h, w, threads);
}

/// The same with `num_threads()` threads.
template <class T>
std::shared_ptr<const Plan<T>> plan(Kind kind, std::size_t h, std::size_t w) {
    return plan<T>(kind, h, w, num_threads());
}

/// Number of plans currently cached for scalar type T.
template <class T>
std::size_t cached_plan_count() { return detail::PlanCache<T>::instance().size(); }

/// Loads FFTW wisdom for double and float from files (missing files are ignored).
inline bool import_wisdom(const std::string& double_path, const std::string& float_path) {
    std::lock_guard lock(planner_mutex());
    bool ok = fftw_import_wisdom_from_filename(double_path.c_str()) != 0;
    ok = (fftwf_import_wisdom_from_filename(float_path.c_str()) != 0) && ok;
    return ok;
}

/// Saves FFTW wisdom for double and float so later processes plan instantly.
inline bool export_wisdom(const std::string& double_path, const std::string& float_path) {
    std::lock_guard lock(planner_mutex());
    bool ok = fftw_export_wisdom_to_filename(double_path.c_str()) != 0;
    ok = (fftwf_export_wisdom_to_filename(float_path.c_str()) != 0) && ok;
    return ok;
}

}  // namespace lucid::fft
