#pragma once
// A minimal JSON object writer for `--json` output (one object on stdout).

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
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
    JsonObject& add(const std::string& key, const std::string& value) { return raw(key, "\"" + json_escape(value) + "\""); }
    JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    JsonObject& add(const std::string& key, double value) { return raw(key, number(value)); }
    JsonObject& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, long value) { return raw(key, std::to_string(value)); }
    JsonObject& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
    JsonObject& add(const std::string& key, const JsonObject& value) { return raw(key, value.str()); }
    JsonObject& add(const std::string& key, const std::vector<double>& values) {
        std::string s = "[";
        for (std::size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + number(values[i]);
        return raw(key, s + "]");
    }
    JsonObject& raw(const std::string& key, const std::string& json) {
        items_.push_back("\"" + json_escape(key) + "\":" + json);
        return *this;
    }
    std::string str() const {
        std::string s = "{";
        for (std::size_t i = 0; i < items_.size(); ++i) s += (i ? "," : "") + items_[i];
        return s + "}";
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
