// Kernels: motion, disk, box, toeplitz row, normalize, from_image and the SPEC parser.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "lucid/io/write.hpp"
#include "lucid/kernels/box.hpp"
#include "lucid/kernels/disk.hpp"
#include "lucid/kernels/from_image.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/kernels/motion.hpp"
#include "lucid/kernels/normalize.hpp"
#include "lucid/kernels/parse_spec.hpp"
#include "lucid/kernels/toeplitz_row.hpp"
#include "lucid/ops/convolution.hpp"
#include "support/peers.hpp"

using namespace lucid;

namespace {

template <class T>
double sum_of(const Image<T>& k) {
    double s = 0;
    for (auto v : k) s += double(v);
    return s;
}

template <class T>
double eps() { return std::is_same_v<T, float> ? 1e-6 : 1e-13; }

// Centroid and covariance of a kernel in a (x right, y up) frame centred on the centre pixel.
struct Moments {
    double mx, my, cxx, cxy, cyy;
};
template <class T>
Moments moments(const Image<T>& k) {
    const double ci = double(k.shape()[0] / 2), cj = double(k.shape()[1] / 2);
    Moments m{0, 0, 0, 0, 0};
    const double s = sum_of(k);
    for (std::size_t i = 0; i < k.shape()[0]; ++i)
        for (std::size_t j = 0; j < k.shape()[1]; ++j) {
            const double w = double(k(i, j)) / s, x = double(j) - cj, y = -(double(i) - ci);
            m.mx += w * x;
            m.my += w * y;
        }
    for (std::size_t i = 0; i < k.shape()[0]; ++i)
        for (std::size_t j = 0; j < k.shape()[1]; ++j) {
            const double w = double(k(i, j)) / s, x = double(j) - cj - m.mx, y = -(double(i) - ci) - m.my;
            m.cxx += w * x * x;
            m.cxy += w * x * y;
            m.cyy += w * y * y;
        }
    return m;
}

template <class T>
bool point_symmetric(const Image<T>& k, double tol) {
    const std::size_t h = k.shape()[0], w = k.shape()[1];
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j)
            if (std::abs(double(k(i, j)) - double(k(h - 1 - i, w - 1 - j))) > tol) return false;
    return true;
}

}  // namespace

TEMPLATE_TEST_CASE("box and toeplitz_row kernels", "[kernels]", float, double) {
    using T = TestType;
    const auto b = kernels::box<T>(5);
    REQUIRE(b.shape()[0] == 5);
    REQUIRE(b.shape()[1] == 5);
    for (auto v : b) CHECK(double(v) == Approx(0.04));
    const auto r = kernels::box<T>(2, 3);
    CHECK(r.shape()[0] == 2);
    CHECK(r.shape()[1] == 3);
    CHECK(sum_of(r) == Approx(1).epsilon(eps<T>()));
    CHECK_THROWS_WITH(kernels::box<T>(0), Catch::Contains("'size'"));
    CHECK_THROWS_WITH(kernels::box<T>(3, 0), Catch::Contains("'width'"));

    const auto t = kernels::toeplitz_row<T>();
    REQUIRE(t.shape()[0] == 1);
    REQUIRE(t.shape()[1] == 7);
    const double lecture[] = {1, 2, 3, 4, 3, 2, 1};
    for (std::size_t j = 0; j < 7; ++j) CHECK(double(t(0, j)) == Approx(lecture[j] / 16).epsilon(eps<T>()));
    CHECK(sum_of(t) == Approx(1).epsilon(eps<T>()));
    CHECK_THROWS_WITH(kernels::toeplitz_row<T>({}), Catch::Contains("'weights'"));
    CHECK_THROWS_WITH(kernels::toeplitz_row<T>({1, -2, 1}), Catch::Contains("'weights'") && Catch::Contains("index 1"));
    CHECK_THROWS_WITH(kernels::toeplitz_row<T>({1, std::nan(""), 1}), Catch::Contains("'weights'"));
    CHECK_THROWS_WITH(kernels::toeplitz_row<T>({0, 0}), Catch::Contains("'weights'") && Catch::Contains("positive sum"));
    // weights whose sum overflows a double still give the normalized kernel
    const auto huge = kernels::toeplitz_row<T>({1e308, 1e308, 0.5e308});
    CHECK(double(huge(0, 0)) == Approx(0.4).epsilon(eps<T>()));
    CHECK(double(huge(0, 2)) == Approx(0.2).epsilon(eps<T>()));
    const auto tiny = kernels::toeplitz_row<T>({1e-320, 3e-320});  // subnormal weights
    CHECK(double(tiny(0, 1)) == Approx(0.75).epsilon(1e-3));
}

TEMPLATE_TEST_CASE("a disk of radius <= 1/2 is the 1x1 identity kernel, for any tiny radius", "[kernels][disk]", float, double) {
    for (const double r : {0.5, 0.1, 1e-200}) {
        const auto k = kernels::disk<TestType>(r);
        REQUIRE(k.size() == 1);
        CHECK(double(k(0, 0)) == 1.0);
    }
}

TEMPLATE_TEST_CASE("Gaussian kernels with a vanishing sigma are a delta or a line, never NaN", "[kernels]", float, double) {
    using T = TestType;
    for (const double s : {1e-3, 1e-160, 5e-324}) {
        INFO("sigma " << s);
        const auto d = kernels::gaussian<T>(s, 5);
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 5; ++j) CHECK(double(d(i, j)) == (i == 2 && j == 2 ? 1.0 : 0.0));
        // σ0 tiny along θ = 0 (the x axis), σ1 = 1 across: the centre column is a 1-D Gaussian
        const auto line = kernels::gaussian<T>(s, 1.0, 0.0, 5);
        const double g1 = std::exp(-0.5), g2 = std::exp(-2.0), z = 1 + 2 * g1 + 2 * g2;
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t j = 0; j < 5; ++j) {
                const double di = double(i) - 2, want = j == 2 ? std::exp(-0.5 * di * di) / z : 0.0;
                CHECK(double(line(i, j)) == Approx(want).margin(1e-7));
            }
    }
}

TEMPLATE_TEST_CASE("normalize scales to unit sum and rejects unusable kernels", "[kernels]", float, double) {
    using T = TestType;
    auto k = kernels::normalize(Image<T>({3, 2}, T(2)));
    CHECK(sum_of(k) == Approx(1).epsilon(eps<T>()));
    CHECK(double(k(1, 1)) == Approx(1.0 / 6).epsilon(eps<T>()));
    CHECK_THROWS_WITH(kernels::normalize(Image<T>({3, 3}, T(0))), Catch::Contains("'kernel'") && Catch::Contains("sum"));
    CHECK_THROWS_WITH(kernels::normalize(Image<T>({0, 3})), Catch::Contains("'kernel'"));
    Image<T> bad({2, 2}, T(1));
    bad(0, 1) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH(kernels::normalize(bad), Catch::Contains("'kernel'") && Catch::Contains("finite"));
}

TEST_CASE("motion kernel: angles are reduced modulo 360 before use (huge angles gave NaN)", "[kernels][motion]") {
    const auto ref = kernels::motion<double>(15, std::fmod(1e308, 360.0));
    const auto k = kernels::motion<double>(15, 1e308);
    REQUIRE(k.shape() == ref.shape());
    CHECK(double(xt::amax(xt::abs(k - ref))()) == 0.0);
    CHECK(double(xt::sum(k)()) == Approx(1.0));
    const auto p = kernels::parse_spec<double>("motion:length=15,angle=6e307");
    CHECK(all_finite(p));
    CHECK(double(xt::amax(xt::abs(kernels::motion<double>(9, 405.0) - kernels::motion<double>(9, 45.0)))()) < 1e-12);
}

TEMPLATE_TEST_CASE("motion kernel: unit sum, symmetry, length and angle from second moments", "[kernels][motion]",
                   float, double) {
    using T = TestType;
    for (auto [length, angle] : {std::pair{15.0, 45.0}, {15.0, 0.0}, {10.0, 30.0}, {21.0, 120.0}, {9.0, -60.0},
                                 {12.0, 90.0}, {25.0, 170.0}, {7.5, 10.0}}) {
        CAPTURE(length, angle);
        const auto k = kernels::motion<T>(length, angle);
        CHECK(k.shape()[0] % 2 == 1);
        CHECK(k.shape()[1] % 2 == 1);
        CHECK(sum_of(k) == Approx(1).epsilon(eps<T>()));
        for (auto v : k) CHECK(v >= T(0));
        CHECK(point_symmetric(k, 1e-6));
        const auto m = moments(k);
        CHECK(std::abs(m.mx) < 1e-6);
        CHECK(std::abs(m.my) < 1e-6);
        // principal axis: largest eigenvector of the covariance
        const double tr = m.cxx + m.cyy, det = m.cxx * m.cyy - m.cxy * m.cxy;
        const double l1 = tr / 2 + std::sqrt(tr * tr / 4 - det), l2 = tr / 2 - std::sqrt(tr * tr / 4 - det);
        double got = std::atan2(l1 - m.cxx, m.cxy) * 180 / std::numbers::pi;  // eigenvector (cxy, l1 − cxx)
        if (std::abs(m.cxy) < 1e-12) got = m.cxx >= m.cyy ? 0.0 : 90.0;
        double diff = std::fmod(std::abs(got - angle), 180.0);
        diff = std::min(diff, 180.0 - diff);
        CHECK(diff < 1.0);
        // a uniform segment of length L has variance L²/12; the anti-aliasing tent adds about 1/6
        CHECK(std::sqrt(12 * (l1 - 1.0 / 6)) == Approx(length).epsilon(0.03));
        CHECK(l2 < 0.3);
    }
    // axis-aligned segments are a single row / column
    CHECK(kernels::motion<T>(15, 0).shape()[0] == 1);
    CHECK(kernels::motion<T>(15, 90).shape()[1] == 1);
    CHECK(kernels::motion<T>(15, 0).shape()[1] == 17);
    // A segment and its reverse are one set of points: the same kernel, the same
    // size (sin 180° ≈ 1.2e-16 once gave 180° a 3×17 kernel of stray taps).
    for (double a : {0.0, 90.0, 30.0, 135.0}) {
        INFO("angle " << a);
        for (double b : {a + 180.0, a - 180.0, a + 360.0}) {
            const auto k = kernels::motion<T>(15, a), kr = kernels::motion<T>(15, b);
            REQUIRE(k.shape() == kr.shape());
            const double peak = double(*std::max_element(k.begin(), k.end()));
            CHECK(double(xt::amax(xt::abs(k - kr))()) < 1e-6 * peak);
        }
    }
    CHECK(kernels::motion<T>(15, 180).shape()[0] == 1);
    CHECK(kernels::motion<T>(15, 270).shape()[1] == 1);
    CHECK(kernels::motion<T>(15, -90).shape()[1] == 1);
    CHECK_THROWS_WITH(kernels::motion<T>(0, 0), Catch::Contains("'length'"));
    CHECK_THROWS_WITH(kernels::motion<T>(-3, 0), Catch::Contains("'length'"));
    CHECK_THROWS_WITH(kernels::motion<T>(std::nan(""), 0), Catch::Contains("'length'"));
    CHECK_THROWS_WITH(kernels::motion<T>(5, INFINITY), Catch::Contains("'angle_degrees'"));
}

TEST_CASE("disk coverage is the exact area of each pixel inside the circle", "[kernels][disk]") {
    const double pi = std::numbers::pi;
    for (double R : {0.3, 0.5, 1.0, 2.5, 4.0, 7.3}) {
        CAPTURE(R);
        // coverage sums to πR² over a generous window
        double total = 0;
        for (int i = -10; i <= 10; ++i)
            for (int j = -10; j <= 10; ++j) total += kernels::detail::disk_pixel_coverage(R, i, j);
        CHECK(total == Approx(pi * R * R).epsilon(1e-12));
    }
    // against brute-force supersampling (1000×1000 points per pixel)
    const double R = 2.7;
    for (auto [i, j] : {std::pair{0, 2}, {1, 2}, {2, 2}, {-2, 1}, {0, 3}, {-1, -2}}) {
        CAPTURE(i, j);
        const int n = 1000;
        long inside = 0;
        for (int a = 0; a < n; ++a)
            for (int b = 0; b < n; ++b) {
                const double y = i - 0.5 + (a + 0.5) / n, x = j - 0.5 + (b + 0.5) / n;
                inside += x * x + y * y <= R * R;
            }
        CHECK(kernels::detail::disk_pixel_coverage(R, i, j) == Approx(double(inside) / (n * n)).margin(2e-4));
    }
    // a rectangle wholly inside the disk, and one wholly outside
    CHECK(kernels::detail::disk_rectangle_area(5, -1, 1, -1, 2) == Approx(6.0).epsilon(1e-14));
    CHECK(kernels::detail::disk_rectangle_area(1, 2, 3, -1, 1) == 0.0);
}

TEMPLATE_TEST_CASE("disk kernel: unit sum, size, symmetry, full pixels at 1/(πR²)", "[kernels][disk]", float, double) {
    using T = TestType;
    for (double R : {0.4, 1.0, 3.0, 4.0, 6.5}) {
        CAPTURE(R);
        const auto k = kernels::disk<T>(R);
        const std::size_t side = 2 * std::size_t(std::ceil(R + 0.5) - 1) + 1;
        CHECK(k.shape()[0] == side);
        CHECK(k.shape()[1] == side);
        CHECK(sum_of(k) == Approx(1).epsilon(eps<T>()));
        const std::size_t c = side / 2;
        if (R >= 1) CHECK(double(k(c, c)) * std::numbers::pi * R * R == Approx(1).epsilon(10 * eps<T>()));
        for (std::size_t i = 0; i < side; ++i)
            for (std::size_t j = 0; j < side; ++j) {
                CHECK(k(i, j) == k(side - 1 - i, j));
                CHECK(k(i, j) == k(i, side - 1 - j));
                CHECK(k(i, j) == k(j, i));
            }
        // reflect convolution with a disk is cosine-diagonal
        ops::Convolution<T> A(k, {20, 24}, Boundary::reflect);
        REQUIRE(A.spectrum().has_value());
        CHECK(A.spectrum()->transform == Transform::cosine);
    }
    CHECK(kernels::disk<T>(0.2).size() == 1);
    CHECK_THROWS_WITH(kernels::disk<T>(0), Catch::Contains("'radius'"));
    CHECK_THROWS_WITH(kernels::disk<T>(-2), Catch::Contains("'radius'"));
    CHECK_THROWS_WITH(kernels::disk<T>(std::nan("")), Catch::Contains("'radius'"));
}

TEMPLATE_TEST_CASE("from_image reads and normalizes a kernel image", "[kernels][io]", float, double) {
    using T = TestType;
    Image<double> img({5, 3}, 0.0);
    img(2, 1) = 1.0;
    img(1, 1) = 0.5;
    img(3, 1) = 0.5;
    const auto path = test::scratch_dir() / "kernel.png";
    io::write(path, img, {.bit_depth = 16});
    const auto k = kernels::from_image<T>(path);
    REQUIRE(k.shape()[0] == 5);
    REQUIRE(k.shape()[1] == 3);
    CHECK(sum_of(k) == Approx(1).epsilon(eps<T>()));
    CHECK(double(k(2, 1)) == Approx(0.5).epsilon(1e-4));
    CHECK(double(k(1, 1)) == Approx(0.25).epsilon(1e-4));
    const auto black = test::scratch_dir() / "black.png";
    io::write(black, Image<double>({3, 3}, 0.0));
    CHECK_THROWS_WITH(kernels::from_image<T>(black), Catch::Contains("'path'"));
    CHECK_THROWS_AS(kernels::from_image<T>(test::scratch_dir() / "missing.png"), Error);
}

TEMPLATE_TEST_CASE("parse_spec builds every SPEC of the command line", "[kernels][spec]", float, double) {
    using T = TestType;
    auto same = [](const Image<T>& a, const Image<T>& b) {
        if (a.shape() != b.shape()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a.data()[i] != b.data()[i]) return false;
        return true;
    };
    CHECK(same(kernels::parse_spec<T>("gaussian:sigma=2"), kernels::gaussian<T>(2.0)));
    CHECK(same(kernels::parse_spec<T>("gaussian:sigma=1.5,size=11"), kernels::gaussian<T>(1.5, 11)));
    CHECK(same(kernels::parse_spec<T>("gaussian:sigma0=2,sigma1=1,theta=30"),
               kernels::gaussian<T>(2.0, 1.0, 30 * std::numbers::pi / 180)));
    CHECK(same(kernels::parse_spec<T>("gaussian:sigma1=1, sigma0=3"), kernels::gaussian<T>(3.0, 1.0, 0.0)));
    CHECK(same(kernels::parse_spec<T>("motion:length=15,angle=45"), kernels::motion<T>(15, 45)));
    CHECK(same(kernels::parse_spec<T>("motion:length=9"), kernels::motion<T>(9, 0)));
    CHECK(same(kernels::parse_spec<T>("motion:length=9,angle=-30"), kernels::motion<T>(9, -30)));
    CHECK(same(kernels::parse_spec<T>("disk:radius=4"), kernels::disk<T>(4)));
    CHECK(same(kernels::parse_spec<T>("box:size=5"), kernels::box<T>(5)));
    CHECK(same(kernels::parse_spec<T>("  box:size=3  "), kernels::box<T>(3)));
    const auto t = kernels::parse_spec<T>("toeplitz:1,2,3,4,3,2,1");
    CHECK(same(t, kernels::toeplitz_row<T>()));
    CHECK(double(t(0, 3)) == Approx(0.25).epsilon(eps<T>()));
    CHECK(same(kernels::parse_spec<T>("toeplitz:1, 1"), kernels::toeplitz_row<T>({1, 1})));

    Image<double> img({3, 3}, 0.0);
    img(1, 1) = 1.0;
    const auto path = test::scratch_dir() / "spec_kernel.png";
    io::write(path, img);
    const auto f = kernels::parse_spec<T>("file:" + path.string());
    CHECK(double(f(1, 1)) == Approx(1.0));
}

TEMPLATE_TEST_CASE("parse_spec rejects malformed SPECs naming the key", "[kernels][spec][errors]", float, double) {
    using T = TestType;
    using Catch::Contains;
    auto p = [](const std::string& s) { return kernels::parse_spec<T>(s); };
    CHECK_THROWS_WITH(p("gaussian"), Contains("'spec'") && Contains("NAME:PARAMETERS"));
    CHECK_THROWS_WITH(p(""), Contains("'spec'"));
    CHECK_THROWS_WITH(p(":sigma=2"), Contains("'spec'"));
    CHECK_THROWS_WITH(p("blob:size=2"), Contains("'spec'") && Contains("blob"));
    CHECK_THROWS_WITH(p("gaussian:sigma"), Contains("'spec'") && Contains("KEY=VALUE"));
    CHECK_THROWS_WITH(p("gaussian:=2"), Contains("'spec'"));
    CHECK_THROWS_WITH(p("gaussian:"), Contains("'spec'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,"), Contains("'spec'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=-1"), Contains("'sigma'") && Contains("> 0"));
    CHECK_THROWS_WITH(p("gaussian:sigma=0"), Contains("'sigma'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=nan"), Contains("'sigma'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=inf"), Contains("'sigma'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=1e999"), Contains("'sigma'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2x"), Contains("'sigma'") && Contains("number"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,sigma=3"), Contains("'sigma'") && Contains("repeated"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,theta=30"), Contains("'theta'"));
    CHECK_THROWS_WITH(p("gaussian:sigma0=2"), Contains("'sigma1'"));
    CHECK_THROWS_WITH(p("gaussian:sigma0=2,sigma1=-1"), Contains("'sigma1'"));
    CHECK_THROWS_WITH(p("gaussian:sigma0=2,sigma1=1,theta=nan"), Contains("'theta'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,radius=3"), Contains("'radius'") && Contains("unknown"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,size=4.5"), Contains("'size'"));
    CHECK_THROWS_WITH(p("gaussian:sigma=2,size=4"), Contains("'size'"));  // even: rejected by gaussian
    CHECK_THROWS_WITH(p("motion:angle=45"), Contains("'length'"));
    CHECK_THROWS_WITH(p("motion:length=-15,angle=45"), Contains("'length'"));
    CHECK_THROWS_WITH(p("motion:length=15,angle=inf"), Contains("'angle'"));
    CHECK_THROWS_WITH(p("motion:length=15,speed=2"), Contains("'speed'"));
    CHECK_THROWS_WITH(p("disk:radius=-4"), Contains("'radius'"));
    CHECK_THROWS_WITH(p("disk:r=4"), Contains("'r'"));
    CHECK_THROWS_WITH(p("box:size=0"), Contains("'size'"));
    CHECK_THROWS_WITH(p("box:size=2.5"), Contains("'size'"));
    CHECK_THROWS_WITH(p("box:size=-5"), Contains("'size'"));
    CHECK_THROWS_WITH(p("toeplitz:1,-2,1"), Contains("'weights'"));
    CHECK_THROWS_WITH(p("toeplitz:1,,1"), Contains("'weights'"));
    CHECK_THROWS_WITH(p("toeplitz:"), Contains("'weights'"));
    CHECK_THROWS_WITH(p("toeplitz:0,0"), Contains("'weights'"));
    CHECK_THROWS_WITH(p("file:"), Contains("'path'"));
    CHECK_THROWS_AS(p("file:/nonexistent/k.png"), Error);
}

// Found by fuzzing (motion:length=9210 took minutes and gigabytes): every
// generator refuses kernels wider than max_kernel_side before allocating, and
// the limit itself is reachable.
TEMPLATE_TEST_CASE("kernel generators bound the kernel side", "[kernels][errors]", float, double) {
    using T = TestType;
    using Catch::Contains;
    const auto side = kernels::max_kernel_side;
    CHECK_THROWS_WITH(kernels::motion<T>(9210, 0), Contains("'length'") && Contains("2049"));
    CHECK_THROWS_WITH(kernels::disk<T>(1e6), Contains("'radius'"));
    CHECK_THROWS_WITH(kernels::box<T>(side + 1), Contains("'size'"));
    CHECK_THROWS_WITH(kernels::box<T>(3, side + 1), Contains("'width'"));
    CHECK_THROWS_WITH(kernels::gaussian<T>(1e300), Contains("'sigma'"));
    CHECK_THROWS_WITH(kernels::gaussian<T>(1, 1e9, 0.3), Contains("'sigma1'"));
    CHECK_THROWS_WITH(kernels::gaussian<T>(1.0, side + 2), Contains("'size'"));
    CHECK_THROWS_WITH(kernels::toeplitz_row<T>(std::vector<double>(side + 1, 1.0)), Contains("'weights'"));
    CHECK_THROWS_WITH(kernels::parse_spec<T>("motion:length=9210"), Contains("'length'"));
    CHECK_THROWS_WITH(kernels::parse_spec<T>("gaussian:sigma=1e200"), Contains("'sigma'"));
    // the bound is not off by one: the largest allowed sides are built
    CHECK(kernels::box<T>(side).shape()[0] == side);
    CHECK(kernels::gaussian<T>(1.0, side).shape()[1] == side);
    CHECK(kernels::motion<T>(2044, 0).shape()[0] <= side);
}
