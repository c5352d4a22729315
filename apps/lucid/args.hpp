#pragma once
// Command-line parsing for the lucid tool: a declared set of options per
// command, typed getters that validate and name the offending option.
// Kept free of I/O so the fuzzer can drive it directly.

#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"

namespace lucid::cli {

/// Bad command line: reported as one line on stderr, exit code 2.
class UsageError : public lucid::Error {
public:
    using Error::Error;
};

/// One option of a command: `--name VALUE` or a flag `--name`.
struct OptionSpec {
    std::string name;        ///< without the leading dashes
    bool takes_value = true;
    std::string metavar;     ///< e.g. "SIGMA"
    std::string help;
};

/// A command's grammar: positional names, options, and a summary for --help.
struct CommandSpec {
    std::string name;
    std::string summary;
    std::vector<std::string> positionals;   ///< required, in order
    std::vector<OptionSpec> options;
};

/// Renders `lucid <command> --help`.
inline std::string help_text(const CommandSpec& spec) {
    std::string s = "usage: lucid " + spec.name;
    for (const auto& p : spec.positionals) s += " " + p;
    if (!spec.options.empty()) s += " [options]";
    s += "\n\n" + spec.summary + "\n";
    if (!spec.options.empty()) {
        s += "\noptions:\n";
        for (const auto& o : spec.options) {
            std::string left = "  --" + o.name + (o.takes_value ? " " + o.metavar : "");
            if (left.size() < 28) left.resize(28, ' ');
            else left += "  ";
            s += left + o.help + "\n";
        }
    }
    return s;
}

/// Parsed arguments of one command.
class Args {
public:
    /// Parses argv[first..] against `spec`. Throws UsageError on unknown
    /// options, missing values, repeated options or a wrong number of positionals.
    Args(const CommandSpec& spec, const std::vector<std::string>& argv) : spec_(spec) {
        for (std::size_t i = 0; i < argv.size(); ++i) {
            const std::string& a = argv[i];
            if (a == "--help" || a == "-h") {
                help_ = true;
                continue;
            }
            if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
                std::string name = a.substr(2);
                std::optional<std::string> inline_value;
                if (auto eq = name.find('='); eq != std::string::npos) {
                    inline_value = name.substr(eq + 1);
                    name = name.substr(0, eq);
                }
                const OptionSpec* o = find(name);
                if (!o) throw UsageError("lucid " + spec_.name + ": unknown option '--" + name + "' (see 'lucid " + spec_.name + " --help')");
                if (values_.count(name) || flags_.count(name))
                    throw UsageError("lucid " + spec_.name + ": option '--" + name + "' given twice");
                if (o->takes_value) {
                    if (inline_value) {
                        values_[name] = *inline_value;
                    } else {
                        // "--kernel --method x": the next word is an option, not this one's value
                        if (i + 1 >= argv.size() || argv[i + 1].compare(0, 2, "--") == 0)
                            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' needs a value " + o->metavar +
                                             (i + 1 < argv.size() ? " (got the option '" + argv[i + 1] + "')" : ""));
                        values_[name] = argv[++i];
                    }
                } else {
                    if (inline_value) throw UsageError("lucid " + spec_.name + ": option '--" + name + "' takes no value");
                    flags_.insert(name);
                }
            } else if (a.size() > 1 && a[0] == '-' && !(std::isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.')) {
                // "-k": a mistyped option, not a file name (write ./-k for such a file)
                throw UsageError("lucid " + spec_.name + ": unknown option '" + a + "' (options are spelled --name; see 'lucid " +
                                 spec_.name + " --help')");
            } else {
                positionals_.push_back(a);
            }
        }
        if (help_) return;
        if (positionals_.size() != spec_.positionals.size()) {
            std::string want;
            for (const auto& p : spec_.positionals) want += " " + p;
            throw UsageError("lucid " + spec_.name + ": expected " + std::to_string(spec_.positionals.size()) +
                             " argument(s)" + (want.empty() ? "" : " (" + want.substr(1) + ")") + ", got " +
                             std::to_string(positionals_.size()));
        }
    }

    bool help_requested() const { return help_; }
    const std::string& positional(std::size_t i) const { return positionals_.at(i); }
    bool flag(const std::string& name) const { return flags_.count(name) > 0; }
    bool has(const std::string& name) const { return values_.count(name) > 0; }

    std::optional<std::string> text(const std::string& name) const {
        if (auto it = values_.find(name); it != values_.end()) return it->second;
        return std::nullopt;
    }
    std::string text(const std::string& name, const std::string& fallback) const { return text(name).value_or(fallback); }

    /// A finite number; `rule` is one of "any", "positive", "nonnegative".
    double number(const std::string& name, double fallback, std::string_view rule = "any") const {
        auto t = text(name);
        if (!t) return fallback;
        const double v = parse_number(name, *t);
        check_rule(name, v, rule);
        return v;
    }

    /// An integer in [lo, hi].
    long integer(const std::string& name, long fallback, long lo, long hi) const {
        auto t = text(name);
        if (!t) return fallback;
        long v = 0;
        const char* b = t->data();
        const char* e = b + t->size();
        auto [p, ec] = std::from_chars(b, e, v);
        if (ec != std::errc() || p != e)
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be an integer (got '" + *t + "')");
        if (v < lo || v > hi)
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "] (got " + *t + ")");
        return v;
    }

    /// One of `choices`.
    std::string choice(const std::string& name, const std::string& fallback, const std::vector<std::string>& choices) const {
        auto t = text(name);
        if (!t) return fallback;
        for (const auto& c : choices)
            if (c == *t) return c;
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be one of " + list + " (got '" + *t + "')");
    }

private:
    const OptionSpec* find(const std::string& name) const {
        for (const auto& o : spec_.options)
            if (o.name == name) return &o;
        return nullptr;
    }

    double parse_number(const std::string& name, const std::string& t) const {
        double v = 0;
        const char* b = t.data();
        const char* e = b + t.size();
        auto [p, ec] = std::from_chars(b, e, v);
        if (ec != std::errc() || p != e || t.empty())
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be a number (got '" + t + "')");
        if (!std::isfinite(v))
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be finite (got '" + t + "')");
        return v;
    }

    void check_rule(const std::string& name, double v, std::string_view rule) const {
        if (rule == "positive" && !(v > 0))
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be > 0 (got " + format(v) + ")");
        if (rule == "nonnegative" && !(v >= 0))
            throw UsageError("lucid " + spec_.name + ": option '--" + name + "' must be >= 0 (got " + format(v) + ")");
    }

    static std::string format(double v) { return lucid::detail::concat(v); }

    const CommandSpec& spec_;
    std::vector<std::string> positionals_;
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    bool help_ = false;
};

}  // namespace lucid::cli
