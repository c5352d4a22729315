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

// functionals (data terms, regularizers, indicators, combinators)
#include "lucid/functionals/algebra.hpp"
#include "lucid/functionals/box.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/elastic_net.hpp"
#include "lucid/functionals/functionals.hpp"
#include "lucid/functionals/huber.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l2_ball.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/quadratic_solver.hpp"
#include "lucid/functionals/simplex.hpp"
#include "lucid/functionals/squared_l2.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/functionals/tv1d.hpp"
#include "lucid/functionals/wavelet_l1.hpp"
#include "lucid/functionals/weighted_l1.hpp"

// denoisers
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/denoisers/denoisers.hpp"
#include "lucid/denoisers/gaussian_denoiser.hpp"
#include "lucid/denoisers/non_local_means.hpp"
#include "lucid/denoisers/prox_denoiser.hpp"
#include "lucid/denoisers/tv_denoiser.hpp"
#include "lucid/denoisers/wavelet_denoiser.hpp"

// learned priors: CNN denoiser, losses, posterior sampling
#include "lucid/denoisers/cnn.hpp"
#include "lucid/denoisers/cnn_model.hpp"
#include "lucid/learning/losses.hpp"
#include "lucid/sampling/sampling.hpp"
