#pragma once
// A minimal JSON object writer for `--json` output (one object on stdout).

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace lucid::cli {

/// Escapes a string for JSON.
inline std::string json_escape(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
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
