#!/usr/bin/python3
"""scikit-image non-local means timings to set next to benchmarks/bench_denoisers.cpp.

Usage: /usr/bin/python3 benchmarks/peers/skimage_nlm.py [repeats]
denoise_nl_means(fast_mode=True) on 256×256 gray (patch 5×5, search 21×21) and
RGB (patch 3×3, search 21×21), h and sigma as in lucid's NonLocalMeans for
σ = 20/255 (IPOL 2011 table). Same pixelwise scheme, same image content.
"""
import sys
import time

import numpy as np
import skimage
from skimage.restoration import denoise_nl_means

r = int(sys.argv[1]) if len(sys.argv) > 1 else 3
s = 20 / 255
rng = np.random.default_rng(1)
k = np.arange(256 * 256)
gray = np.where((k // 37) % 2 == 1, 0.7, 0.3).reshape(256, 256) + rng.normal(0, s, (256, 256))
kc = np.arange(3 * 256 * 256)
color = np.moveaxis((np.where((kc // 37) % 2 == 1, 0.7, 0.3) + rng.normal(0, s, kc.size)).reshape(3, 256, 256), 0, -1).copy()
print(f"skimage {skimage.__version__}, best of {r}")
for name, img, f, h, ch in (("gray", gray, 2, 0.40 * s, None), ("color", color, 1, 0.55 * s, -1)):
    best = 1e300
    for _ in range(r):
        t0 = time.perf_counter()
        denoise_nl_means(img, patch_size=2 * f + 1, patch_distance=10, h=h, sigma=s, fast_mode=True, channel_axis=ch)
        best = min(best, time.perf_counter() - t0)
    print(f"denoise_nl_means {name}: {1e3 * best:.1f} ms")
