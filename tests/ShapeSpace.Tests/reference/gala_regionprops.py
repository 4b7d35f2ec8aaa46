#!/usr/bin/python3
"""Reference numbers for ShapeSpace.Tests: scikit-image regionprops of the largest bright object in gala train_raw.

Run from the repo root with the system interpreter (it has scikit-image and tifffile):
    /usr/bin/python3 tests/ShapeSpace.Tests/reference/gala_regionprops.py
Writes tests/ShapeSpace.Tests/reference/gala_regionprops.json next to this script.
"""
import json
import os
import sys

import numpy as np
import skimage
import tifffile
from skimage.measure import label, regionprops

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
raw = tifffile.imread(os.path.join(root, "studies", "data", "gala", "train_raw.tif"))
mask = raw > 144
labels = label(mask, connectivity=3)
counts = np.bincount(labels.ravel())
counts[0] = 0
largest = int(np.argmax(counts))
props = next(p for p in regionprops(labels) if p.label == largest)
ev = [float(e) for e in props.inertia_tensor_eigvals]
out = {
    "source": "studies/data/gala/train_raw.tif",
    "threshold": "raw > 144",
    "connectivity": 3,
    "skimage_version": skimage.__version__,
    "numpy_version": np.__version__,
    "shape_zyx": list(raw.shape),
    "foreground_voxels": int(mask.sum()),
    "component_count": int(labels.max()),
    "area": int(props.area),
    "bbox_zyx": [int(b) for b in props.bbox],
    "centroid_zyx": [float(c) for c in props.centroid],
    "inertia_tensor_eigvals": ev,
    "axis_major_length": float(props.axis_major_length),
    "axis_minor_length": float(props.axis_minor_length),
    # middle axis in the same convention (skimage does not expose it): sqrt(10 * (ev0 - ev1 + ev2))
    "axis_mid_length": float(np.sqrt(10.0 * (ev[0] - ev[1] + ev[2]))),
}
with open(os.path.join(here, "gala_regionprops.json"), "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
json.dump(out, sys.stdout, indent=2)
