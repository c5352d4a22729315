#pragma once
/// \file callbacks.hpp
/// Optional hooks a solver calls after every iteration. A callback is any
/// object callable as `cb(const IterationState<V>&)`; returning `true` stops
/// the run with `Status::stopped` (a `void` return never stops).
///
/// ```cpp
/// auto r = lucid::fista(f, g, x0, {.max_iter = 500},
///                       lucid::callbacks::all(lucid::callbacks::Progress{std::cerr, 50},
///                                             lucid::callbacks::TimeLimit{2.0}));
/// ```

#include <cmath>
#include <cstdio>
#include <ostream>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "lucid/solvers/status.hpp"

namespace lucid {

namespace callbacks {

/// Does nothing; the default.
struct None {
    template <class S>
    bool operator()(const S&) const { return false; }
};

/// Prints "iter, objective, residual, elapsed" every `every` iterations.
struct Progress {
    std::ostream& out;
    int every = 10;
    template <class S>
    bool operator()(const S& s) const {
        if (every > 0 && s.iteration % every == 0)
            out << "iter " << s.iteration << "  objective " << s.objective << "  residual " << s.residual
                << "  elapsed " << s.elapsed << " s\n";
        return false;
    }
};

/// Stops the run once `seconds` have elapsed.
struct TimeLimit {
    double seconds;
    template <class S>
    bool operator()(const S& s) const { return s.elapsed >= seconds; }
};

/// Keeps a copy of the iterate every `every` iterations (for movies and
/// convergence studies; each copy allocates, so use sparingly).
template <class V>
struct RecordIterates {
    int every = 1;
    std::vector<V>* store;
    bool operator()(const IterationState<V>& s) const {
        if (every > 0 && s.iteration % every == 0) store->push_back(s.x);
        return false;
    }
};

/// Runs several callbacks in order; stops if any asks to.
template <class... Cs>
struct All {
    std::tuple<Cs...> cs;
    template <class S>
    bool operator()(const S& s) {
        bool stop = false;
        std::apply([&](auto&... c) { ((stop = invoke_callback(c, s) || stop), ...); }, cs);
        return stop;
    }

private:
    template <class C, class S>
    static bool invoke_callback(C& c, const S& s) {
        if constexpr (std::is_void_v<decltype(c(s))>) { c(s); return false; }
        else return bool(c(s));
    }
};

template <class... Cs>
All<std::decay_t<Cs>...> all(Cs&&... cs) { return {{std::forward<Cs>(cs)...}}; }

}  // namespace callbacks

namespace detail {

/// Calls a user callback; true means "stop".
template <class C, class V>
bool invoke_callback(C& cb, const IterationState<V>& s) {
    if constexpr (std::is_void_v<decltype(cb(s))>) {
        cb(s);
        return false;
    } else {
        return bool(cb(s));
    }
}

}  // namespace detail
}  // namespace lucid
