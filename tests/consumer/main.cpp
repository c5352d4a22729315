// Builds against the installed package and runs a tiny operator pipeline.
#include <lucid/lucid.hpp>

#include <cstdio>

int main() {
    lucid::Image<double> x({16, 16}, 1.0);
    auto I = lucid::ops::identity_like(x);
    auto A = 2.0 * I + I;                      // 3·I through the operator algebra
    auto y = A(x);
    const double err = lucid::adjoint_test(A).relative_error;
    std::printf("y[0] = %g, adjoint error = %g\n", y(0, 0), err);
    return (y(0, 0) == 3.0 && err < 1e-12) ? 0 : 1;
}
