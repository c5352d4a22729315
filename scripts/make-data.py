#!/usr/bin/python3
"""Regenerates the test images in data/ from scikit-image's bundled data.

Run from the repository root with Debian's interpreter:

    /usr/bin/python3 scripts/make-data.py

Every image comes from a file shipped in python3-skimage
(/usr/lib/python3/dist-packages/skimage/data) whose licence allows
redistribution (see data/README.md). Only integer arithmetic is used (2x2 block
means rounded half up, crops), so the output pixels do not depend on any
resampling library; PNG files are written by Pillow without optimization.
"""
import hashlib
import os
import sys

import numpy as np
from PIL import Image
import skimage
import skimage.data


def block_mean_2x2(a):
    """2x2 block mean of a uint8 image (H, W[, C]) with H, W even, rounded half up."""
    a = a.astype(np.uint32)
    s = a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]
    return ((s + 2) // 4).astype(np.uint8)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = os.path.join(root, "data")
    os.makedirs(out_dir, exist_ok=True)
    images = {
        # gray natural photo, CC0 (Lav Varshney): 512x512 -> 256x256 by 2x2 block mean
        "camera.png": block_mean_2x2(skimage.data.camera()),
        # color natural photo, public domain (NASA): 512x512x3 -> 256x256x3 by 2x2 block mean
        "astronaut.png": block_mean_2x2(skimage.data.astronaut()),
        # color natural photo with fine texture (fur), CC0 (Stefan van der Walt): 240x320 crop
        "chelsea.png": skimage.data.chelsea()[20:260, 40:360],
        # gray low-contrast texture, CC0 (DeviantArt linolafett): 256x256 crop, full resolution
        "grass.png": skimage.data.grass()[128:384, 128:384],
    }
    print(f"scikit-image {skimage.__version__}, numpy {np.__version__}")
    for name, img in images.items():
        img = np.ascontiguousarray(img)
        path = os.path.join(out_dir, name)
        Image.fromarray(img).save(path, format="PNG")
        digest = hashlib.sha256(img.tobytes()).hexdigest()[:16]
        print(f"{name}: shape {img.shape}, {os.path.getsize(path)} bytes, pixel sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
