#!/usr/bin/python3
"""Peer side of `bench/run segmentation`: input generation, scikit-image / scipy timings, and the agreement checks.

usage:
  /usr/bin/python3 bench/segmentation.py peer <workdir> [repeats=3]
      Generates the input (256^3 float32, 50 noisy ellipsoids, fixed seed) into <workdir>/volume.npy, computes the
      shared watershed markers (label(h_maxima(edt, H), connectivity=3), int32) into <workdir>/markers.npy, times
      every step with scikit-image / scipy, saves the peer's outputs (peer_*.npy) and prints one JSON object.
  /usr/bin/python3 bench/segmentation.py compare <workdir>
      Compares ShapeStudy's outputs (ours_*.npy, written by ShapeStudy.Bench) with the peer's; prints one JSON object.
"""
import json
import sys
import time

import numpy as np
import scipy
import skimage
from scipy import ndimage as ndi
from skimage.filters import gaussian, threshold_otsu
from skimage.measure import label
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

from benchtime import median_time

N = 256          # volume edge (voxels)
OBJECTS = 50     # ellipsoids
SEED = 20261125  # input generator seed
SIGMA = 1.5      # Gaussian sigma (voxels), truncate 4, mode nearest
H = 2.0          # h-maxima height (voxels of distance) for the shared markers


def generate():
    """256^3 float32: 50 randomly oriented ellipsoids (semi-axes 8..20 voxels, value 1) on 0, plus N(0, 0.35) noise."""
    rng = np.random.default_rng(SEED)
    vol = np.zeros((N, N, N), dtype=np.float32)
    for _ in range(OBJECTS):
        centre = rng.uniform(24, N - 24, size=3)
        axes = rng.uniform(8, 20, size=3)
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))  # random rotation (orthonormal columns)
        r = int(np.ceil(axes.max())) + 1
        lo = np.maximum(np.floor(centre).astype(int) - r, 0)
        hi = np.minimum(np.floor(centre).astype(int) + r + 1, N)
        zz, yy, xx = np.meshgrid(*(np.arange(lo[k], hi[k]) - centre[k] for k in range(3)), indexing="ij")
        p = np.stack([zz, yy, xx], axis=-1) @ q  # coordinates in the ellipsoid's frame
        inside = ((p / axes) ** 2).sum(axis=-1) <= 1.0
        vol[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]][inside] = 1.0
    vol += rng.normal(0.0, 0.35, size=vol.shape).astype(np.float32)
    return vol


def smooth(raw):
    return gaussian(raw, sigma=SIGMA, preserve_range=True, mode="nearest", truncate=4.0)


def markers_of(edt):
    return label(h_maxima(edt, H), connectivity=3)


def chain(raw, markers):
    s = smooth(raw)
    t = threshold_otsu(s)
    fg = s > t
    lab, n = label(fg, connectivity=3, return_num=True)
    edt = ndi.distance_transform_edt(fg)
    ws = watershed(-edt, markers, mask=fg)
    return t, n, ws


def chain_hmaxima(raw):
    s = smooth(raw)
    t = threshold_otsu(s)
    fg = s > t
    lab, n = label(fg, connectivity=3, return_num=True)
    edt = ndi.distance_transform_edt(fg)
    ws = watershed(-edt, markers_of(edt), mask=fg)
    return t, n, ws


def peer(workdir, repeats):
    raw = generate()
    np.save(f"{workdir}/volume.npy", raw)
    s = smooth(raw)
    t = float(threshold_otsu(s))
    fg = s > t
    lab, n = label(fg, connectivity=3, return_num=True)
    edt = ndi.distance_transform_edt(fg)
    markers = markers_of(edt).astype(np.int32)
    np.save(f"{workdir}/markers.npy", markers)
    neg = -edt
    ws = watershed(neg, markers, mask=fg)
    np.save(f"{workdir}/peer_smooth.npy", s.astype(np.float32))
    np.save(f"{workdir}/peer_labels.npy", lab.astype(np.int32))
    np.save(f"{workdir}/peer_edt.npy", edt)
    np.save(f"{workdir}/peer_ws.npy", ws.astype(np.int32))

    timed = {
        "gaussian": median_time(repeats, lambda: smooth(raw)),
        "otsu": median_time(repeats, lambda: threshold_otsu(s)),
        "components": median_time(repeats, lambda: label(fg, connectivity=3, return_num=True)),
        "edt": median_time(repeats, lambda: ndi.distance_transform_edt(fg)),
        "hmaxima": median_time(repeats, lambda: markers_of(edt)),
        "watershed": median_time(repeats, lambda: watershed(neg, markers, mask=fg)),
        "chain": median_time(repeats, lambda: chain(raw, markers)),
        "chain_hmaxima": median_time(repeats, lambda: chain_hmaxima(raw)),
    }
    print(json.dumps({"tool": f"scikit-image {skimage.__version__} / scipy {scipy.__version__}",
                      "size": "x".join(str(d) for d in raw.shape), "times": timed, "threshold": t,
                      "components": int(n), "markers": int(markers.max()), "foreground_voxels": int(fg.sum()),
                      "edt_max": float(edt.max())}))


def same_up_to_permutation(a, b):
    """True when the labellings a and b define the same partition (0 = background in both)."""
    if not np.array_equal(a == 0, b == 0):
        return False
    fa, fb = a[a != 0].astype(np.int64), b[b != 0].astype(np.int64)
    pairs = np.unique(fa * (int(fb.max()) + 1) + fb) if fa.size else np.zeros(0)
    return pairs.size == np.unique(fa).size == np.unique(fb).size


def compare(workdir):
    out = {}
    s_ours, s_peer = np.load(f"{workdir}/ours_smooth.npy"), np.load(f"{workdir}/peer_smooth.npy")
    rng = float(s_peer.max() - s_peer.min())
    out["gaussian_max_abs_diff_over_range"] = float(np.abs(s_ours.astype(np.float64) - s_peer).max() / rng)
    lab_ours, lab_peer = np.load(f"{workdir}/ours_labels.npy"), np.load(f"{workdir}/peer_labels.npy")
    out["components_identical_up_to_permutation"] = bool(same_up_to_permutation(lab_ours, lab_peer))
    edt_ours, edt_peer = np.load(f"{workdir}/ours_edt.npy"), np.load(f"{workdir}/peer_edt.npy")
    out["edt_max_abs_diff"] = float(np.abs(edt_ours.astype(np.float64) - edt_peer).max())
    ws_ours, ws_peer = np.load(f"{workdir}/ours_ws.npy"), np.load(f"{workdir}/peer_ws.npy")
    out["watershed_voxel_agreement"] = float((ws_ours == ws_peer).mean())
    fg = ws_peer != 0
    out["watershed_foreground_agreement"] = float((ws_ours[fg] == ws_peer[fg]).mean()) if fg.any() else 1.0
    mk_ours, mk_peer = np.load(f"{workdir}/ours_markers.npy"), np.load(f"{workdir}/markers.npy")
    out["hmaxima_markers_identical"] = bool(np.array_equal(mk_ours, mk_peer))
    print(json.dumps(out))


def main():
    mode, workdir = sys.argv[1], sys.argv[2]
    if mode == "peer":
        peer(workdir, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    elif mode == "compare":
        compare(workdir)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
