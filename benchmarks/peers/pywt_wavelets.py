#!/usr/bin/python3
"""PyWavelets timings to set next to benchmarks/bench_wavelets.cpp.

Usage: /usr/bin/python3 benchmarks/peers/pywt_wavelets.py [size] [repeats]
Prints the best-of-`repeats` time (ms) of wavedec2 + waverec2 (db4, 4 levels,
mode='periodization') on a size×size float64 (and float32) image, and of
swt2 + iswt2 (db2, 3 levels, norm=True, trim_approx=True) for reference.
"""
import sys
import time

import numpy as np
import pywt


def best(fn, repeats):
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return 1e3 * min(t)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
r = int(sys.argv[2]) if len(sys.argv) > 2 else 5
rng = np.random.default_rng(0)
print(f"pywt {pywt.__version__}, numpy {np.__version__}, image {n}x{n}, best of {r}")
for dtype in (np.float64, np.float32):
    x = rng.standard_normal((n, n)).astype(dtype)
    fwd = best(lambda: pywt.wavedec2(x, 'db4', mode='periodization', level=4), r)
    c = pywt.wavedec2(x, 'db4', mode='periodization', level=4)
    inv = best(lambda: pywt.waverec2(c, 'db4', mode='periodization'), r)
    both = best(lambda: pywt.waverec2(pywt.wavedec2(x, 'db4', mode='periodization', level=4), 'db4',
                                      mode='periodization'), r)
    # what a solver needs: the pyramid array in, the pyramid array out
    arr, sl = pywt.coeffs_to_array(c)
    both_arr = best(lambda: pywt.waverec2(pywt.array_to_coeffs(
        pywt.coeffs_to_array(pywt.wavedec2(x, 'db4', mode='periodization', level=4))[0], sl,
        output_format='wavedec2'), 'db4', mode='periodization'), r)
    print(f"{np.dtype(dtype).name}: wavedec2 {fwd:.1f} ms, waverec2 {inv:.1f} ms, "
          f"wavedec2+waverec2 {both:.1f} ms, with coeffs_to_array/array_to_coeffs {both_arr:.1f} ms")
x = rng.standard_normal((n, n))
m = min(n, 1024)
xs = x[:m, :m].copy()
sw = best(lambda: pywt.iswt2(pywt.swt2(xs, 'db2', level=3, trim_approx=True, norm=True), 'db2', norm=True), r)
print(f"float64 {m}x{m}: swt2+iswt2 db2 3 levels {sw:.1f} ms")
