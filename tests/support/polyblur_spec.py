#!/usr/bin/python3
"""Independent numpy implementation of POLYBLUR.md (the spec page), used as
the reference that tests/test_polyblur.cpp compares lucid's Polyblur against.

It is deliberately the plainest reading of the spec: 2-D complex FFTs of the
whole image, float64 everywhere, no tiling, no tricks.

Command line (arrays are .npy files; images H×W or C×H×W):
  estimate IN OUT [c b n_angles n_interp quantile border]
        OUT = [sigma0, sigma1, theta, f_0..f_n, F_0..F_{m-1}]
  gradient IN GX GY
  kernel SIGMA0 SIGMA1 THETA SIZE OUT
  deconvolve IN KERNEL OUT ALPHA BETA PAD     (replicate pad, one FFT, crop)
  halo V U OUT                               (POLYBLUR.md §5 as halo.hpp discretizes it, no clamp)
  polyblur IN OUT EST n_iter alpha beta remove_halo [border]
        EST = rows (sigma0, sigma1, theta), one per iteration
"""
import sys

import numpy as np


def gaussian_kernel(s0, s1, theta, size=25):
    r = size // 2
    X, Y = np.meshgrid(np.arange(-r, r + 1, dtype=float), np.arange(-r, r + 1, dtype=float))
    phi = -theta
    c, s = np.cos(phi), np.sin(phi)
    p00 = c * c / s0 ** 2 + s * s / s1 ** 2
    p01 = s * c * (1 / s0 ** 2 - 1 / s1 ** 2)
    p11 = c * c / s1 ** 2 + s * s / s0 ** 2
    k = np.exp(-0.5 * (p00 * X ** 2 + 2 * p01 * X * Y + p11 * Y ** 2))
    return k / k.sum()


def dft_frequencies(n):
    k = np.arange(n)
    return np.where(k < (n + 1) // 2, k, k - n) / n


def spectral_gradient(g):
    G = np.fft.fft2(g)
    fx = dft_frequencies(g.shape[1])[None, :]
    fy = dft_frequencies(g.shape[0])[:, None]
    gx = np.real(np.fft.ifft2(G * 2j * np.pi * fx))
    gy = np.real(np.fft.ifft2(G * 2j * np.pi * fy))
    return gx, gy


def keys(s):
    s = abs(s)
    if s < 1:
        return 1.5 * s ** 3 - 2.5 * s ** 2 + 1
    if s < 2:
        return -0.5 * s ** 3 + 2.5 * s ** 2 - 4 * s + 2
    return 0.0


def keys_interpolate(samples, t):
    w = np.array([keys(t - j) for j in range(len(samples))])
    return float(np.dot(w, samples) / w.sum())


def estimate(img, c=0.362, b=0.468, n_angles=6, n_interp=30, q=0.0, border=12, smin=0.3, smax=4.0):
    g = img if img.ndim == 2 else img.mean(axis=0)
    g = g.astype(np.float64)
    lo, hi = (g.min(), g.max()) if q == 0 else (np.quantile(g, q), np.quantile(g, 1 - q))
    if not hi > lo:
        return smin, smin, 0.0, np.zeros(n_angles + 1), np.zeros(n_interp)
    g = np.clip((g - lo) / (hi - lo), 0, 1)
    gx, gy = spectral_gradient(g)
    H, W = g.shape
    if border > 0:
        gx = gx[border:H - border, border:W - border]
        gy = gy[border:H - border, border:W - border]
    a = np.arange(n_angles + 1) * np.pi / n_angles
    f = np.array([np.abs(np.cos(t) * gx - np.sin(t) * gy).max() for t in a])
    step = np.pi / n_angles
    F = np.array([keys_interpolate(f, (np.pi * i / n_interp) / step) for i in range(n_interp)])
    imin = int(np.argmin(F))
    theta = np.pi * imin / n_interp
    f_perp = keys_interpolate(f, ((theta + np.pi / 2) % np.pi) / step)

    def sigma(fv):
        s2 = c * c / fv ** 2 - b * b if fv > 0 else np.inf
        return float(np.sqrt(np.clip(s2, smin ** 2, smax ** 2)))

    return sigma(F[imin]), sigma(f_perp), float(theta), f, F


def coefficients(alpha, beta):
    """(a0, a1, a2, a3) of p(x) = a3 x^3 + a2 x^2 + a1 x + a0."""
    return beta, 5 - 3 * beta + alpha / 2, 3 * beta - alpha - 6, alpha / 2 - beta + 2


def transfer_function(k, shape):
    big = np.zeros(shape)
    big[:k.shape[0], :k.shape[1]] = k
    big = np.roll(big, (-(k.shape[0] // 2), -(k.shape[1] // 2)), axis=(0, 1))
    return np.fft.fft2(big)


def deconvolve(v, k, alpha=6.0, beta=1.0, pad=12):
    a0, a1, a2, a3 = coefficients(alpha, beta)
    vp = np.pad(v, pad, mode='edge')
    K = transfer_function(k, vp.shape)
    P = ((a3 * K + a2) * K + a1) * K + a0
    u = np.real(np.fft.ifft2(np.fft.fft2(vp) * P))
    return u[pad:pad + v.shape[0], pad:pad + v.shape[1]]


def one_sided_differences(a):
    """Forward and backward differences along x and y, replicate boundary (0 at the far edge)."""
    fx = np.zeros_like(a)
    fy = np.zeros_like(a)
    fx[:, :-1] = a[:, 1:] - a[:, :-1]
    fy[:-1, :] = a[1:, :] - a[:-1, :]
    bx = np.zeros_like(a)
    by = np.zeros_like(a)
    bx[:, 1:] = fx[:, :-1]
    by[1:, :] = fy[:-1, :]
    return (fx, fy), (bx, by)


def halo_weight(dv, du):
    M = np.maximum(-(dv[0] * du[0] + dv[1] * du[1]), 0.0)
    den = dv[0] ** 2 + dv[1] ** 2 + M
    return np.divide(M, den, out=np.zeros_like(M), where=den > 0)


def halo_blend(v, u):
    """§5's blend with z = max of the forward-difference and backward-difference weights."""
    (vf, vb), (uf, ub) = one_sided_differences(v), one_sided_differences(u)
    z = np.maximum(halo_weight(vf, uf), halo_weight(vb, ub))
    return z * v + (1 - z) * u


def halo(v, u):
    """Two blends against the same input (lucid's discretization of §5, halo.hpp)."""
    return halo_blend(v, halo_blend(v, u))


def polyblur(img, n_iter=3, alpha=6.0, beta=1.0, remove_halo=True, ksize=25, **est):
    u = img.astype(np.float64)
    estimates = []
    for _ in range(n_iter):
        s0, s1, th = estimate(u, **est)[:3]
        estimates.append((s0, s1, th))
        k = gaussian_kernel(s0, s1, th, ksize)
        out = []
        for v in ([u] if u.ndim == 2 else list(u)):
            w = deconvolve(v, k, alpha, beta, ksize // 2)
            if remove_halo:
                w = halo(v, w)
            out.append(np.clip(w, 0, 1))
        u = out[0] if img.ndim == 2 else np.stack(out)
    return u, np.array(estimates)


def main(argv):
    cmd = argv[1]
    if cmd == 'estimate':
        img = np.load(argv[2])
        p = [float(x) for x in argv[4:]]
        kw = {}
        for name, v in zip(['c', 'b', 'n_angles', 'n_interp', 'q', 'border'], p):
            kw[name] = int(v) if name in ('n_angles', 'n_interp', 'border') else v
        s0, s1, th, f, F = estimate(img, **kw)
        np.save(argv[3], np.concatenate([[s0, s1, th], f, F]))
    elif cmd == 'gradient':
        gx, gy = spectral_gradient(np.load(argv[2]))
        np.save(argv[3], gx)
        np.save(argv[4], gy)
    elif cmd == 'kernel':
        np.save(argv[6], gaussian_kernel(float(argv[2]), float(argv[3]), float(argv[4]), int(argv[5])))
    elif cmd == 'deconvolve':
        v, k = np.load(argv[2]), np.load(argv[3])
        alpha, beta, pad = float(argv[5]), float(argv[6]), int(argv[7])
        out = deconvolve(v, k, alpha, beta, pad) if v.ndim == 2 else \
            np.stack([deconvolve(c, k, alpha, beta, pad) for c in v])
        np.save(argv[4], out)
    elif cmd == 'halo':
        v, u = np.load(argv[2]), np.load(argv[3])
        out = halo(v, u) if v.ndim == 2 else np.stack([halo(a, b) for a, b in zip(v, u)])
        np.save(argv[4], out)
    elif cmd == 'polyblur':
        img = np.load(argv[2])
        n_iter, alpha, beta, rh = int(argv[5]), float(argv[6]), float(argv[7]), argv[8] == '1'
        kw = {'border': int(argv[9])} if len(argv) > 9 else {}
        u, est = polyblur(img, n_iter, alpha, beta, rh, **kw)
        np.save(argv[3], u)
        np.save(argv[4], est)
    else:
        raise SystemExit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
