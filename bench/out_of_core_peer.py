"""Peer side of `bench/run out-of-core`, on the 256³ crop only (no peer segments out of core).

usage: out_of_core_peer.py CROP.npy OUR_LABELS.npy SIGMA MIN_VOLUME
scikit-image 0.19: gaussian(preserve_range=True, truncate 4, mode nearest) -> threshold_otsu -> label(connectivity=3)
-> remove_small_objects(min_size) -> relabel_sequential. Last stdout line: JSON with seconds, threshold, object
count and the fraction of voxels whose label id equals ours (ids in raster order on both sides).
"""
import json
import math
import sys
import time

import numpy as np
import skimage
from skimage import filters, measure, morphology, segmentation

crop = np.load(sys.argv[1])
ours = np.load(sys.argv[2])
sigma, min_volume = float(sys.argv[3]), float(sys.argv[4])
t0 = time.perf_counter()
smoothed = filters.gaussian(crop.astype(np.float32), sigma=sigma, preserve_range=True, truncate=4.0, mode="nearest")
threshold = float(filters.threshold_otsu(smoothed))
labels = measure.label(smoothed > threshold, connectivity=3)
min_voxels = math.ceil(min_volume * (1 - 1e-12))
if min_voxels > 1:
    labels = morphology.remove_small_objects(labels, min_size=min_voxels)
labels, _, _ = segmentation.relabel_sequential(labels)
seconds = time.perf_counter() - t0
print(json.dumps({"tool": f"scikit-image {skimage.__version__}", "seconds": seconds, "threshold": threshold,
                  "objects": int(labels.max()), "same_id_fraction": float(np.mean(labels == ours))}))
