#!/usr/bin/python3
"""Trains lucid's learned denoiser: a small bias-free residual CNN (DnCNN-style).

Run from the repository root with Debian's interpreter and python3-torch (CPU):

    /usr/bin/python3 scripts/train-denoiser.py train --out data/models/cnn-denoiser.lcnn

(defaults below: seed 1, depth 10, width 48, 8000 iterations of 24 patches
40x40, Adam with cosine learning-rate decay, one thread).  The committed model
was made in two stages, because on the shared 2-core machine the 8000
iterations would have taken over two hours: the first 3557 iterations of that
schedule, then 1000 iterations annealing the learning rate from 5e-4:

    /usr/bin/python3 scripts/train-denoiser.py train --out /tmp/stage1.lcnn --stop-after 3557
    /usr/bin/python3 scripts/train-denoiser.py finetune --init /tmp/stage1.lcnn \
        --out data/models/cnn-denoiser.lcnn --iters 1000 --lr 5e-4

Sub-commands
  train          train and write the weights (.lcnn, format in docs/learned-priors.md)
  finetune       continue training a model with L2 or L2 + w*PDL (projected
                 distribution loss) for a fixed number of iterations
  eval           PSNR / gradient statistics of one or more models on the held-out photos
  export-tests   write the reference inputs/outputs the C++ tests compare against
                 (a tiny random network, and the committed model on small crops)

Network.  D(y, s) = y - R(y, s), where R is a stack of 3x3 convolutions
*without bias* and ReLU between them (Mohan, Kadkhodaie, Simoncelli &
Fernandez-Granda, "Robust and interpretable blind image denoising via
bias-free convolutional neural networks", ICLR 2020).  Input channel 0 is the
noisy image; input channel 1 is a constant noise-level map s (the noise
standard deviation in [0,1] image units).  In training the map is replaced by
0 for 30% of the patches, so s = 0 asks the network to estimate the noise
level itself (blind mode, used by the Kadkhodaie-Simoncelli sampler).  Being
bias-free, D is positively homogeneous: D(a*y, a*s) = a*D(y, s) for a > 0.
Every convolution zero-pads by one pixel; the image is first extended by
`depth` pixels with half-sample symmetric reflection (numpy 'symmetric') and
the output cropped back, so the result near the border does not see the zero
padding and tiles with an overlap of `depth` pixels reproduce it exactly.

Data.  Training photos come from scikit-image 0.19.3's bundled data (Debian
python3-skimage), each CC0 or public domain per its skimage.data docstring:
coffee, rocket, hubble_deep_field, retina, immunohistochemistry (converted to
gray with skimage.color.rgb2gray), brick, gravel, coins, text, cell,
microaneurysms; the large ones (retina, hubble_deep_field) at half size;
and 13 photographs of Debian's lomiri-wallpapers-16.04 (CC0, CC-BY-4.0 or
CC-BY-SA-4.0, listed with their authors in WALLPAPERS below and in
docs/learned-priors.md) at quarter size.
Held out (never seen in training): the four images in data/ (camera,
astronaut, chelsea, grass; the colour ones converted to gray).  Noise:
sigma ~ U[0, 50/255] per patch, white Gaussian.
"""
import argparse
import math
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA_MAX = 50.0 / 255.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = b"LUCIDCNN"
VERSION = 1

TRAIN_IMAGES = ["coffee", "rocket", "hubble_deep_field", "retina", "immunohistochemistry",
                "brick", "gravel", "coins", "text", "cell", "microaneurysms"]
HALF_SIZE_TOO = {"retina", "hubble_deep_field"}  # used at half size only
# Photographs of Debian's lomiri-wallpapers-16.04 (/usr/share/backgrounds), with the
# licence given for each file in /usr/share/doc/lomiri-wallpapers-16.04/copyright.
# Used at 1/4 size (4x4 block mean of the gray image: sharper, JPEG artefacts averaged out).
WALLPAPER_DIR = "/usr/share/backgrounds"
WALLPAPERS = {
    "Bridge_by_Sander_Klootwijk.jpg": "CC-BY-SA-4.0, Sander Klootwijk 2018",
    "Dragonfly_by_Bolly.jpg": "CC-BY-SA-4.0, Bolly 2018",
    "Picture_0B_by_freespace.jpg": "CC-BY-4.0, Trevor Freespace 2018",
    "Picture_1A_by_freespace.jpg": "CC-BY-4.0, Trevor Freespace 2018",
    "Wine_by_Jakkub_Mede.jpg": "CC-BY-4.0, Jakub Mede 2018",
    "aitzgorri_by_Aitzol_Berasategi.jpg": "CC-BY-4.0, Aitzol Berasategi 2018",
    "free_by_Peter_Nerlich.jpg": "CC-BY-SA-4.0, Peter Nerlich 2018",
    "friends_by_Aitzol_Berasategi.jpg": "CC-BY-4.0, Aitzol Berasategi 2018",
    "greentock_by_Peter_Nerlich.jpg": "CC-BY-SA-4.0, Peter Nerlich 2018",
    "life_by_Aitzol_Berasategi.jpg": "CC-BY-4.0, Aitzol Berasategi 2018",
    "picosdeeuropa_by_Aitzol_Berasategi.jpg": "CC-BY-4.0, Aitzol Berasategi 2018",
    "seeding_by_Clements_Engelhardt.jpg": "CC0-1.0, Clemens Engelhardt 2018",
    "sunset_by_Aitzol_Berasategi.jpg": "CC-BY-4.0, Aitzol Berasategi 2018",
}
HELD_OUT = ["camera.png", "astronaut.png", "chelsea.png", "grass.png"]


# ---------------------------------------------------------------- network
class BiasFreeDnCNN(nn.Module):
    def __init__(self, depth=10, width=48, in_channels=2):
        super().__init__()
        self.depth = depth
        convs = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False)]
        for _ in range(depth - 2):
            convs.append(nn.Conv2d(width, width, 3, padding=1, bias=False))
        convs.append(nn.Conv2d(width, 1, 3, padding=1, bias=False))
        self.convs = nn.ModuleList(convs)
        for c in self.convs[:-1]:
            nn.init.kaiming_normal_(c.weight, nonlinearity="relu")
        nn.init.normal_(self.convs[-1].weight, std=1e-3)

    def residual(self, x):
        """R(y, s) on an (N, 2, H, W) tensor (zero padding in every layer)."""
        h = x
        for c in self.convs[:-1]:
            h = F.relu(c(h))
        return self.convs[-1](h)

    def forward(self, x):
        return x[:, :1] - self.residual(x)


def denoise_full(net, y, sigma):
    """The function the C++ code computes: reflect-pad by depth, D, crop. y: (H, W) numpy."""
    p = net.depth
    yp = np.pad(y, p, mode="symmetric").astype(np.float32)
    inp = np.stack([yp, np.full_like(yp, sigma, dtype=np.float32)])[None]
    with torch.no_grad():
        out = net(torch.from_numpy(inp))[0, 0].numpy()
    return out[p:-p, p:-p]


# ---------------------------------------------------------------- weights file
def save_lcnn(net, path):
    """Writes the .lcnn file (little-endian; layout in docs/learned-priors.md)."""
    body = bytearray()
    body += MAGIC
    body += struct.pack("<I", VERSION)
    body += struct.pack("<I", 2)                     # input channels (image, noise map)
    body += struct.pack("<I", len(net.convs))        # number of conv layers
    body += struct.pack("<f", SIGMA_MAX)             # largest supported sigma
    body += struct.pack("<I", 1)                     # flags: bit 0 = residual (D = y - R)
    for i, c in enumerate(net.convs):
        w = c.weight.detach().cpu().numpy().astype("<f4")
        cout, cin, kh, kw = w.shape
        act = 1 if i < len(net.convs) - 1 else 0
        body += struct.pack("<IIII", cin, cout, kh, act)
        body += w.tobytes(order="C")
    body += struct.pack("<I", zlib.crc32(bytes(body)) & 0xFFFFFFFF)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(body)
    os.replace(tmp, path)
    return len(body)


def load_lcnn(path):
    data = open(path, "rb").read()
    assert data[:8] == MAGIC, "bad magic"
    crc = struct.unpack("<I", data[-4:])[0]
    assert zlib.crc32(data[:-4]) & 0xFFFFFFFF == crc, "bad checksum"
    version, cin0, nl = struct.unpack("<III", data[8:20])
    assert version == VERSION
    off = 28
    ws = []
    for _ in range(nl):
        cin, cout, k, act = struct.unpack("<IIII", data[off:off + 16])
        off += 16
        n = cout * cin * k * k
        ws.append(np.frombuffer(data, "<f4", n, off).reshape(cout, cin, k, k))
        off += 4 * n
    width = ws[0].shape[0]
    net = BiasFreeDnCNN(depth=nl, width=width, in_channels=cin0)
    with torch.no_grad():
        for c, w in zip(net.convs, ws):
            c.weight.copy_(torch.from_numpy(w.copy()))
    return net


# ---------------------------------------------------------------- data
def to_gray(a):
    from skimage.color import rgb2gray
    if a.ndim == 3:
        return rgb2gray(a[..., :3]).astype(np.float32)
    return (a.astype(np.float32) / 255.0)


def training_images():
    import skimage.data as d
    out = []
    for name in TRAIN_IMAGES:
        g = to_gray(getattr(d, name)())
        if name not in HALF_SIZE_TOO:
            out.append((name, g))
        else:
            h, w = (g.shape[0] // 2) * 2, (g.shape[1] // 2) * 2
            g2 = g[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
            out.append((name + "/2", g2.astype(np.float32)))
    from PIL import Image
    missing = [f for f in WALLPAPERS if not os.path.exists(os.path.join(WALLPAPER_DIR, f))]
    if missing:
        sys.exit("missing training photos " + ", ".join(missing) +
                 ": apt-get install lomiri-wallpapers-16.04")
    for f in sorted(WALLPAPERS):
        a = np.asarray(Image.open(os.path.join(WALLPAPER_DIR, f)).convert("RGB"))
        g = to_gray(a)
        h, w = (g.shape[0] // 4) * 4, (g.shape[1] // 4) * 4
        g = g[:h, :w].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
        out.append((f.split("_by_")[0] + "/4", g.astype(np.float32)))
    return out


def held_out_images():
    from skimage.io import imread
    out = []
    for f in HELD_OUT:
        out.append((f, to_gray(imread(os.path.join(ROOT, "data", f)))))
    return out


class PatchSampler:
    def __init__(self, images, patch, rng):
        self.images = [g for _, g in images]
        # p ~ sqrt(area): big, mostly dark astronomy/medical images do not dominate
        area = np.sqrt(np.array([g.size for g in self.images], dtype=np.float64))
        self.p = area / area.sum()
        self.patch = patch
        self.rng = rng

    def batch(self, n):
        P = self.patch
        out = np.empty((n, P, P), np.float32)
        for b in range(n):
            g = self.images[self.rng.choice(len(self.images), p=self.p)]
            i = self.rng.integers(0, g.shape[0] - P + 1)
            j = self.rng.integers(0, g.shape[1] - P + 1)
            q = g[i:i + P, j:j + P]
            q = np.rot90(q, self.rng.integers(0, 4))
            if self.rng.integers(0, 2):
                q = q[:, ::-1]
            out[b] = q
        return out


def make_inputs(clean, rng, blind_fraction=0.3):
    n = clean.shape[0]
    sig = rng.uniform(0.0, SIGMA_MAX, size=n).astype(np.float32)
    noisy = clean + sig[:, None, None] * rng.standard_normal(clean.shape).astype(np.float32)
    smap = np.where(rng.uniform(size=n) < blind_fraction, 0.0, sig).astype(np.float32)
    inp = np.stack([noisy, np.broadcast_to(smap[:, None, None], clean.shape)], axis=1)
    return torch.from_numpy(np.ascontiguousarray(inp)), torch.from_numpy(clean[:, None])


# ---------------------------------------------------------------- losses
def filter_bank(x):
    """Fixed features of (N,1,H,W): pixels, forward differences dx, dy, Haar LH/HL/HH."""
    dx = x[..., :, 1:] - x[..., :, :-1]
    dy = x[..., 1:, :] - x[..., :-1, :]
    a = x[..., 0:x.shape[-2] // 2 * 2:2, 0:x.shape[-1] // 2 * 2:2]
    b = x[..., 0:x.shape[-2] // 2 * 2:2, 1:x.shape[-1] // 2 * 2:2]
    c = x[..., 1:x.shape[-2] // 2 * 2:2, 0:x.shape[-1] // 2 * 2:2]
    d = x[..., 1:x.shape[-2] // 2 * 2:2, 1:x.shape[-1] // 2 * 2:2]
    return [x, dx, dy, (a - b + c - d) / 2, (a + b - c - d) / 2, (a - b - c + d) / 2]


def pdl(out, target):
    """Projected distribution loss: mean over images and features of the 1-D
    Wasserstein-1 distance between the empirical distributions of a feature
    channel of out and target (sort both, mean absolute difference)."""
    total = 0.0
    fo, ft = filter_bank(out), filter_bank(target)
    for a, b in zip(fo, ft):
        a = a.flatten(1)
        b = b.flatten(1)
        total = total + (torch.sort(a, dim=1)[0] - torch.sort(b, dim=1)[0]).abs().mean()
    return total / len(fo)


# ---------------------------------------------------------------- evaluation
def psnr(a, b):
    return 10 * math.log10(1.0 / float(np.mean((a.astype(np.float64) - b) ** 2)))


def grad_mag(x):
    dx = np.diff(x, axis=1)[:-1, :]
    dy = np.diff(x, axis=0)[:, :-1]
    return np.sqrt(dx * dx + dy * dy)


def evaluate(net, images, sigmas, seed=0, crop=None, blind=False):
    """PSNR per (image, sigma); noise from a fixed seed per image and sigma."""
    res = {}
    for k, (name, g) in enumerate(images):
        if crop:
            h, w = g.shape
            g = g[(h - crop) // 2:(h - crop) // 2 + crop, (w - crop) // 2:(w - crop) // 2 + crop]
        for s in sigmas:
            rng = np.random.default_rng(seed * 1000 + k * 100 + int(round(s * 255)))
            y = g + (s / 255.0) * rng.standard_normal(g.shape).astype(np.float32)
            x = denoise_full(net, y, 0.0 if blind else s / 255.0)
            res[(name, s)] = (psnr(x, g), x, g)
    return res


# ---------------------------------------------------------------- commands
def train_loop(net, sampler, rng, iters, batch, lr, pdl_weight, log_every, val, stop_after=0, save_every=0,
               save_path=None):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(t, iters) / iters)))
    t0 = time.time()
    run = 0.0
    print(f"{'iter':>6} {'loss':>10} {'val_psnr_s25':>13} {'lr':>9} {'time_s':>8}", flush=True)
    for it in range(1, iters + 1):
        inp, clean = make_inputs(sampler.batch(batch), rng)
        out = net(inp)
        loss = F.mse_loss(out, clean)
        if pdl_weight > 0:
            loss = loss + pdl_weight * pdl(out, clean)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if save_every and save_path and it % save_every == 0:
            save_lcnn(net, save_path)          # checkpoint (same file as the final model)
        if stop_after and it == stop_after:
            print(f"stopped after iteration {it} of the {iters}-iteration schedule", flush=True)
            break
        sched.step()
        run += float(loss)
        if it % log_every == 0 or it == iters:
            n = log_every if it % log_every == 0 else it % log_every
            v = evaluate(net, val, [25], crop=96)
            vp = np.mean([p for p, _, _ in v.values()])
            print(f"{it:6d} {run / n:10.3e} {vp:13.2f} {sched.get_last_lr()[0]:9.2e} {time.time() - t0:8.0f}",
                  flush=True)
            run = 0.0
    return time.time() - t0


def cmd_train(a):
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    torch.set_num_threads(a.threads)
    imgs = training_images()
    print("training photos:", ", ".join(f"{n} {g.shape[1]}x{g.shape[0]}" for n, g in imgs), flush=True)
    net = BiasFreeDnCNN(a.depth, a.width)
    print(f"network: depth {a.depth}, width {a.width}, "
          f"{sum(p.numel() for p in net.parameters())} parameters", flush=True)
    sampler = PatchSampler(imgs, a.patch, rng)
    secs = train_loop(net, sampler, rng, a.iters, a.batch, a.lr, a.pdl_weight, a.log_every, held_out_images(),
                      a.stop_after, a.save_every, a.out)
    n = save_lcnn(net, a.out)
    print(f"wrote {a.out}: {n} bytes, training time {secs:.0f} s", flush=True)
    report(net, "trained")


def cmd_finetune(a):
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    torch.set_num_threads(a.threads)
    net = load_lcnn(a.init)
    sampler = PatchSampler(training_images(), a.patch, rng)
    secs = train_loop(net, sampler, rng, a.iters, a.batch, a.lr, a.pdl_weight, a.log_every, held_out_images(),
                      a.stop_after, a.save_every, a.out)
    n = save_lcnn(net, a.out)
    print(f"wrote {a.out}: {n} bytes, fine-tuning time {secs:.0f} s", flush=True)
    report(net, "fine-tuned")


def report(net, label):
    res = evaluate(net, held_out_images(), [15, 25, 50])
    for s in [15, 25, 50]:
        row = [res[(n, s)][0] for n, _ in held_out_images()]
        print(f"{label}: held-out PSNR sigma={s}: " + "  ".join(f"{p:.2f}" for p in row)
              + f"  mean {np.mean(row):.2f}", flush=True)
    return res


def cmd_eval(a):
    torch.set_num_threads(a.threads)
    print(f"{'model':<40} {'sigma':>5} {'PSNR':>7} {'mean|grad|':>11} {'p90|grad|':>10} "
          f"{'ref mean|grad|':>15} {'ref p90':>8}")
    for path in a.models:
        net = load_lcnn(path)
        res = evaluate(net, held_out_images(), a.sigmas)
        for s in a.sigmas:
            ps, gm, g90, rm, r90 = [], [], [], [], []
            for n, _ in held_out_images():
                p, x, g = res[(n, s)]
                ps.append(p)
                gx, gg = grad_mag(x), grad_mag(g)
                gm.append(gx.mean()); g90.append(np.percentile(gx, 90))
                rm.append(gg.mean()); r90.append(np.percentile(gg, 90))
            print(f"{os.path.basename(path):<40} {s:5d} {np.mean(ps):7.2f} {np.mean(gm):11.4f} "
                  f"{np.mean(g90):10.4f} {np.mean(rm):15.4f} {np.mean(r90):8.4f}")


def cmd_export_tests(a):
    """Reference data for tests/test_cnn.cpp (all float32 .npy, small)."""
    os.makedirs(a.dir, exist_ok=True)
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    tiny = BiasFreeDnCNN(depth=4, width=6)
    with torch.no_grad():
        for c in tiny.convs:
            c.weight.normal_(0, 0.3)
    save_lcnn(tiny, os.path.join(a.dir, "tiny.lcnn"))
    y = rng.uniform(0, 1, size=(19, 26)).astype(np.float32)
    np.save(os.path.join(a.dir, "tiny_input.npy"), y)
    for s, tag in [(0.0, "s0"), (0.1, "s01")]:
        np.save(os.path.join(a.dir, f"tiny_output_{tag}.npy"), denoise_full(tiny, y, s).astype(np.float32))
    # raw network (zero padding, no reflection) for the layer-by-layer check
    inp = np.stack([y, np.full_like(y, 0.1)])[None]
    with torch.no_grad():
        raw = tiny(torch.from_numpy(inp))[0, 0].numpy()
    np.save(os.path.join(a.dir, "tiny_raw_s01.npy"), raw.astype(np.float32))
    if a.model:
        net = load_lcnn(a.model)
        from skimage.io import imread
        cam = imread(os.path.join(ROOT, "data", "camera.png")).astype(np.float32) / 255.0
        crop = cam[100:148, 80:136]
        noisy = crop + (25 / 255.0) * np.random.default_rng(25).standard_normal(crop.shape).astype(np.float32)
        np.save(os.path.join(a.dir, "camera_crop_noisy25.npy"), noisy.astype(np.float32))
        np.save(os.path.join(a.dir, "camera_crop_out25.npy"), denoise_full(net, noisy, 25 / 255.0).astype(np.float32))
        np.save(os.path.join(a.dir, "camera_crop_blind25.npy"), denoise_full(net, noisy, 0.0).astype(np.float32))
    print("wrote", sorted(os.listdir(a.dir)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ["train", "finetune"]:
        q = sub.add_parser(name)
        q.add_argument("--out", required=True)
        q.add_argument("--seed", type=int, default=1)
        q.add_argument("--depth", type=int, default=10)
        q.add_argument("--width", type=int, default=48)
        q.add_argument("--iters", type=int, default=8000 if name == "train" else 600)
        q.add_argument("--batch", type=int, default=24)
        q.add_argument("--patch", type=int, default=40)
        q.add_argument("--lr", type=float, default=1e-3 if name == "train" else 1e-4)
        q.add_argument("--pdl-weight", type=float, default=0.0)
        q.add_argument("--threads", type=int, default=1)
        q.add_argument("--log-every", type=int, default=100)
        q.add_argument("--stop-after", type=int, default=0,
                       help="stop after this iteration (the learning-rate schedule still spans --iters)")
        q.add_argument("--save-every", type=int, default=0, help="also write --out every N iterations")
        if name == "finetune":
            q.add_argument("--init", required=True)
    q = sub.add_parser("eval")
    q.add_argument("models", nargs="+")
    q.add_argument("--sigmas", type=int, nargs="+", default=[15, 25, 50])
    q.add_argument("--threads", type=int, default=1)
    q = sub.add_parser("export-tests")
    q.add_argument("--dir", default=os.path.join(ROOT, "tests", "data", "cnn"))
    q.add_argument("--model", default=None)
    a = p.parse_args()
    {"train": cmd_train, "finetune": cmd_finetune, "eval": cmd_eval, "export-tests": cmd_export_tests}[a.cmd](a)


if __name__ == "__main__":
    main()
