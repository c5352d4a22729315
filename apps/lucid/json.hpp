#pragma once
// A minimal JSON object writer for `--json` output (one object on stdout).

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace lucid::cli {

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
/// forms, no surrogates, at most U+10FFFF), or 0 when it is not one.
inline std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    const unsigned c = byte(i);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return n;
}

/// A JSON string body: quotes, backslashes and control characters escaped;
/// bytes that are not well-formed UTF-8 (file names may hold any bytes)
/// become U+FFFD, so the output is always valid JSON text.
inline std::string json_escape(const std::string& s) {
    std::string o;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) {
                o += "\\ufffd";
                ++i;
            } else {
                o.append(s, i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': o += "\\\""; break;
            case '\\': o += "\\\\"; break;
            case '\n': o += "\\n"; break;
            case '\r': o += "\\r"; break;
            case '\t': o += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    o += buf;
                } else {
                    o += char(c);
                }
        }
        ++i;
    }
    return o;
}

/// Builds one JSON object; values keep insertion order. Non-finite numbers become null.
class JsonObject {
public:
    JsonObject& add(const std::string& key, const std::string& value) {
        std::string s(1, '"');
        s += json_escape(value);
        s += '"';
        return raw(key, s);
    }
    JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    JsonObject& add(const std::string& key, double value) { return raw(key, number(value)); }
    JsonObject& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, long value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
    JsonObject& add(const std::string& key, const JsonObject& value) { return raw(key, value.str()); }
    JsonObject& add(const std::string& key, const std::vector<double>& values) {
        std::string s = "[";
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i) s += ',';
            s += number(values[i]);
        }
        s += ']';
        return raw(key, s);
    }
    JsonObject& add(const std::string& key, const std::vector<JsonObject>& objects) {
        std::string s = "[";
        for (std::size_t i = 0; i < objects.size(); ++i) {
            if (i) s += ',';
            s += objects[i].str();
        }
        s += ']';
        return raw(key, s);
    }
    JsonObject& raw(const std::string& key, const std::string& json) {
        std::string item(1, '"');
        item += json_escape(key);
        item += "\":";
        item += json;
        items_.push_back(std::move(item));
        return *this;
    }
    /// Appends the members of `other` (in their order).
    JsonObject& merge(const JsonObject& other) {
        items_.insert(items_.end(), other.items_.begin(), other.items_.end());
        return *this;
    }
    bool empty() const { return items_.empty(); }
    std::string str() const {
        std::string s = "{";
        for (std::size_t i = 0; i < items_.size(); ++i) {
            if (i) s += ',';
            s += items_[i];
        }
        s += '}';
        return s;
    }

    static std::string number(double v) {
        if (!std::isfinite(v)) return "null";
        std::ostringstream os;
        os.precision(10);
        os << v;
        return os.str();
    }

private:
    std::vector<std::string> items_;
};

}  // namespace lucid::cli
