#!/usr/bin/python3
"""Reference values for the filter, morphology and metric tests (tests/Imaging.Tests/{Filters,Morphology,Metrics}).

Run with Debian's interpreter (scikit-image 0.19.3, scipy 1.10.1):
    /usr/bin/python3 tests/Imaging.Tests/reference/make_filters_metrics_reference.py
Writes filters_metrics/reference.json next to this script. Binary outputs are stored as base64 of zlib-compressed
numpy.packbits of the C-order flattened array; grey outputs of integer-valued inputs as base64 of zlib-compressed
uint8 bytes.
"""
import base64
import zlib
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
import tifffile
from skimage.filters import threshold_otsu
from skimage.measure import label
from skimage.metrics import adapted_rand_error, variation_of_information
from skimage.morphology import ball
from skimage.segmentation import relabel_sequential

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "filters_metrics")

CROP = (slice(10, 26), slice(20, 60), slice(60, 120))  # (16, 40, 60) of the gala test volume


def bits(a):
    return base64.b64encode(zlib.compress(np.packbits(np.ascontiguousarray(a, dtype=bool).ravel()).tobytes(), 9)).decode()


def u8(a):
    a = np.asarray(a)
    assert np.all(a == np.round(a)) and a.min() >= 0 and a.max() <= 255
    return base64.b64encode(zlib.compress(a.astype(np.uint8).ravel().tobytes(), 9)).decode()


def aniso_ball(radius_um, spacing):
    """Footprint of voxel offsets whose physical distance is <= radius (same float64 expression as the C# code)."""
    sz, sy, sx = spacing
    rz, ry, rx = (int(np.floor(radius_um / s)) for s in spacing)
    dz, dy, dx = np.meshgrid(np.arange(-rz, rz + 1), np.arange(-ry, ry + 1), np.arange(-rx, rx + 1), indexing="ij")
    return (dz * sz) ** 2 + (dy * sy) ** 2 + (dx * sx) ** 2 <= radius_um * radius_um


def edited_truth(truth):
    """Truth with three merges and three splits, reproduced exactly by the C# test."""
    pred = truth.astype(np.int64).copy()
    u = np.unique(truth[truth > 0])
    for a, b in [(10, 11), (20, 21), (30, 31)]:
        pred[truth == u[b]] = u[a]
    sizes = np.bincount(truth.ravel())
    sizes[0] = 0
    largest = sorted(range(len(sizes)), key=lambda l: (-sizes[l], l))[:3]
    nxt = int(truth.max()) + 1
    xs = np.arange(truth.shape[2])[None, None, :]
    for k, l in enumerate(largest):
        pred[(truth == l) & (xs >= 100)] = nxt + k
    return pred


def object_metrics(truth, pred):
    """Foreground Dice/IoU and greedy one-to-one IoU matching (descending IoU, ties by (truth, pred) label)."""
    ft, fp = truth > 0, pred > 0
    inter = np.count_nonzero(ft & fp)
    union = np.count_nonzero(ft | fp)
    st, sp = np.count_nonzero(ft), np.count_nonzero(fp)
    tsize = np.bincount(truth.ravel())
    psize = np.bincount(pred.ravel())
    both = ft & fp
    pairs, counts = np.unique(np.stack([truth[both], pred[both]]), axis=1, return_counts=True)
    cand = []
    for (t, p), c in zip(pairs.T, counts):
        iou = c / (tsize[t] + psize[p] - c)
        dice = 2 * c / (tsize[t] + psize[p])
        cand.append((-iou, int(t), int(p), iou, dice))
    cand.sort()
    used_t, used_p, best = set(), set(), {}
    for _, t, p, iou, dice in cand:
        if t in used_t or p in used_p:
            continue
        used_t.add(t); used_p.add(p); best[t] = (iou, dice)
    tl = [l for l in range(1, len(tsize)) if tsize[l] > 0]
    pl = [l for l in range(1, len(psize)) if psize[l] > 0]
    return {
        "foreground_dice": 2 * inter / (st + sp),
        "foreground_iou": inter / union,
        "mean_matched_iou": float(np.mean([best.get(t, (0, 0))[0] for t in tl])),
        "mean_matched_dice": float(np.mean([best.get(t, (0, 0))[1] for t in tl])),
        "matched_at_iou_0_5": int(sum(1 for t in tl if best.get(t, (0, 0))[0] > 0.5)),
        "truth_objects": len(tl),
        "pred_objects": len(pl),
    }


def label_digest(a):
    a = a.astype(np.int64).ravel()
    idx = np.arange(a.size, dtype=np.int64)
    return {"max": int(a.max()), "sum": int(a.sum()), "weighted_sum": int((a * (idx % 9973)).sum())}


def metrics():
    truth = tifffile.imread(os.path.join(ROOT, "studies/data/gala/test_labels.tif")).astype(np.int64)
    raw = tifffile.imread(os.path.join(ROOT, "studies/data/gala/test_raw.tif"))
    t = threshold_otsu(raw)
    otsu_pred = label(raw > t, connectivity=3).astype(np.int64)
    preds = {"otsu_cc26": otsu_pred, "edited_truth": edited_truth(truth)}
    out = {"otsu_threshold": float(t)}
    for name, pred in preds.items():
        entry = {"digest": label_digest(pred), "objects": object_metrics(truth, pred)}
        for ign_name, ign in [("ignore_background", (0,)), ("all_voxels", ())]:
            are, prec, rec = adapted_rand_error(truth, pred, ignore_labels=ign)
            split, merge = variation_of_information(truth, pred, ignore_labels=ign)
            entry[ign_name] = {
                "adapted_rand_error": float(are), "skimage_precision": float(prec), "skimage_recall": float(rec),
                "voi_split": float(split), "voi_merge": float(merge),
            }
        out[name] = entry
    rel, fw, inv = relabel_sequential(truth * 3 + (truth > 0) * 7, offset=5)
    out["relabel_sequential"] = {"offset": 5, "digest": label_digest(rel), "inverse_tail": [int(v) for v in inv.out_values[-3:]]}
    return out


def morphology_and_filters():
    raw = tifffile.imread(os.path.join(ROOT, "studies/data/gala/test_raw.tif"))
    t = threshold_otsu(raw)
    crop = raw[CROP].astype(np.float32)
    mask = crop > t
    out = {"crop": [[s.start, s.stop] for s in CROP], "threshold": float(t)}
    ses = {
        "conn6": ndi.generate_binary_structure(3, 1),
        "conn18": ndi.generate_binary_structure(3, 2),
        "conn26": ndi.generate_binary_structure(3, 3),
        "ball_r2": ball(2).astype(bool),
        "aniso_ball_2.5um_z2": aniso_ball(2.5, (2.0, 1.0, 1.0)),
        "aniso_ball_0.5um_ovule": aniso_ball(0.5, (0.235, 0.15, 0.15)),
    }
    binary = {}
    for name, se in ses.items():
        binary[name] = {
            "count": int(se.sum()), "shape": list(se.shape),
            "erosion": bits(ndi.binary_erosion(mask, structure=se, border_value=0)),
            "dilation": bits(ndi.binary_dilation(mask, structure=se, border_value=0)),
            "opening": bits(ndi.binary_opening(mask, structure=se, border_value=0)),
            "closing": bits(ndi.binary_closing(mask, structure=se, border_value=0)),
        }
    out["binary"] = binary
    grey = {}
    for name, fp in [("box_3x5x7", np.ones((3, 5, 7), bool)), ("ball_r2", ball(2).astype(bool)),
                     ("aniso_ball_2.5um_z2", ses["aniso_ball_2.5um_z2"])]:
        grey[name] = {
            "erosion": u8(ndi.grey_erosion(crop, footprint=fp, mode="reflect")),
            "dilation": u8(ndi.grey_dilation(crop, footprint=fp, mode="reflect")),
            "opening": u8(ndi.grey_opening(crop, footprint=fp, mode="reflect")),
            "white_tophat": u8(ndi.white_tophat(crop, footprint=fp, mode="reflect")),
        }
    out["grey"] = grey
    out["median"] = {
        "cube_r1": u8(ndi.median_filter(crop, size=3, mode="reflect")),
        "cube_r2": u8(ndi.median_filter(crop, size=5, mode="reflect")),
        "ball_r2": u8(ndi.median_filter(crop, footprint=ball(2).astype(bool), mode="reflect")),
        "aniso_ball_2.5um_z2": u8(ndi.median_filter(crop, footprint=ses["aniso_ball_2.5um_z2"], mode="reflect")),
    }
    # Fill holes on the full volume: the dark (<= Otsu) phase, 6- (default) and 26-connected background.
    full = raw <= t
    out["fill_holes"] = {
        "input_count": int(full.sum()),
        "conn6": bits(ndi.binary_fill_holes(full)),
        "conn26": bits(ndi.binary_fill_holes(full, structure=ndi.generate_binary_structure(3, 3))),
    }
    return out


def main():
    ref = {
        "generator": "make_filters_metrics_reference.py",
        "versions": {"skimage": skimage.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "metrics": metrics(),
        "morphology": morphology_and_filters(),
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)


if __name__ == "__main__":
    main()
