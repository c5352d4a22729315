#pragma once
/// \file polyblur.hpp
/// Everything of Polyblur (POLYBLUR.md): blind estimation of a mild Gaussian
/// blur, deconvolution by polynomial reblurring, halo removal, the iteration.

#include "lucid/polyblur/bilateral.hpp"
#include "lucid/polyblur/deblur.hpp"
#include "lucid/polyblur/deconvolve.hpp"
#include "lucid/polyblur/edge_taper.hpp"
#include "lucid/polyblur/estimate_blur.hpp"
#include "lucid/polyblur/gaussian_blur.hpp"
#include "lucid/polyblur/halo.hpp"
#include "lucid/polyblur/options.hpp"
#include "lucid/polyblur/spectral_gradient.hpp"
