#!/usr/bin/python3
"""Writes the validation photos used to choose lucid's PnP setting
(docs/learned-priors.md, "Choosing the PnP setting") as 8-bit gray PNGs.

    /usr/bin/python3 scripts/export-validation-images.py OUT_DIR

They come from scikit-image 0.19.3's data (python3-skimage; CC0 or public
domain per each skimage.data docstring) and are *not* the four test photos of
data/ (camera, astronaut, chelsea, grass). moon and motorcycle_left (the left
view of stereo_motorcycle) were not
used to train the CNN; coffee, rocket and gravel were (scripts/train-denoiser.py
TRAIN_IMAGES) — acceptable here, since only PnP hyperparameters are chosen on
them. Each is converted to gray (skimage.color.rgb2gray), rounded to 8 bits
and cut to its central 192x192 pixels (keeps the sweep short).
"""
import os
import sys

import numpy as np
import skimage.data as data
from skimage.color import rgb2gray
from skimage.io import imsave

NAMES = ["moon", "motorcycle_left", "coffee", "rocket", "gravel"]
SIZE = 192


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export-validation-images.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    paths = []
    for name in NAMES:
        a = data.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(data, name)()
        g = rgb2gray(a[..., :3]) if a.ndim == 3 else a.astype(np.float64) / 255.0
        h, w = g.shape
        i, j = (h - SIZE) // 2, (w - SIZE) // 2
        g = np.clip(np.round(g[i:i + SIZE, j:j + SIZE] * 255), 0, 255).astype(np.uint8)
        path = os.path.join(out, name + ".png")
        imsave(path, g, check_contrast=False)
        paths.append(path)
    print(",".join(paths))


if __name__ == "__main__":
    main()
