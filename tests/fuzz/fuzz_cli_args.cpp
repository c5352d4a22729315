// Fuzzes the CLI argument parser: NUL-separated argv strings against every
// option type; any input must parse or throw lucid::Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "args.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const lucid::cli::CommandSpec spec{
        "fuzz", "fuzz target", {"IN", "OUT"},
        {{"lambda", true, "L", "a number"}, {"iters", true, "N", "an integer"},
         {"method", true, "M", "a choice"}, {"json", false, "", "a flag"}}};
    std::vector<std::string> argv(1);
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0) argv.emplace_back();
        else argv.back().push_back(char(data[i]));
    }
    try {
        lucid::cli::Args args(spec, argv);
        if (args.help_requested()) return 0;
        (void)args.number("lambda", 1.0, "positive");
        (void)args.integer("iters", 10, 1, 100000);
        (void)args.choice("method", "a", {"a", "b"});
        (void)args.flag("json");
        (void)args.positional(1);
    } catch (const lucid::Error&) {
    }
    return 0;
}
