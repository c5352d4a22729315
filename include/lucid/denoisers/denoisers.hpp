#pragma once
/// \file denoisers.hpp
/// All classical denoisers: the concept, prox-as-denoiser, TV (ROF), wavelet
/// shrinkage with cycle spinning, non-local means, Gaussian smoothing; and the
/// geometric self-ensemble wrapper for any of them (or the CNN).

#include "lucid/denoisers/denoiser.hpp"
#include "lucid/denoisers/gaussian_denoiser.hpp"
#include "lucid/denoisers/non_local_means.hpp"
#include "lucid/denoisers/prox_denoiser.hpp"
#include "lucid/denoisers/self_ensemble.hpp"
#include "lucid/denoisers/tv_denoiser.hpp"
#include "lucid/denoisers/wavelet_denoiser.hpp"
