// Catch2 runner shared by every test binary. Tests plan FFTs with
// FFTW_ESTIMATE unless LUCID_FFTW_EFFORT says otherwise: planning effort
// changes speed, never results beyond round-off.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

#include "lucid/core/fft.hpp"

int main(int argc, char* argv[]) {
    if (!std::getenv("LUCID_FFTW_EFFORT")) lucid::fft::set_planner_effort(lucid::fft::Effort::estimate);
    return Catch::Session().run(argc, argv);
}
