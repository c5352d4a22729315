// The lucid command-line tool. Commands are added as the library grows.
#include <cstdio>
#include <cstring>

#include "lucid/lucid.hpp"

namespace {
constexpr const char* usage = R"(lucid — imaging inverse problems, deblurring first

usage: lucid <command> [options]

commands:
  demo [--out DIR]          run the demo on a shipped image
  --help                    show this help

Run 'lucid <command> --help' for the options of a command.
)";
}

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        std::fputs(usage, stdout);
        return argc < 2 ? 2 : 0;
    }
    std::fprintf(stderr, "lucid: unknown command '%s' (run 'lucid --help')\n", argv[1]);
    return 2;
}
