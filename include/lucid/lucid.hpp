#pragma once
/// \file lucid.hpp
/// Umbrella header: everything lucid offers.

// core
#include "lucid/core/boundary.hpp"
#include "lucid/core/eigen_view.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/core/vector_space.hpp"

// operators and their algebra
#include "lucid/ops/adjoint_test.hpp"
#include "lucid/ops/algebra.hpp"
#include "lucid/ops/decimation.hpp"
#include "lucid/ops/diagonal.hpp"
#include "lucid/ops/divergence.hpp"
#include "lucid/ops/finite_differences.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/ops/laplacian.hpp"
#include "lucid/ops/mask.hpp"
#include "lucid/ops/matrix_operator.hpp"
#include "lucid/ops/operator_norm.hpp"
#include "lucid/ops/spectral_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stationary_wavelet2d.hpp"
#include "lucid/ops/wavelet2d.hpp"
#include "lucid/ops/wavelet_filters.hpp"

// image files
#include "lucid/io/atomic_file.hpp"
#include "lucid/io/checksum.hpp"
#include "lucid/io/image_info.hpp"
#include "lucid/io/options.hpp"
#include "lucid/io/read.hpp"
#include "lucid/io/write.hpp"

// image quality metrics
#include "lucid/metrics/mse.hpp"
#include "lucid/metrics/psnr.hpp"
#include "lucid/metrics/ssim.hpp"
