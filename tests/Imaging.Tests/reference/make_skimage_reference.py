#!/usr/bin/python3
"""Reference numbers for tests/Imaging.Tests, computed with scikit-image / scipy / tifffile.

Run from anywhere with the system interpreter (it has skimage, scipy, tifffile, Pillow):
    /usr/bin/python3 tests/Imaging.Tests/reference/make_skimage_reference.py
Writes skimage_reference.json and the small TIFF fixtures in fixtures/ next to this script.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
import tifffile
import PIL
from PIL import Image
from skimage.filters import gaussian, threshold_otsu
from skimage.measure import label

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIX = os.path.join(HERE, "fixtures")

VOLUMES = {
    "gala_train": "studies/data/gala/train_raw.tif",
    "gala_test": "studies/data/gala/test_raw.tif",
    "ovule": "studies/data/ovule/raw.tif",
}
PROBES = [(0, 0, 0), (1, 2, 3), (10, 20, 30), (17, 63, 99), (31, 99, 127)]
CROP = (slice(20, 24), slice(40, 60), slice(80, 120))


def components(mask, connectivity):
    lab, n = label(mask, connectivity=connectivity, return_num=True)
    sizes = np.bincount(lab.ravel())[1:]
    first = []
    flat = lab.ravel()
    # flat index of the first voxel (C order) of labels 1..10
    _, idx = np.unique(flat, return_index=True)
    ids = np.unique(flat)
    first = [int(i) for l, i in zip(ids, idx) if 1 <= l <= 10]
    return {
        "count": int(n),
        "largest10": [int(s) for s in sorted(sizes.tolist(), reverse=True)[:10]],
        "label_sum": int(lab.sum(dtype=np.int64)),
        "first_voxel_of_labels_1_to_10": first,
        "count_min100": int((sizes >= 100).sum()),
    }


def describe(raw):
    out = {}
    t = threshold_otsu(raw)
    out["otsu_raw"] = float(t)
    out["raw_bright_cc26"] = components(raw > t, 3)
    out["raw_dark_cc26"] = components(raw <= t, 3)
    sm = gaussian(raw, sigma=1, preserve_range=True, mode="nearest", truncate=4.0)
    ts = threshold_otsu(sm)
    out["smooth_dtype"] = str(sm.dtype)
    out["smooth_min"] = float(sm.min())
    out["smooth_max"] = float(sm.max())
    out["smooth_sum"] = float(sm.sum(dtype=np.float64))
    out["otsu_smooth"] = float(ts)
    out["smooth_bright_cc26"] = components(sm > ts, 3)
    out["smooth_bright_cc18"] = components(sm > ts, 2)
    out["smooth_bright_cc6"] = components(sm > ts, 1)
    out["smooth_dark_cc26"] = components(sm <= ts, 3)
    return out, sm


def write_fixtures(train_raw, train_labels):
    os.makedirs(FIX, exist_ok=True)
    crop8 = np.ascontiguousarray(train_raw[5:8, 10:23, 20:31])  # (3, 13, 11) uint8
    crop16 = np.ascontiguousarray(train_labels[5:8, 10:23, 20:31].astype(np.uint16) * 300 + 7)
    cropf = (crop8.astype(np.float32) / 7.0 - 3.25).astype(np.float32)
    tifffile.imwrite(os.path.join(FIX, "be_uint16_rps5.tif"), crop16, byteorder=">", rowsperstrip=5,
                     photometric="minisblack")
    tifffile.imwrite(os.path.join(FIX, "le_float32_rps4.tif"), cropf, rowsperstrip=4, photometric="minisblack")
    tifffile.imwrite(os.path.join(FIX, "be_float32.tif"), cropf, byteorder=">", photometric="minisblack")
    tifffile.imwrite(os.path.join(FIX, "deflate_uint16.tif"), crop16, compression="zlib", rowsperstrip=6,
                     photometric="minisblack")
    tifffile.imwrite(os.path.join(FIX, "deflate_pred_uint8.tif"), crop8, compression="zlib", predictor=True,
                     photometric="minisblack")
    tifffile.imwrite(os.path.join(FIX, "imagej_float32_spacing.tif"), cropf, imagej=True,
                     resolution=(1 / 0.4, 1 / 0.3), metadata={"spacing": 2.5, "unit": "um", "axes": "ZYX"})
    tifffile.imwrite(os.path.join(FIX, "bigtiff_be_uint16.tif"), crop16, bigtiff=True, byteorder=">",
                     rowsperstrip=3, photometric="minisblack")
    # ImageJ hyperstack with a single IFD and all slices stored contiguously after it
    tifffile.imwrite(os.path.join(FIX, "imagej_single_ifd_uint8.tif"), crop8, imagej=True, truncate=True,
                     resolution=(1 / 0.15, 1 / 0.15), metadata={"spacing": 0.235, "unit": "micron", "axes": "ZYX"})
    for name, comp in (("lzw_uint8.tif", "tiff_lzw"), ("packbits_uint8.tif", "packbits"),
                       ("jpeg_uint8.tif", "jpeg")):
        pages = [Image.fromarray(p) for p in crop8]
        pages[0].save(os.path.join(FIX, name), save_all=True, append_images=pages[1:], compression=comp)
    # a larger LZW image so that the code table overflows and resets (codes up to 12 bits)
    big = np.ascontiguousarray(train_raw[0:2])
    pages = [Image.fromarray(p) for p in big]
    pages[0].save(os.path.join(FIX, "lzw_large_uint8.tif"), save_all=True, append_images=pages[1:],
                  compression="tiff_lzw")
    return {
        "crop_origin_zyx": [5, 10, 20],
        "uint8_sum": int(crop8.sum(dtype=np.int64)),
        "uint16_sum": int(crop16.sum(dtype=np.int64)),
        "float32_sum": float(cropf.sum(dtype=np.float64)),
        "uint8_probe_2_12_10": int(crop8[2, 12, 10]),
        "uint16_probe_1_7_3": int(crop16[1, 7, 3]),
        "float32_probe_2_5_9": float(cropf[2, 5, 9]),
        "lzw_large_sum": int(big.sum(dtype=np.int64)),
    }


def main():
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                "skimage": skimage.__version__, "tifffile": tifffile.__version__, "Pillow": PIL.__version__}
    print("versions:", versions)
    ref = {"versions": versions, "volumes": {}}
    for key, rel in VOLUMES.items():
        with tifffile.TiffFile(os.path.join(ROOT, rel)) as tf:
            raw = tf.asarray()
            ij = tf.imagej_metadata or {}
            xres = tf.pages[0].tags["XResolution"].value
            yres = tf.pages[0].tags["YResolution"].value
        entry = {
            "path": rel,
            "shape": list(raw.shape),
            "dtype": str(raw.dtype),
            "sum": int(raw.sum(dtype=np.int64)),
            "min": int(raw.min()),
            "max": int(raw.max()),
            "probes": [[z, y, x, int(raw[z, y, x])] for z, y, x in PROBES
                       if z < raw.shape[0] and y < raw.shape[1] and x < raw.shape[2]],
            "imagej_spacing_z": ij.get("spacing"),
            "imagej_unit": ij.get("unit"),
            "spacing_y_from_resolution": yres[1] / yres[0],
            "spacing_x_from_resolution": xres[1] / xres[0],
        }
        stats, sm = describe(raw)
        entry.update(stats)
        ref["volumes"][key] = entry
        if key == "gala_train":
            ref["gaussian_gala_train"] = {
                "crop": [[CROP[0].start, CROP[0].stop], [CROP[1].start, CROP[1].stop], [CROP[2].start, CROP[2].stop]],
                "sigma_1_truncate_4": [float(v) for v in sm[CROP].ravel()],
                "sigma_zyx_1_2_0.5_truncate_4": [float(v) for v in ndi.gaussian_filter(
                    raw.astype(np.float64), sigma=(1.0, 2.0, 0.5), mode="nearest", truncate=4.0)[CROP].ravel()],
                "sigma_1.7_truncate_2": [float(v) for v in ndi.gaussian_filter(
                    raw.astype(np.float64), sigma=1.7, mode="nearest", truncate=2.0)[CROP].ravel()],
            }
            train_labels = tifffile.imread(os.path.join(ROOT, "studies/data/gala/train_labels.tif"))
            ref["fixtures"] = write_fixtures(raw, train_labels)
        print(key, entry["shape"], "otsu raw", entry["otsu_raw"], "otsu smooth", entry["otsu_smooth"],
              "cc26", entry["smooth_bright_cc26"]["count"])
    # Otsu on a float32 volume: skimage's 256-bin histogram path on float32 data
    rng = np.random.default_rng(20261125)
    f32 = np.concatenate([rng.normal(10, 2, 4000), rng.normal(30, 5, 6000)]).astype(np.float32).reshape(10, 20, 50)
    ref["otsu_float32_bimodal"] = {"seed": 20261125, "values": [float(v) for v in f32.ravel()],
                                   "threshold": float(threshold_otsu(f32)),
                                   "threshold_as_float64": float(threshold_otsu(f32.astype(np.float64)))}
    with open(os.path.join(HERE, "skimage_reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    print("wrote", os.path.join(HERE, "skimage_reference.json"))


if __name__ == "__main__":
    main()
