#pragma once
/// \file losses.hpp
/// All losses of lucid::learning: mean squared / absolute error with
/// gradients, the 1-D Wasserstein distance, feature banks and the Projected
/// Distribution Loss (Delbracio, Talebi & Milanfar, ICCP 2021).

#include "lucid/learning/filter_bank.hpp"
#include "lucid/learning/pixel_losses.hpp"
#include "lucid/learning/projected_distribution_loss.hpp"
#include "lucid/learning/wasserstein.hpp"
