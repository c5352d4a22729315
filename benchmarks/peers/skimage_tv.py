#!/usr/bin/python3
"""scikit-image TV denoising timings to set next to benchmarks/bench_functionals.cpp.

Usage: /usr/bin/python3 benchmarks/peers/skimage_tv.py [size] [iterations] [repeats]
Times denoise_tv_chambolle(image, weight=0.1, eps=0, max_num_iter=iterations)
(eps=0 disables its early stop, so exactly `iterations` iterations run) on the
same size×size piecewise-constant + noise image as the C++ benchmark, in
float64 and float32, single-threaded (numpy vector ops), best of `repeats`.
Weight convention: skimage solves min ½‖u − f‖² + weight·TV(u), our prox
with λτ = weight (see tests/test_functionals_tv.cpp).
"""
import sys
import time

import numpy as np
import skimage
from skimage.restoration import denoise_tv_chambolle

n = int(sys.argv[1]) if len(sys.argv) > 1 else 512
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 100
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rng = np.random.default_rng(1)
i, j = np.mgrid[0:n, 0:n]
base = ((i // 64 + j // 48) % 3) * 0.3
print(f"skimage {skimage.__version__}, numpy {np.__version__}, image {n}x{n}, {iters} iterations, best of {repeats}")
for dtype in (np.float64, np.float32):
    f = (base + rng.normal(0, 0.1, (n, n))).astype(dtype)
    best = 1e300
    for _ in range(repeats):
        t0 = time.perf_counter()
        denoise_tv_chambolle(f, weight=0.1, eps=0.0, max_num_iter=iters)
        best = min(best, time.perf_counter() - t0)
    print(f"denoise_tv_chambolle {np.dtype(dtype).name}: {1e3 * best:.1f} ms total, {1e3 * best / iters:.3f} ms/iteration")
