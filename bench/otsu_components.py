#!/usr/bin/python3
"""Peer side of `bench/run otsu-components`: the same steps with scikit-image / scipy.

usage: /usr/bin/python3 bench/otsu_components.py <raw.tif> [repeats=5]
Prints one JSON object shaped like ShapeStudy.Bench's output.
"""
import json
import sys
import time

import numpy as np
import scipy
import skimage
import tifffile
from skimage.filters import gaussian, threshold_otsu
from skimage.measure import label

from benchtime import median_time


def run_size(raw, repeats):
    out = {}
    smooth = gaussian(raw, sigma=1, preserve_range=True, mode="nearest", truncate=4.0)
    t = threshold_otsu(smooth)
    mask = smooth > t
    count = int(label(mask, connectivity=3, return_num=True)[1])
    out["size"] = "x".join(str(s) for s in raw.shape)
    out["gaussian_s"] = median_time(repeats, lambda: gaussian(raw, sigma=1, preserve_range=True, mode="nearest", truncate=4.0))
    out["otsu_s"] = median_time(repeats, lambda: threshold_otsu(smooth))
    out["label26_s"] = median_time(repeats, lambda: label(mask, connectivity=3, return_num=True))
    out["threshold"] = float(t)
    out["components"] = count
    return out


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    raw = tifffile.imread(path)
    sizes = [run_size(raw, repeats), run_size(np.tile(raw, (2, 2, 2)), repeats)]
    print(json.dumps({"tool": f"scikit-image {skimage.__version__} / scipy {scipy.__version__}", "sizes": sizes}))


if __name__ == "__main__":
    main()
