#!/usr/bin/python3
"""lucid side by side with the Python peers, same problem, one thread.

Usage:
    /usr/bin/python3 benchmarks/peers/compare.py BUILD_DIR [--repeats R] [--json OUT] [--quick]

BUILD_DIR is a lucid build tree with the `peer_cases` target built
(-DLUCID_BUILD_BENCHMARKS=ON). For every case the script runs the lucid side
(BUILD_DIR/benchmarks/peer_cases, which calls lucid::set_num_threads(1)) and
the peer in this process, on the same image (the formula below, float64),
kernel, boundary and iteration count, and prints one table row per peer:
time lucid, time peer, ratio lucid/peer (< 1: lucid faster), for the
convolutions also the ratio with lucid's operator built once ("reused op",
apply() alone, as inside a solver loop), and the largest and mean absolute
difference between the two outputs (how far "the same problem" really is).

Timing: best of R runs, CPU time (lucid: the thread's CPU clock; peers:
time.process_time()), so a busy machine inflates neither side much. Both
sides time a whole call as a user makes it (set-up such as kernel spectra
and operator construction included, FFT plans warm after the first run).
One thread everywhere: OMP/OPENBLAS/MKL threads are set to 1 before numpy
loads, cv2.setNumThreads(1), scipy.fft runs with its default workers=1.

The FISTA-wavelet, ADMM-TV and Polyblur peers are straightforward numpy
implementations written here (no tricks beyond rfft2 and pywt), of the same
iteration as lucid's.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pywt  # noqa: E402
import scipy  # noqa: E402
import scipy.ndimage  # noqa: E402
import scipy.signal  # noqa: E402
import skimage  # noqa: E402
import skimage.restoration  # noqa: E402

cv2.setNumThreads(1)


# ---------------------------------------------------------------- test data

def test_image(n):
    """The image of peer_cases.cpp: smooth waves plus a 37×53 checkerboard."""
    i = np.arange(n, dtype=np.float64)[:, None]
    j = np.arange(n, dtype=np.float64)[None, :]
    checker = np.where(((np.arange(n)[:, None] // 37 + np.arange(n)[None, :] // 53) % 2) == 1, 0.15, -0.15)
    return 0.5 + 0.3 * np.sin(0.05 * i) * np.cos(0.031 * j) + checker


def gauss(sigma, size):
    """lucid::kernels::gaussian(sigma, sigma, 0, size): centred, normalized to sum 1."""
    r = np.arange(size) - size // 2
    g = np.exp(-0.5 * (r[:, None] ** 2 + r[None, :] ** 2) / sigma ** 2)
    return g / g.sum()


def odd_kernel(s):
    """The non-separable, non-symmetric kernel of peer_cases.cpp."""
    a = np.arange(s, dtype=np.float64)[:, None]
    b = np.arange(s, dtype=np.float64)[None, :]
    k = 1.0 + np.sin(1.3 * a + 0.7 * b * b)
    return k / k.sum()


def transfer(k, shape):
    """rfft2 of the kernel wrapped onto the torus with its centre at (0, 0)."""
    p = np.zeros(shape)
    kh, kw = k.shape
    p[:kh, :kw] = k
    p = np.roll(p, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(p)


def blur_periodic(x, k):
    return np.fft.irfft2(np.fft.rfft2(x) * transfer(k, x.shape), s=x.shape)


# ------------------------------------------------- straightforward numpy peers

def fista_wavelet_numpy(y, k, lam, iters):
    """FISTA on ½‖Ax − y‖² + λ‖detail coefficients of W x‖₁ (db4, 4 levels, periodization), A periodic."""
    H = transfer(k, y.shape)
    H2 = np.abs(H) ** 2
    aty = np.fft.irfft2(np.conj(H) * np.fft.rfft2(y), s=y.shape)
    t = 1.0 / H2.max()
    x = y.copy()
    z = x.copy()
    tk = 1.0
    for _ in range(iters):
        v = z - t * (np.fft.irfft2(H2 * np.fft.rfft2(z), s=y.shape) - aty)
        c = pywt.wavedec2(v, "db4", mode="periodization", level=4)
        c = [c[0]] + [tuple(pywt.threshold(d, t * lam, "soft") for d in lvl) for lvl in c[1:]]
        xn = pywt.waverec2(c, "db4", mode="periodization")
        tn = (1 + np.sqrt(1 + 4 * tk * tk)) / 2
        z = xn + ((tk - 1) / tn) * (xn - x)
        x, tk = xn, tn
    return x


def admm_tv_numpy(y, k, lam, rho, iters):
    """ADMM on ½‖Ax − y‖² + λ TV_iso(x) with z = ∇x (periodic), scaled dual u, fixed ρ."""
    h, w = y.shape
    H = transfer(k, y.shape)
    aty = np.fft.irfft2(np.conj(H) * np.fft.rfft2(y), s=y.shape)
    ly = 2 - 2 * np.cos(2 * np.pi * np.arange(h) / h)
    lx = 2 - 2 * np.cos(2 * np.pi * np.arange(w // 2 + 1) / w)
    denom = np.abs(H) ** 2 + rho * (ly[:, None] + lx[None, :])

    def dx(a):
        return np.roll(a, -1, axis=1) - a

    def dy(a):
        return np.roll(a, -1, axis=0) - a

    def dxt(a):
        return np.roll(a, 1, axis=1) - a

    def dyt(a):
        return np.roll(a, 1, axis=0) - a

    x = y.copy()
    zx, zy = dx(x), dy(x)
    ux, uy = np.zeros_like(x), np.zeros_like(x)
    for _ in range(iters):
        rhs = aty + rho * (dxt(zx - ux) + dyt(zy - uy))
        x = np.fft.irfft2(np.fft.rfft2(rhs) / denom, s=y.shape)
        gx, gy = dx(x) + ux, dy(x) + uy
        mag = np.sqrt(gx * gx + gy * gy)
        s = np.maximum(1 - (lam / rho) / np.maximum(mag, 1e-300), 0)
        zx, zy = s * gx, s * gy
        ux, uy = gx - zx, gy - zy
    return x


def keys(s):
    """Keys' cubic interpolation kernel, a = −0.5 (POLYBLUR.md §2.5)."""
    s = np.abs(s)
    return np.where(s < 1, 1.5 * s ** 3 - 2.5 * s ** 2 + 1,
                    np.where(s < 2, -0.5 * s ** 3 + 2.5 * s ** 2 - 4 * s + 2, 0.0))


def polyblur_estimate(u, c=0.362, b=0.468, border=12):
    """POLYBLUR.md §2 (gray image): (σ0, σ1, θ)."""
    lo, hi = u.min(), u.max()
    if hi <= lo:
        return 0.3, 0.3, 0.0
    g = np.clip((u - lo) / (hi - lo), 0, 1)
    G = np.fft.fft2(g)
    fy = np.fft.fftfreq(g.shape[0])[:, None]
    fx = np.fft.fftfreq(g.shape[1])[None, :]
    gx = np.real(np.fft.ifft2(G * (2j * np.pi * fx)))
    gy = np.real(np.fft.ifft2(G * (2j * np.pi * fy)))
    inner = (slice(border, -border or None), slice(border, -border or None))
    angles = np.arange(7) * np.pi / 6
    f = np.array([np.abs(np.cos(a) * gx[inner] - np.sin(a) * gy[inner]).max() for a in angles])
    t = np.arange(30) / 5.0
    wts = keys(t[:, None] - np.arange(7)[None, :])
    F = (wts * f[None, :]).sum(1) / wts.sum(1)
    i = int(np.argmin(F))
    f_t, f_p = F[i], F[(i + 15) % 30]
    s0 = np.sqrt(np.clip(c * c / f_t ** 2 - b * b, 0.09, 16))
    s1 = np.sqrt(np.clip(c * c / f_p ** 2 - b * b, 0.09, 16))
    return s0, s1, np.deg2rad(6.0 * i)


def polyblur_numpy(v, n_iter=3, alpha=6.0, beta=1.0, c=0.362, b=0.468, size=25, border=12):
    """POLYBLUR.md §1–§5 for a gray image, written plainly."""
    a3, a2, a1, a0 = alpha / 2 - beta + 2, 3 * beta - alpha - 6, 5 - 3 * beta + alpha / 2, beta
    pad = size // 2

    def kernel(s0, s1, theta):
        r = np.arange(size) - size // 2
        X, Y = r[None, :], r[:, None]
        cs, sn = np.cos(-theta), np.sin(-theta)
        p00 = cs * cs / s0 ** 2 + sn * sn / s1 ** 2
        p01 = sn * cs * (1 / s0 ** 2 - 1 / s1 ** 2)
        p11 = cs * cs / s1 ** 2 + sn * sn / s0 ** 2
        k = np.exp(-0.5 * (p00 * X * X + 2 * p01 * X * Y + p11 * Y * Y))
        return k / k.sum()

    def grad(a):
        gx = np.zeros_like(a)
        gy = np.zeros_like(a)
        gx[:, :-1] = a[:, 1:] - a[:, :-1]
        gy[:-1, :] = a[1:, :] - a[:-1, :]
        return gx, gy

    u = v
    for _ in range(n_iter):
        k = kernel(*polyblur_estimate(u, c, b, border))
        up = np.pad(u, pad, mode="edge")
        K = np.real(transfer(k, up.shape))
        P = ((a3 * K + a2) * K + a1) * K + a0
        w = np.fft.irfft2(np.fft.rfft2(up) * P, s=up.shape)[pad:-pad, pad:-pad]
        vx, vy = grad(u)
        wx, wy = grad(w)
        M = -(vx * wx + vy * wy)
        den = vx * vx + vy * vy + M
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(den != 0, np.maximum(M / den, 0), 0.0)
        u = np.clip(z * u + (1 - z) * w, 0, 1)
    return u


# ------------------------------------------------------------------- cases

def cases(quick):
    s = (lambda n: max(128, n // 4)) if quick else (lambda n: n)
    x1k, x512, x2k = test_image(s(1024)), test_image(s(512)), test_image(s(2048))
    g2 = gauss(2.0, 13)
    y_zero = scipy.signal.fftconvolve(x512, g2, mode="same")
    y_per_512 = blur_periodic(x512, g2)
    y_per_1k = blur_periodic(x1k, g2)
    y_refl = scipy.ndimage.convolve(x1k, gauss(1.5, 13), mode="reflect")
    k31, k9 = gauss(5.0, 31), odd_kernel(9)
    k9_flipped = cv2.flip(k9, -1)
    return [
        ("FFT convolution, zero boundary, 31×31", "fftconv", x1k.shape[0], 0,
         [("scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(x1k, k31, mode="same"))]),
        # The same convolution as a user gets it from lucid without naming a method: the cost
        # model picks the separable direct path (31 + 31 taps per pixel). Peers: the FFT route
        # again, and SciPy's own separable direct route (two 1-D convolutions, zero boundary).
        ("zero-boundary convolution, 31×31 Gaussian, automatic method", "zeroconv", x1k.shape[0], 0,
         [("scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(x1k, k31, mode="same")),
          ("scipy.ndimage.convolve1d ×2", lambda: scipy.ndimage.convolve1d(
              scipy.ndimage.convolve1d(x1k, k31.sum(axis=1), axis=0, mode="constant"),
              k31.sum(axis=0), axis=1, mode="constant"))]),
        ("reflect convolution, 9×9 non-separable", "reflectconv", x1k.shape[0], 0,
         [("scipy.ndimage.convolve", lambda: scipy.ndimage.convolve(x1k, k9, mode="reflect")),
          ("cv2.filter2D", lambda: cv2.filter2D(x1k, -1, k9_flipped, borderType=cv2.BORDER_REFLECT))]),
        ("Richardson–Lucy, zero boundary", "rl", x512.shape[0], 30,
         [("skimage richardson_lucy", lambda: skimage.restoration.richardson_lucy(y_zero, g2, num_iter=30,
                                                                                   clip=False))]),
        ("Wiener, periodic", "wiener", x1k.shape[0], 0,
         [("skimage wiener", lambda: skimage.restoration.wiener(y_per_1k, g2, 1e-2, clip=False))]),
        ("TV denoising (ROF, λ = 0.1)", "tv", x512.shape[0], 100,
         [("skimage denoise_tv_chambolle", lambda: skimage.restoration.denoise_tv_chambolle(
             x512, weight=0.1, eps=0.0, max_num_iter=100))]),
        ("DWT db4, 4 levels, forward + inverse", "dwt", x2k.shape[0], 0,
         [("pywt wavedec2 + waverec2", lambda: pywt.waverec2(
             pywt.wavedec2(x2k, "db4", mode="periodization", level=4), "db4", mode="periodization"))]),
        ("FISTA-wavelet deblurring, periodic", "fista_wavelet", x512.shape[0], 50,
         [("numpy + pywt (in compare.py)", lambda: fista_wavelet_numpy(y_per_512, g2, 1e-3, 50))]),
        ("ADMM-TV deblurring, periodic, fixed ρ", "admm_tv", x512.shape[0], 50,
         [("numpy (in compare.py)", lambda: admm_tv_numpy(y_per_512, g2, 1e-3, 1e-2, 50))]),
        ("Polyblur, 3 passes, gray", "polyblur", x1k.shape[0], 0,
         [("numpy (in compare.py)", lambda: polyblur_numpy(y_refl))]),
    ]


def best_cpu(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def run_lucid(binary, case, n, iters, repeats):
    with tempfile.NamedTemporaryFile(suffix=".f64") as f:
        cmd = [binary, case, str(n), str(repeats)] + ([str(iters)] if iters else []) + ["--check", f.name]
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        out = np.fromfile(f.name, dtype=np.float64)
    r = json.loads(res.stdout.strip().splitlines()[-1])
    return (r["seconds"], (r["steady_seconds"] if r.get("steady_seconds", -1) > 0 else None),
            (r["bound_seconds"] if r.get("bound_seconds", -1) > 0 else None), out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--quick", action="store_true", help="quarter-size images (smoke test)")
    ap.add_argument("--only", metavar="CASE", action="append",
                    help="run only this case id (fftconv, zeroconv, reflectconv, rl, wiener, tv, dwt, fista_wavelet, "
                         "admm_tv, polyblur); repeatable")
    args = ap.parse_args()
    binary = os.path.join(args.build_dir, "benchmarks", "peer_cases")
    if not os.path.exists(binary):
        sys.exit(f"compare.py: {binary} not found; build the 'peer_cases' target first")

    rows = []
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-image {skimage.__version__}, "
          f"PyWavelets {pywt.__version__}, OpenCV {cv2.__version__}; one thread; best of {args.repeats}, CPU time")
    header = (f"{'case':44} {'size':>9} {'it':>3}  {'lucid ms':>9}  {'peer':30} {'peer ms':>9}  {'lucid/peer':>10}"
              f"  {'reused op':>9}  {'max |Δ|':>8}  {'mean |Δ|':>8}")
    print(header)
    print("-" * len(header))
    for title, case, n, iters, peers in cases(args.quick):
        if args.only and case not in args.only:
            continue
        t_lucid, t_steady, t_floor, out_lucid = run_lucid(binary, case, n, iters, args.repeats)
        for peer, fn in peers:
            t_peer, out_peer = best_cpu(fn, args.repeats)
            diff = float(np.max(np.abs(out_lucid - np.asarray(out_peer, dtype=np.float64).ravel())))
            mean = float(np.mean(np.abs(out_lucid - np.asarray(out_peer, dtype=np.float64).ravel())))
            row = {"case": title, "id": case, "n": n, "iters": iters, "lucid_s": t_lucid, "peer": peer,
                   "peer_s": t_peer, "ratio": t_lucid / t_peer, "lucid_steady_s": t_steady,
                   "ratio_steady": (t_steady / t_peer) if t_steady else None,
                   "floor_s": t_floor, "ratio_floor": (t_floor / t_peer) if t_floor else None, "max_abs_diff": diff,
                   "mean_abs_diff": mean}
            rows.append(row)
            steady = f"{t_steady / t_peer:.3f}" if t_steady else ""
            print(f"{title:44} {n:>4}×{n:<4} {iters or '':>3}  {1e3 * t_lucid:9.2f}  {peer:30} {1e3 * t_peer:9.2f}  "
                  f"{row['ratio']:10.3f}  {steady:>9}  {diff:8.1e}"
                  f"  {mean:8.1e}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                                    "skimage": skimage.__version__, "pywt": pywt.__version__,
                                    "cv2": cv2.__version__},
                       "repeats": args.repeats, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
