// The learned CNN denoiser: weights file, inference against PyTorch's
// outputs (stored by scripts/train-denoiser.py export-tests), tiling,
// threading, homogeneity, allocation-free calls, errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <limits>
#include <random>

#include "lucid/lucid.hpp"
#include "lucid/denoisers/cnn.hpp"
#include "support/allocation_counter.hpp"
#include "support/peers.hpp"
#include "support/compare.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
using denoisers::Cnn;
using denoisers::CnnModel;

namespace {

std::string ref(const std::string& name) { return test::source_path("tests/data/cnn/" + name); }

template <class T>
Image<T> load_image(const std::string& name) {
    auto a = test::read_npy<T>(ref(name));
    Image<T> out({a.shape()[0], a.shape()[1]});
    std::copy(a.begin(), a.end(), out.begin());
    return out;
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void put_u32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}

void fix_crc(std::vector<std::uint8_t>& b) {
    const auto c = io::crc32(std::span<const std::uint8_t>(b.data(), b.size() - 4));
    put_u32(b, b.size() - 4, c);
}

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

bool default_model_present() {
    try {
        (void)Cnn<float>::default_model_path();
        return true;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

static_assert(Denoiser<Cnn<float>, Image<float>>);
static_assert(Denoiser<Cnn<double>, Image<double>>);
static_assert(Denoiser<Cnn<float>, ImageStack<float>>);

TEST_CASE("CnnModel parses the tiny reference network", "[cnn][model]") {
    const auto m = CnnModel::read(ref("tiny.lcnn"));
    CHECK(m.version == 1);
    CHECK(m.in_channels == 2);
    REQUIRE(m.layers.size() == 4);
    CHECK(m.layers[0].cin == 2);
    CHECK(m.layers[0].cout == 6);
    CHECK(m.layers[0].relu);
    CHECK(m.layers[3].cout == 1);
    CHECK_FALSE(m.layers[3].relu);
    CHECK(m.parameter_count() == 2 * 6 * 9 + 2 * 36 * 9 + 6 * 9);
    CHECK(m.sigma_max == Approx(50.0 / 255).epsilon(1e-6));
    CHECK(m.residual);
}

TEMPLATE_TEST_CASE("Cnn matches PyTorch on the tiny network (reflect pad, sigma map, residual)", "[cnn]", float,
                   double) {
    using T = TestType;
    const auto y = load_image<T>("tiny_input.npy");
    for (std::size_t tile : {256u, 8u, 11u}) {
        auto cnn = Cnn<T>::load(ref("tiny.lcnn"), {.tile = tile, .portable_kernel = tile == 11u});
        Image<T> out(y.shape());
        cnn.denoise(y, T(0.1), out);
        CHECK(max_abs_diff(out, load_image<T>("tiny_output_s01.npy")) < 1e-4);
        cnn.denoise_blind(y, out);
        CHECK(max_abs_diff(out, load_image<T>("tiny_output_s0.npy")) < 1e-4);
    }
}

TEST_CASE("Cnn: the AVX2+FMA and portable kernels agree", "[cnn]") {
    const auto y = random_image<float>(37, 61, 13);
    auto fast = Cnn<float>::load(ref("tiny.lcnn"));
    auto portable = Cnn<float>::load(ref("tiny.lcnn"), {.portable_kernel = true});
    Image<float> a(y.shape()), b(y.shape());
    fast.denoise(y, 0.07f, a);
    portable.denoise(y, 0.07f, b);
    CHECK(max_abs_diff(a, b) < 1e-5);
    CHECK(max_abs_diff(b, a) > -1.0);
}

TEST_CASE("Cnn is positively homogeneous: D(a y, a s) = a D(y, s)", "[cnn][property]") {
    auto cnn = Cnn<double>::load(ref("tiny.lcnn"));
    const auto y = random_image<double>(23, 31, 3);
    Image<double> d1(y.shape()), d2(y.shape());
    cnn.denoise(y, 0.05, d1);
    for (double a : {0.25, 3.0}) {
        Image<double> ya = a * y;
        cnn.denoise(ya, 0.05 * a, d2);
        double m = 0;
        for (std::size_t i = 0; i < y.size(); ++i) m = std::max(m, std::abs(d2.data()[i] - a * d1.data()[i]));
        CHECK(m < 1e-5 * a);
    }
}

TEST_CASE("Cnn: tiles with halo, thread counts and stacks give the untiled result", "[cnn]") {
    const auto y = random_image<float>(70, 53, 5);
    auto whole = Cnn<float>::load(ref("tiny.lcnn"), {.tile = 512});
    auto tiled = Cnn<float>::load(ref("tiny.lcnn"), {.tile = 16});
    Image<float> a(y.shape()), b(y.shape());
    const int nt = num_threads();
    set_num_threads(1);
    whole.denoise(y, 0.1f, a);
    set_num_threads(2);
    tiled.denoise(y, 0.1f, b);
    set_num_threads(nt);
    CHECK(max_abs_diff(a, b) < 1e-6);

    ImageStack<float> s({2, 70, 53});
    std::copy(y.begin(), y.end(), s.begin());
    std::copy(b.begin(), b.end(), s.begin() + std::ptrdiff_t(y.size()));
    ImageStack<float> so(s.shape());
    whole.denoise(s, 0.1f, so);
    Image<float> second(y.shape());
    std::copy(so.begin() + std::ptrdiff_t(y.size()), so.end(), second.begin());
    Image<float> expect(y.shape());
    whole.denoise(b, 0.1f, expect);
    CHECK(std::equal(so.begin(), so.begin() + std::ptrdiff_t(y.size()), a.begin()));
    CHECK(max_abs_diff(second, expect) == 0.0);
}

TEST_CASE("Cnn does not allocate after the first call; copies are independent", "[cnn][alloc]") {
    auto cnn = Cnn<float>::load(ref("tiny.lcnn"), {.tile = 32});
    const auto y = random_image<float>(80, 75, 9);
    Image<float> out(y.shape()), again(y.shape());
    cnn.denoise(y, 0.1f, out);  // warm-up
    CHECK(test::allocations_during([&] {
              cnn.denoise(y, 0.1f, again);
              cnn.denoise(y, 0.05f, again);
          }) == 0);
    auto copy = cnn;
    copy.denoise(y, 0.1f, again);
    CHECK(max_abs_diff(out, again) == 0.0);
}

TEST_CASE("Cnn rejects bad arguments and bad weights files", "[cnn][errors]") {
    auto cnn = Cnn<float>::load(ref("tiny.lcnn"));
    Image<float> y = random_image<float>(12, 12, 1), out(y.shape());
    CHECK_THROWS_WITH(cnn.denoise(y, -0.1f, out), Catch::Contains("'sigma'") && Catch::Contains("[0, 0.196"));
    CHECK_THROWS_WITH(cnn.denoise(y, 0.5f, out), Catch::Contains("'sigma'"));
    CHECK_THROWS_WITH(cnn.denoise(y, std::nanf(""), out), Catch::Contains("'sigma'"));
    Image<float> wrong({12, 13});
    CHECK_THROWS_AS(cnn.denoise(y, 0.1f, wrong), ShapeError);
    CHECK_THROWS_WITH(cnn.denoise(y, 0.1f, y), Catch::Contains("'out'"));
    CHECK_THROWS_WITH(Cnn<float>::load("/nonexistent/model.lcnn"), Catch::Contains("'path'"));
    CHECK_THROWS_AS(Cnn<float>::load("/nonexistent/model.lcnn"), IoError);
    CHECK_THROWS_WITH(Cnn<float>({}, {.tile = 2}), Catch::Contains("'tile'"));
    // Models built in code are checked as a parsed file is (before: a segfault on an empty
    // model, a heap over-read on short weights, extra output channels dropped silently).
    CHECK_THROWS_WITH(Cnn<float>(CnnModel{}), Catch::Contains("'model.layers'"));
    {
        CnnModel m = CnnModel::read(ref("tiny.lcnn"));
        CnnModel short_weights = m;
        short_weights.layers[0].weights.resize(3);
        CHECK_THROWS_WITH(Cnn<float>(short_weights), Catch::Contains("'model.layers[0].weights'"));
        CHECK_THROWS_WITH(lucid::learning::FilterBank<float>::cnn_first_layer(short_weights),
                          Catch::Contains("'model.layers[0].weights'"));
        CnnModel two_out = m;
        two_out.layers.back().cout = 2;
        two_out.layers.back().weights.resize(2 * two_out.layers.back().cin * 9, 0.f);
        CHECK_THROWS_WITH(Cnn<float>(two_out), Catch::Contains(".cout'"));
        CnnModel nan_weight = m;
        nan_weight.layers[1].weights[0] = std::nanf("");
        CHECK_THROWS_WITH(Cnn<float>(nan_weight), Catch::Contains("'model.layers[1].weights'"));
        REQUIRE_NOTHROW(Cnn<float>(m));
    }
    // A finite input beyond float's range gives an error, not a non-finite output.
    {
        auto dcnn = Cnn<double>::load(ref("tiny.lcnn"));
        Image<double> huge = random_image<double>(12, 12, 2), o(huge.shape());
        huge(5, 5) = 1e300;
        CHECK_THROWS_WITH(dcnn.denoise(huge, 0.1, o), Catch::Contains("'y'") && Catch::Contains("overflow"));
    }

    const auto good = file_bytes(ref("tiny.lcnn"));
    REQUIRE_NOTHROW(CnnModel::parse(good));
    auto parse = [](const std::vector<std::uint8_t>& b) { return CnnModel::parse(b, "x.lcnn"); };

    auto flipped = good;
    flipped[100] ^= 0x10;
    CHECK_THROWS_WITH(parse(flipped), Catch::Contains("'checksum'") && Catch::Contains("x.lcnn"));
    auto truncated = good;
    truncated.resize(good.size() - 37);
    CHECK_THROWS_WITH(parse(truncated), Catch::Contains("'checksum'") && Catch::Contains("truncated"));
    CHECK_THROWS_WITH(parse(std::vector<std::uint8_t>(good.begin(), good.begin() + 10)), Catch::Contains("'file'"));
    auto magic = good;
    magic[0] = 'X';
    CHECK_THROWS_WITH(parse(magic), Catch::Contains("'magic'"));
    auto version = good;
    put_u32(version, 8, 2);
    fix_crc(version);
    CHECK_THROWS_WITH(parse(version), Catch::Contains("'version'") && Catch::Contains("got 2"));
    auto layers = good;
    put_u32(layers, 16, 1);
    fix_crc(layers);
    CHECK_THROWS_WITH(parse(layers), Catch::Contains("'layers'"));
    auto cin = good;
    put_u32(cin, 28, 3);  // layer 0 cin
    fix_crc(cin);
    CHECK_THROWS_WITH(parse(cin), Catch::Contains("'layer 0.cin'"));
    auto kernel = good;
    put_u32(kernel, 36, 5);
    fix_crc(kernel);
    CHECK_THROWS_WITH(parse(kernel), Catch::Contains("'layer 0.kernel_size'"));
    auto nanw = good;
    put_u32(nanw, 44, 0x7fc00000u);
    fix_crc(nanw);
    CHECK_THROWS_WITH(parse(nanw), Catch::Contains("'layer 0.weights'") && Catch::Contains("finite"));
    auto extra = good;
    extra.insert(extra.end() - 4, {0, 0, 0, 0});
    fix_crc(extra);
    CHECK_THROWS_WITH(parse(extra), Catch::Contains("'file'"));
}

TEMPLATE_TEST_CASE("Cnn rejects NaN and infinite pixels, naming 'y'", "[cnn][errors]", float, double) {
    using T = TestType;
    auto cnn = Cnn<T>::load(ref("tiny.lcnn"));
    Image<T> y = random_image<T>(12, 12, 3), out(y.shape());
    y(5, 7) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(cnn.denoise(y, T(0.1), out), Catch::Contains("'y'") && Catch::Contains("finite"));
    y(5, 7) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH(cnn.denoise_blind(y, out), Catch::Contains("'y'") && Catch::Contains("flat index 67"));
    ImageStack<T> stack({2, 8, 8}, T(0.5)), sout({2, 8, 8});
    stack(1, 2, 3) = -std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH(cnn.denoise(stack, T(0.1), sout), Catch::Contains("'y'"));
}

TEST_CASE("The committed default model matches PyTorch and denoises held-out photos", "[cnn][default]") {
    // The weights are committed (data/models): a missing file is a failure, not a skip.
    REQUIRE(default_model_present());
    auto cnn = Cnn<float>::load_default();
    CHECK(cnn.depth() == 10);
    CHECK(cnn.model().parameter_count() < 500000);
    const auto noisy = load_image<float>("camera_crop_noisy25.npy");
    Image<float> out(noisy.shape());
    cnn.denoise(noisy, 25.f / 255, out);
    CHECK(max_abs_diff(out, load_image<float>("camera_crop_out25.npy")) < 1e-4);
    cnn.denoise_blind(noisy, out);
    CHECK(max_abs_diff(out, load_image<float>("camera_crop_blind25.npy")) < 1e-4);

    // held-out photo (never used in training): PSNR gain at sigma = 25/255
    const auto clean = io::read_gray<float>(test::source_path("data/camera.png"));
    Image<float> y = clean;
    std::mt19937 rng(25);
    std::normal_distribution<float> n(0, 25.f / 255);
    for (auto& v : y) v += n(rng);
    Image<float> d(y.shape());
    cnn.denoise(y, 25.f / 255, d);
    const double p_noisy = metrics::psnr(clean, y, 1.0);
    const double p_cnn = metrics::psnr(clean, d, 1.0);
    INFO("noisy " << p_noisy << " dB, cnn " << p_cnn << " dB");
    CHECK(p_cnn > p_noisy + 8.0);
}

TEST_CASE("SelfEnsemble of the CNN: no allocation after the first call, better than the plain CNN",
          "[cnn][ensemble][alloc]") {
    // allocation: the tiny network, a non-square image (both orientations of workspace)
    denoisers::SelfEnsemble x8(Cnn<float>::load(ref("tiny.lcnn"), {.tile = 32}));
    const auto y = random_image<float>(40, 53, 11);
    Image<float> out(y.shape()), again(y.shape());
    x8.denoise(y, 0.1f, out);  // warm-up: workspaces and the network's buffers
    CHECK(test::allocations_during([&] {
              x8.denoise(y, 0.1f, again);
              x8.denoise(y, 0.05f, again);
          }) == 0);

    // The weights are committed (data/models): a missing file is a failure, not a skip.
    REQUIRE(default_model_present());
    // held-out crop of camera at sigma = 25/255: the ensemble gains over one call
    const auto full = io::read_gray<float>(test::source_path("data/camera.png"));
    Image<float> clean({96, 80});
    for (std::size_t i = 0; i < 96; ++i)
        for (std::size_t j = 0; j < 80; ++j) clean(i, j) = full(100 + i, 90 + j);
    Image<float> noisy = clean;
    std::mt19937 rng(7);
    std::normal_distribution<float> n(0, 25.f / 255);
    for (auto& v : noisy) v += n(rng);
    const auto cnn = Cnn<float>::load_default();
    Image<float> plain(clean.shape()), ens(clean.shape());
    cnn.denoise(noisy, 25.f / 255, plain);
    denoisers::SelfEnsemble(cnn).denoise(noisy, 25.f / 255, ens);
    const double p_plain = metrics::psnr(clean, plain, 1.0), p_ens = metrics::psnr(clean, ens, 1.0);
    INFO("cnn " << p_plain << " dB, x8 ensemble " << p_ens << " dB");
    CHECK(p_ens > p_plain + 0.05);
}

TEST_CASE("PnP-ADMM, PnP-HQS, PnP-FISTA and RED run with the CNN at their default parameters",
          "[cnn][solvers]") {
    REQUIRE(default_model_present());
    const auto cnn = Cnn<float>::load_default();
    const auto full = io::read_gray<float>(test::source_path("data/camera.png"));
    Image<float> clean({48, 48});
    for (std::size_t i = 0; i < 48; ++i)
        for (std::size_t j = 0; j < 48; ++j) clean(i, j) = full(120 + i, 110 + j);
    const ops::Convolution<float> A(kernels::gaussian<float>(1.0), clean.shape(), Boundary::periodic);
    Image<float> y = A(clean);
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0, 0.01f);
    for (auto& v : y) v += n(rng);
    const LeastSquares f(std::cref(A), y);
    const double p_blurry = metrics::psnr(clean, y, 1.0);
    auto check = [&](const char* name, const SolverResult<Image<float>>& r, bool restores = true) {
        INFO(name << ": " << to_string(r.status) << ", PSNR " << metrics::psnr(clean, r.x, 1.0) << " dB (input "
                  << p_blurry << ")");
        CHECK(all_finite(r.x));
        CHECK(r.status != Status::diverged);
        if (restores) CHECK(metrics::psnr(clean, r.x, 1.0) > p_blurry);
    };
    check("pnp_admm", pnp_admm(f, cnn, y));
    check("pnp_hqs", pnp_hqs(f, cnn, y));  // the default schedule starts at 49/255, inside the CNN's range
    check("pnp_fista", pnp_fista(f, cnn, y));
    // RED's default λ = 1e-3 under-regularizes this blur (15.8 dB): it runs, and
    // restores with a weight of the order used for the TV denoiser (test_formulations).
    check("red, defaults", red(f, cnn, y), false);
    check("red, lambda 0.02", red(f, cnn, y, {.lambda = 0.02, .sigma = {.initial = 0.02}}));
    // A schedule above the trained range is refused up front, naming the field.
    CHECK_THROWS_WITH(pnp_hqs(f, cnn, y, {.sigma = {.initial = 0.3, .final = 0.01, .steps = 10}}),
                      Catch::Contains("'sigma.initial'") && Catch::Contains("sigma_max"));
    CHECK_THROWS_WITH(pnp_admm(f, denoisers::SelfEnsemble(cnn), y, {.sigma = {.initial = 0.01, .final = 0.5, .steps = 4}}),
                      Catch::Contains("'sigma.final'"));
}
