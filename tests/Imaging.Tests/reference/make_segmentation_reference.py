#!/usr/bin/python3
"""Golden outputs for tests/Imaging.Tests/Segmentation, computed with scikit-image 0.19 / scipy 1.10 (Debian).

Run with the system interpreter (it has skimage, scipy, tifffile):
    /usr/bin/python3 tests/Imaging.Tests/reference/make_segmentation_reference.py
Writes segmentation/reference.json and gzip-compressed raw label volumes (uint16, C order (Z, Y, X)) next to it.

Contents per bundled volume (gala train crop with 1 µm spacing, ovule with its ImageJ spacing (0.235, 0.15, 0.15) µm):
  thresholds   multi-Otsu (3 and 4 classes) and Li of the raw uint8 volume; Li and multi-Otsu of a float32 volume
  local        threshold_local (gaussian and mean, block 7, offset 2.5, mode reflect) of the float32 raw at probes
  edt          distance_transform_edt(raw > otsu, sampling=spacing): max, sum, and values at 2000 seeded voxels
  hmax         h_maxima of the float32 EDT (h = h_um) with footprints of connectivity 1 and 3, labelled with the
               same connectivity: marker count, voxel count, label sum
  watershed    watershed(-edt32, markers, mask=raw > otsu, connectivity 1 and 3): labels stored as .u16.gz
  compact      watershed with compactness 0.01, connectivity 1: per-label voxel counts and sha256 of the labels
  distinct     (gala only) watershed of image = raw·4096 + (flat index mod 4096) (float32, exact integers) from
               single-voxel markers (the first voxel of each 26-connected component of raw > otsu, distinct values),
               mask raw > otsu, connectivity 1 and 3: labels stored as .u16.gz
"""
import gzip
import hashlib
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
import tifffile
from skimage.filters import gaussian, threshold_li, threshold_local, threshold_multiotsu, threshold_otsu
from skimage.measure import label
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "segmentation")

VOLUMES = {
    "gala_train": ("studies/data/gala/train_raw.tif", (1.0, 1.0, 1.0), 2.0),
    "ovule": ("studies/data/ovule/raw.tif", (0.235, 0.15, 0.15), 0.3),
}
CONN = {1: 6, 3: 26}


def save_labels(name, lab):
    assert lab.max() < 65536
    path = os.path.join(OUT, name)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(np.ascontiguousarray(lab.astype("<u2")).tobytes())
    return os.path.basename(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261125)
    ref = {
        "versions": {"skimage": skimage.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "volumes": {},
    }
    for key, (rel, spacing, h) in VOLUMES.items():
        raw = tifffile.imread(os.path.join(ROOT, rel))
        f32 = raw.astype(np.float32)
        smooth = gaussian(f32, sigma=1, preserve_range=True, mode="nearest", truncate=4.0).astype(np.float32)
        entry = {"path": rel, "spacing": list(spacing), "h_um": h}
        entry["thresholds"] = {
            "multiotsu3_raw": [float(t) for t in threshold_multiotsu(raw, classes=3)],
            "multiotsu4_raw": [float(t) for t in threshold_multiotsu(raw, classes=4)],
            "li_raw": float(threshold_li(raw)),
            "li_smooth": float(threshold_li(smooth)),
            "multiotsu3_smooth": [float(t) for t in threshold_multiotsu(smooth, classes=3)],
        }
        n = raw.size
        probes = np.sort(rng.choice(n, size=2000, replace=False))
        entry["probes"] = [int(p) for p in probes]
        local = {}
        for method in ("gaussian", "mean"):
            t = threshold_local(f32, block_size=7, method=method, offset=2.5, mode="reflect")
            assert t.dtype == np.float32
            local[method] = {"at_probes": [float(v) for v in t.ravel()[probes]], "sum": float(t.sum(dtype=np.float64))}
        entry["local_block7_offset2.5"] = local

        otsu = threshold_otsu(raw)
        mask = raw > otsu
        edt = ndi.distance_transform_edt(mask, sampling=spacing)
        entry["edt"] = {
            "otsu": float(otsu),
            "foreground": int(mask.sum()),
            "max": float(edt.max()),
            "sum": float(edt.sum()),
            "at_probes": [float(v) for v in edt.ravel()[probes]],
        }
        edt32 = edt.astype(np.float32)
        entry["hmax"] = {}
        entry["watershed"] = {}
        for c, nb in CONN.items():
            fp = ndi.generate_binary_structure(3, c)
            hm = h_maxima(edt32, h, footprint=fp)
            markers, count = label(hm, connectivity=c, return_num=True)
            entry["hmax"][str(nb)] = {"count": int(count), "voxels": int(hm.sum()),
                                      "label_sum": int(markers.sum(dtype=np.int64))}
            ws = watershed(-edt32, markers, mask=mask, connectivity=c)
            entry["watershed"][str(nb)] = {"file": save_labels(f"{key}_ws{nb}.u16.gz", ws),
                                           "labels": int(ws.max())}
            if c == 1:
                cws = watershed(-edt32, markers, mask=mask, connectivity=c, compactness=0.01)
                entry["compact_0.01_6"] = {
                    "counts": [int(v) for v in np.bincount(cws.ravel())],
                    "sha256_u16": hashlib.sha256(np.ascontiguousarray(cws.astype("<u2")).tobytes()).hexdigest(),
                }
        if key == "gala_train":
            image = (raw.astype(np.float32) * 4096 + (np.arange(raw.size) % 4096).reshape(raw.shape)).astype(np.float32)
            comp = label(mask, connectivity=3)
            flat = comp.ravel()
            ids, first = np.unique(flat, return_index=True)
            single = np.zeros(raw.size, np.int32)
            for l, i in zip(ids, first):
                if l:
                    single[i] = l
            single = single.reshape(raw.shape)
            vals = image.ravel()[first[ids > 0]]
            assert len(np.unique(vals)) == len(vals), "marker values must be distinct"
            entry["distinct"] = {"markers": int((ids > 0).sum())}
            for c, nb in CONN.items():
                ws = watershed(image, single, mask=mask, connectivity=c)
                entry["distinct"][str(nb)] = save_labels(f"{key}_distinct_ws{nb}.u16.gz", ws)
        ref["volumes"][key] = entry
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
