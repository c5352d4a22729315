#pragma once
/// \file sampling.hpp
/// Posterior sampling with learned (or any) denoisers: Kadkhodaie–Simoncelli
/// coarse-to-fine ascent, DDPM/DiffPIR diffusion sampling, sample statistics.

#include "lucid/sampling/data_consistency.hpp"
#include "lucid/sampling/diffusion.hpp"
#include "lucid/sampling/kadkhodaie_simoncelli.hpp"
#include "lucid/sampling/noise.hpp"
#include "lucid/sampling/sample_statistics.hpp"
