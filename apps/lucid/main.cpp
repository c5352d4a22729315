// The lucid command-line tool: one translation unit; each command lives in
// commands/<name>.hpp, shared pieces in cli/*.hpp.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <unistd.h>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "commands/blur.hpp"
#include "commands/deblur.hpp"
#include "commands/demo.hpp"
#include "commands/denoise.hpp"
#include "commands/estimate_kernel.hpp"
#include "commands/metrics.hpp"
#include "commands/polyblur.hpp"
#include "lucid/core/fft.hpp"

namespace {

using Runner = int (*)(const std::vector<std::string>&);

struct Command {
    const char* name;
    const char* synopsis;
    Runner run;
};

const Command commands[] = {
    {"demo", "demo [--out DIR]                     simulate blurs, restore with every method, write a report",
     lucid::cli::run_demo},
    {"blur", "blur IN OUT --kernel SPEC [--boundary B] [--noise SIGMA] [--seed N]", lucid::cli::run_blur},
    {"deblur", "deblur IN OUT --kernel SPEC --method M [--lambda L] [--iters N] [--json]", lucid::cli::run_deblur},
    {"estimate-blur", "estimate-blur IN [--direction RULE] [--json]   Polyblur's estimate: sigma0, sigma1, theta",
     lucid::cli::run_estimate_blur},
    {"polyblur", "polyblur IN OUT [--iters N] [--alpha A] [--beta B] [--no-halo-removal] [--direction RULE]\n"
     "                 [--stop-below S]",
     lucid::cli::run_polyblur_command},
    {"estimate-kernel", "estimate-kernel IN KERNEL_OUT --size N   blind kernel estimation",
     lucid::cli::run_estimate_kernel},
    {"denoise", "denoise IN OUT --method tv|wavelet|nlm|cnn [--lambda L | --sigma S] [--iters N]",
     lucid::cli::run_denoise},
    {"metrics", "metrics REF IMG [--json]             PSNR, SSIM, MSE", lucid::cli::run_metrics},
};

std::string usage() {
    std::string s =
        "lucid " LUCID_CLI_VERSION " - imaging inverse problems, deblurring first\n\n"
        "usage: lucid <command> [arguments] [options]\n\ncommands:\n";
    for (const auto& c : commands) s += std::string("  ") + c.synopsis + "\n";
    s += R"(
Every computing command takes --threads N (default: all cores); all but
estimate-blur and metrics (whose output is the result) take --quiet;
deblur, denoise, polyblur take --reference REF (PSNR/SSIM in the output);
--json prints one JSON object on stdout. Images are 8/16-bit PNG, PGM or PPM
with values mapped to [0,1]; blur, deblur, denoise and polyblur write OUT
with the input's depth (16 bits if IN has more than 8; --bit-depth 8|16
chooses); outputs are written atomically (never partial).
Kernel SPEC: gaussian:sigma=2 | gaussian:sigma0=2,sigma1=1,theta=30 |
motion:length=15,angle=45 | disk:radius=4 | box:size=5 |
toeplitz:1,2,3,4,3,2,1 | file:k.png

exit codes:
  0    success
  1    runtime or data error (missing/corrupt file, cannot write, solver diverged)
  2    usage error (unknown command/option/method, bad number, malformed SPEC)
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP): the solver was stopped and nothing was written

Run 'lucid <command> --help' for the options of a command; docs/cli.md has more.
)";
    return s;
}

void print_error(const std::string& command, const std::string& what) {
    std::string msg = lucid::cli::one_line(what);
    const std::string prefix = "lucid " + command + ":";
    if (msg.rfind(prefix, 0) != 0) msg = prefix + " " + msg;
    std::fprintf(stderr, "%s\n", msg.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    using namespace lucid::cli;
#if defined(__linux__) && defined(_OPENMP)
    // OpenMP threads that spin at barriers waste a shared machine's cores (a
    // 10x slowdown measured on 2 busy cores); libgomp reads its wait policy
    // before main, so set it and re-execute once. LUCID_CLI_NO_REEXEC=1 or an
    // explicit OMP_WAIT_POLICY keeps the process as is.
    if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("LUCID_CLI_NO_REEXEC")) {
        ::setenv("OMP_WAIT_POLICY", "passive", 1);
        ::setenv("LUCID_CLI_NO_REEXEC", "1", 1);
        ::execv("/proc/self/exe", argv);  // returns only on failure: carry on
    }
#endif
    if (argc < 2) {
        std::fputs(usage().c_str(), stderr);
        return exit_usage;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        std::fputs(usage().c_str(), stdout);
        return exit_ok;
    }
    if (name == "--version") {
        std::printf("lucid %s\n", LUCID_CLI_VERSION);
        return exit_ok;
    }
    const Command* cmd = nullptr;
    for (const auto& c : commands)
        if (name == c.name) cmd = &c;
    if (!cmd) {
        std::fprintf(stderr, "lucid: unknown command '%s' (run 'lucid --help')\n", lucid::cli::one_line(name).c_str());
        return exit_usage;
    }
    // One-shot runs: FFTW_ESTIMATE plans unless LUCID_FFTW_EFFORT asks otherwise.
    if (!std::getenv("LUCID_FFTW_EFFORT")) lucid::fft::set_planner_effort(lucid::fft::Effort::estimate);
    install_sigint_handler(name);
    const std::vector<std::string> rest(argv + 2, argv + argc);
    try {
        return cmd->run(rest);
    } catch (const Interrupted&) {
        std::fprintf(stderr, "lucid %s: interrupted; no output written\n", name.c_str());
        return exit_interrupted;
    } catch (const UsageError& e) {
        print_error(name, e.what());
        return exit_usage;
    } catch (const lucid::Error& e) {
        print_error(name, e.what());
        return exit_failure;
    } catch (const std::bad_alloc&) {
        print_error(name, "out of memory (try a smaller image)");
        return exit_failure;
    } catch (const std::exception& e) {
        print_error(name, e.what());
        return exit_failure;
    }
}
