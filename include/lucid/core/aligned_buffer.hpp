#pragma once
/// \file aligned_buffer.hpp
/// `lucid::fft::AlignedBuffer`: the SIMD-aligned arrays that transforms,
/// operators and solvers use as workspaces.
///
/// Why large buffers are mapped on huge pages: the first write to a fresh
/// 4 KiB page is a page fault, and on virtual machines a fault costs
/// 10–15 µs. Zeroing a fresh 2 MiB buffer (a 512² double image) then takes
/// about 7 ms, five FFT pairs of that size, so a solver that allocates its
/// workspace per call spends more on faults than on its first iterations.
/// Buffers of 1 MiB or more are therefore mapped directly, aligned to 2 MiB
/// and advised as transparent huge pages (Linux `madvise(MADV_HUGEPAGE)`):
/// one fault per 2 MiB, ~0.3 ms for the same buffer. Measured by
/// `benchmarks/bench_allocation.cpp`. The mapping is rounded up to whole
/// huge pages (at most 2 MiB more per buffer; under 5 % of an image of 40 MiB
/// or more). Smaller buffers, other systems, systems with THP set to "never",
/// builds under AddressSanitizer (which checks heap bounds, not mappings),
/// and processes run with `LUCID_HUGE_PAGES=0` use `fftw_malloc`.
/// `detail::advise_huge_pages` gives the same to images of 4 MiB or more that
/// lucid allocates as xtensor arrays (`make_vector`, `zeros_like`,
/// `make_range`, `clone`, Polyblur's output): it advises their untouched
/// interior before the first write. Those images, and fftw_malloc buffers of
/// 64 KiB or more, are then prefaulted in one system call (`detail::prefault`,
/// off with `LUCID_PREFAULT=0`). `detail::WorkspaceAllocator` applies the
/// AlignedBuffer policy to xtensor arrays lucid keeps internally (the symbol
/// tables of `Spectrum`).

#include <atomic>
#include <cerrno>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include <fftw3.h>

#if defined(__linux__)
#include <sys/mman.h>
#define LUCID_HAVE_HUGE_PAGES 1
#else
#define LUCID_HAVE_HUGE_PAGES 0
#endif

namespace lucid::fft {

namespace detail {

inline constexpr std::size_t huge_page_bytes = std::size_t(2) << 20;
/// Buffers from this size up are mapped on huge pages (when available).
inline constexpr std::size_t huge_page_threshold = std::size_t(1) << 20;

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized_heap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool sanitized_heap = true;
#else
inline constexpr bool sanitized_heap = false;
#endif
#else
inline constexpr bool sanitized_heap = false;
#endif

/// True when large buffers may be mapped on transparent huge pages: Linux,
/// THP not disabled system-wide, no AddressSanitizer, and LUCID_HUGE_PAGES
/// not set to 0 / off. Read once per process.
inline bool huge_pages_enabled() {
    static const bool enabled = [] {
        if (!LUCID_HAVE_HUGE_PAGES || sanitized_heap) return false;
        if (const char* e = std::getenv("LUCID_HUGE_PAGES"))
            if (std::strcmp(e, "0") == 0 || std::strcmp(e, "off") == 0) return false;
        std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
        if (!f) return false;
        char line[128] = {};
        const bool read = std::fgets(line, sizeof line, f) != nullptr;
        std::fclose(f);
        return read && std::strstr(line, "[never]") == nullptr;
    }();
    return enabled;
}

/// x rounded down / up to a multiple of the power of two a (sizes and addresses).
constexpr std::uintptr_t align_floor(std::uintptr_t x, std::uintptr_t a) { return x & ~(a - 1); }
constexpr std::uintptr_t align_ceil(std::uintptr_t x, std::uintptr_t a) { return align_floor(x + a - 1, a); }
constexpr std::uintptr_t huge_page_floor(std::uintptr_t x) { return align_floor(x, huge_page_bytes); }
constexpr std::uintptr_t huge_page_ceil(std::uintptr_t x) { return align_ceil(x, huge_page_bytes); }

/// Bytes actually mapped for a request of `bytes`: whole huge pages.
constexpr std::size_t huge_mapping_bytes(std::size_t bytes) { return huge_page_ceil(bytes); }

/// `length` bytes of fresh zeroed memory (an anonymous private mapping);
/// nullptr when the system refuses.
inline void* map_anonymous(std::size_t length) {
#if LUCID_HAVE_HUGE_PAGES
    void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
#else
    (void)length;
    return nullptr;
#endif
}

/// Maps huge_mapping_bytes(bytes) of zeroed memory at a 2 MiB boundary and
/// advises huge pages; nullptr when the system refuses the mapping.
inline void* map_huge_pages(std::size_t bytes) {
#if LUCID_HAVE_HUGE_PAGES
    const std::size_t length = huge_mapping_bytes(bytes);
    const std::size_t span = length + huge_page_bytes;  // room to slide to a 2 MiB boundary
    void* raw = map_anonymous(span);
    if (raw == nullptr) return nullptr;
    const auto base = reinterpret_cast<std::uintptr_t>(raw);
    const auto start = huge_page_ceil(base);
    if (start > base) ::munmap(raw, start - base);
    if (const std::size_t tail = base + span - (start + length); tail > 0)
        ::munmap(reinterpret_cast<void*>(start + length), tail);
    ::madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);  // advice: on failure 4 KiB pages
    return reinterpret_cast<void*>(start);
#else
    (void)bytes;
    return nullptr;
#endif
}

inline void unmap_huge_pages(void* p, std::size_t bytes) {
#if LUCID_HAVE_HUGE_PAGES
    ::munmap(p, huge_mapping_bytes(bytes));
#else
    (void)p;
    (void)bytes;
#endif
}

/// Advises huge pages for the 2 MiB-aligned interior of [p, p + bytes): meant
/// for a fresh, untouched allocation made elsewhere (an xtensor image lucid
/// returns), whose first writes then fault once per 2 MiB inside that
/// interior. Advice only: contents are unchanged, memory already touched
/// keeps its pages, and nothing happens below 4 MiB or where huge pages are
/// off (see huge_pages_enabled).
inline void advise_huge_pages(void* p, std::size_t bytes) {
#if LUCID_HAVE_HUGE_PAGES
    if (p == nullptr || bytes < 2 * huge_page_bytes || !huge_pages_enabled()) return;
    const auto begin = huge_page_ceil(reinterpret_cast<std::uintptr_t>(p));
    const auto end = huge_page_floor(reinterpret_cast<std::uintptr_t>(p) + bytes);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

#if LUCID_HAVE_HUGE_PAGES && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL and prefault is skipped
#endif

/// Buffers from this size up are prefaulted (see prefault).
inline constexpr std::size_t prefault_threshold = std::size_t(64) << 10;

/// True unless LUCID_PREFAULT is set to 0 / off, or the kernel has refused
/// MADV_POPULATE_WRITE once (Linux < 5.14). Read once per process.
inline std::atomic<bool>& prefault_state() {
    static std::atomic<bool> enabled = [] {
        if (!LUCID_HAVE_HUGE_PAGES) return false;
        if (const char* e = std::getenv("LUCID_PREFAULT"))
            if (std::strcmp(e, "0") == 0 || std::strcmp(e, "off") == 0) return false;
        return true;
    }();
    return enabled;
}
inline bool prefault_enabled() { return prefault_state().load(std::memory_order_relaxed); }

/// Backs the whole 4 KiB pages inside [p, p + bytes) with memory now, in one
/// system call (Linux `madvise(MADV_POPULATE_WRITE)`), instead of one page
/// fault per page at the first write. Meant for a buffer that is about to be
/// written in full, where huge pages cannot be had (an xtensor image from
/// std::allocator is not 2 MiB-aligned). On this project's VMs a fault costs
/// 10–15 µs: allocating and writing a fresh 2 MiB buffer drops from 5–8 ms
/// to ~2 ms (the host's own first touch remains); pages already backed
/// (memory the allocator reuses) cost ~40 ns each to walk, as much as writing
/// them (bench_allocation). Contents are unchanged; huge-page advice given
/// before is honoured. Nothing happens below 64 KiB, off Linux, or when
/// disabled.
inline void prefault(void* p, std::size_t bytes) {
#if LUCID_HAVE_HUGE_PAGES
    if (p == nullptr || bytes < prefault_threshold || !prefault_enabled()) return;
    constexpr std::uintptr_t page = 4096;
    const auto begin = align_ceil(reinterpret_cast<std::uintptr_t>(p), page);
    const auto end = align_floor(reinterpret_cast<std::uintptr_t>(p) + bytes, page);
    if (end > begin && ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE) != 0 &&
        errno == EINVAL)
        prefault_state().store(false, std::memory_order_relaxed);  // kernel without the advice
#else
    (void)p;
    (void)bytes;
#endif
}

/// The memory policy of AlignedBuffer as a standard allocator, for xtensor
/// arrays lucid keeps internally (spectrum tables): blocks of 1 MiB or more on
/// their own 2 MiB-aligned huge-page mapping (map_huge_pages), smaller ones
/// (and every block when huge pages are off) from std::allocator, prefaulted.
/// Either way nothing is faulted page by page when the container initializes
/// its elements (it does for std::complex).
template <class E>
struct WorkspaceAllocator {
    using value_type = E;
    WorkspaceAllocator() = default;
    template <class U>
    WorkspaceAllocator(const WorkspaceAllocator<U>&) noexcept {}

    E* allocate(std::size_t n) {
        if (n > max_size()) throw std::bad_alloc();
        const std::size_t bytes = n * sizeof(E);
        if (mapped(bytes)) {
            void* p = map_huge_pages(bytes);
            // no 2 MiB-aligned room: an ordinary mapping of the same length (deallocate unmaps it alike)
            if (!p) p = map_anonymous(huge_mapping_bytes(bytes));
            if (!p) throw std::bad_alloc();
            return static_cast<E*>(p);
        }
        E* p = std::allocator<E>{}.allocate(n);
        prefault(p, bytes);
        return p;
    }
    void deallocate(E* p, std::size_t n) noexcept {
        if (mapped(n * sizeof(E))) unmap_huge_pages(p, n * sizeof(E));
        else std::allocator<E>{}.deallocate(p, n);
    }
    std::size_t max_size() const noexcept { return std::size_t(-1) / 2 / sizeof(E); }
    template <class U>
    bool operator==(const WorkspaceAllocator<U>&) const noexcept { return true; }

private:
    // Fixed per process (huge_pages_enabled is read once), so deallocate agrees with allocate.
    static bool mapped(std::size_t bytes) { return bytes >= huge_page_threshold && huge_pages_enabled(); }
};

}  // namespace detail

/// Tag: construct an AlignedBuffer without zeroing it.
struct uninitialized_t {
    explicit uninitialized_t() = default;
};
inline constexpr uninitialized_t uninitialized{};

/// A SIMD-aligned array of n elements, zero-initialized unless built with
/// `uninitialized`; from fftw_malloc, or mapped on huge pages when it is
/// 1 MiB or larger (see the file comment).
template <class E>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    /// n zero-initialized elements.
    explicit AlignedBuffer(std::size_t n) : AlignedBuffer(n, uninitialized) {
        // a fresh mapping is already zero: writing it would only fault its pages in early
        if (n && !mapped_) std::memset(static_cast<void*>(p_), 0, n * sizeof(E));
    }
    /// n elements left uninitialized: for buffers a transform overwrites before
    /// any read (saves a pass over freshly faulted pages at construction).
    AlignedBuffer(std::size_t n, uninitialized_t) : n_(n) {
        if (n == 0) return;
        if (n > std::size_t(-1) / 2 / sizeof(E)) throw std::bad_alloc();
        const std::size_t bytes = n * sizeof(E);
        if (bytes >= detail::huge_page_threshold && detail::huge_pages_enabled()) {
            p_ = static_cast<E*>(detail::map_huge_pages(bytes));
            mapped_ = p_ != nullptr;
        }
        if (!p_) {
            p_ = static_cast<E*>(fftw_malloc(bytes));
            if (!p_) throw std::bad_alloc();
            detail::prefault(p_, bytes);
        }
    }
    AlignedBuffer(const AlignedBuffer& o) : AlignedBuffer(o.n_, uninitialized) {  // memcpy fills it
        if (n_) std::memcpy(static_cast<void*>(p_), o.p_, n_ * sizeof(E));
    }
    AlignedBuffer(AlignedBuffer&& o) noexcept
        : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)), mapped_(std::exchange(o.mapped_, false)) {}
    AlignedBuffer& operator=(AlignedBuffer o) noexcept {
        std::swap(p_, o.p_);
        std::swap(n_, o.n_);
        std::swap(mapped_, o.mapped_);
        return *this;
    }
    ~AlignedBuffer() {
        if (!p_) return;
        if (mapped_) detail::unmap_huge_pages(p_, n_ * sizeof(E));
        else fftw_free(p_);
    }
    E* data() noexcept { return p_; }
    const E* data() const noexcept { return p_; }
    std::size_t size() const noexcept { return n_; }
    /// True when the memory is a huge-page mapping rather than fftw_malloc's.
    bool huge_pages() const noexcept { return mapped_; }
    E& operator[](std::size_t i) noexcept { return p_[i]; }
    const E& operator[](std::size_t i) const noexcept { return p_[i]; }
    E* begin() noexcept { return p_; }
    E* end() noexcept { return p_ + n_; }
    const E* begin() const noexcept { return p_; }
    const E* end() const noexcept { return p_ + n_; }

private:
    E* p_ = nullptr;
    std::size_t n_ = 0;
    bool mapped_ = false;
};

}  // namespace lucid::fft
