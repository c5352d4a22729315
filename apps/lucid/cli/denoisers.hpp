#pragma once
// The denoisers of `denoise --method` and `deblur --denoiser`.

#include <memory>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "lucid/denoisers/cnn.hpp"
#include "lucid/denoisers/non_local_means.hpp"
#include "lucid/denoisers/self_ensemble.hpp"
#include "lucid/denoisers/tv_denoiser.hpp"
#include "lucid/denoisers/wavelet_denoiser.hpp"

namespace lucid::cli {

inline const std::vector<std::string>& denoiser_names() {
    static const std::vector<std::string> d = {"tv", "wavelet", "nlm", "cnn"};
    return d;
}

namespace detail {

/// The learned denoiser, loaded once per process.
inline const denoisers::Cnn<double>& cnn_denoiser() {
    static std::unique_ptr<denoisers::Cnn<double>> cnn;
    if (!cnn)
        cnn = std::make_unique<denoisers::Cnn<double>>(
            naming("CNN denoiser", [] { return denoisers::Cnn<double>::load_default(); }));
    return *cnn;
}

/// Calls fn(denoiser) with the denoiser named `name`; the CNN averaged over
/// `ensemble` flips/transposes (denoisers::SelfEnsemble) when ensemble > 1.
template <class Fn>
auto with_denoiser(const std::string& name, Fn&& fn, int ensemble = 1) {
    if (name == "tv") return fn(denoisers::TvDenoiser<double>{});
    if (name == "wavelet") return fn(denoisers::WaveletDenoiser<double>{});
    if (name == "nlm") return fn(denoisers::NonLocalMeans<double>{});
    if (name == "cnn" && ensemble > 1)
        return fn(denoisers::SelfEnsemble<denoisers::Cnn<double>>(denoisers::Cnn<double>(cnn_denoiser()),
                                                                   {.transforms = ensemble}));
    if (name == "cnn") return fn(denoisers::Cnn<double>(cnn_denoiser()));
    throw UsageError("option '--denoiser' must be one of tv, wavelet, nlm, cnn (got '" + name + "')");
}

}  // namespace detail

}  // namespace lucid::cli
