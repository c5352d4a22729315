#pragma once
/// \file functionals.hpp
/// All functionals: concepts, data terms, regularizers, indicators, combinators.

#include "lucid/functionals/algebra.hpp"
#include "lucid/functionals/box.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/elastic_net.hpp"
#include "lucid/functionals/huber.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l2_ball.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/prox_test.hpp"
#include "lucid/functionals/simplex.hpp"
#include "lucid/functionals/squared_l2.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/functionals/tv1d.hpp"
#include "lucid/functionals/weighted_l1.hpp"
