#!/usr/bin/python3
"""Small volume-format fixtures written by Debian's python3-mrcfile, python3-tifffile, numpy and PIL, plus the
expected values (shape, dtype, sum, probe voxels, spacing in µm) in formats_expected.json.

Run with Debian's interpreter from the repository root:
    /usr/bin/python3 tests/Imaging.Tests/reference/make_format_fixtures.py
Needs: apt-get install python3-mrcfile python3-tifffile python3-numpy python3-pil
"""
import json
import os
import struct

import mrcfile
import numpy as np
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "formats"))
os.makedirs(OUT, exist_ok=True)

SHAPE = (4, 5, 6)  # (Z, Y, X)
rng = np.random.default_rng(20261125)
expected = {}
PROBES = [(0, 0, 0), (3, 4, 5), (1, 2, 3), (2, 4, 0), (3, 0, 5)]


def record(name, data, dtype, spacing, has_spacing, origin=None):
    """data: the (Z, Y, X) array a reader must produce."""
    data = np.asarray(data)
    e = {
        "shape": list(data.shape),
        "dtype": dtype,
        "sum": float(data.astype(np.float64).sum()),
        "probes": [[z, y, x, float(data[z, y, x])] for (z, y, x) in PROBES if z < data.shape[0]],
        "spacing_zyx_um": [float(s) for s in spacing],
        "has_file_spacing": has_spacing,
    }
    if origin is not None:
        e["origin_zyx_um"] = [float(o) for o in origin]
    expected[name] = e


def volume(dtype):
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(SHAPE) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, SHAPE).astype(dtype)


# ---------------------------------------------------------------- MRC (voxel size in Å as x, y, z)
VOX = (1.5, 2.0, 2.5)  # Å along x, y, z
SP_MRC = (VOX[2] * 1e-4, VOX[1] * 1e-4, VOX[0] * 1e-4)  # µm as z, y, x
for mode, dtype, name in ((0, np.int8, "mode0_int8.mrc"), (1, np.int16, "mode1_int16.mrc"),
                          (2, np.float32, "mode2_float32.mrc"), (6, np.uint16, "mode6_uint16.mrc"),
                          (12, np.float16, "mode12_float16.mrc")):
    d = volume(dtype)
    with mrcfile.new(os.path.join(OUT, name), overwrite=True) as m:
        m.set_data(d)
        m.voxel_size = VOX
        assert int(m.header.mode) == mode
    record(name, d, np.dtype(dtype).name, SP_MRC, True)

# extended header of 160 bytes (two CCP4 symmetry records), filled with 0xAB so that a reader that does not skip
# it sees garbage; origin set in Å
d = volume(np.float32)
with mrcfile.new(os.path.join(OUT, "ext_header_float32.mrc"), overwrite=True) as m:
    m.set_data(d)
    m.set_extended_header(np.full(160, 0xAB, dtype=np.uint8))
    m.header.exttyp = b"CCP4"
    m.voxel_size = VOX
    m.header.origin = (10.0, 20.0, 30.0)  # x, y, z Å
record("ext_header_float32.mrc", d, "float32", SP_MRC, True, origin=(30e-4, 20e-4, 10e-4))

# big-endian: mrcfile writes native order, so byte-swap a little-endian file (header words, data, MACHST)
d = volume(np.int16)
src = os.path.join(OUT, "mode1_int16.mrc")
with mrcfile.open(src) as m:
    header = np.array(m.header).copy()
    data = np.array(m.data)
be_header = header.astype(header.dtype.newbyteorder(">"))
raw = bytearray(be_header.tobytes())
raw[212:216] = bytes([0x11, 0x11, 0, 0])
with open(os.path.join(OUT, "big_endian_int16.mrc"), "wb") as f:
    f.write(raw)
    f.write(data.astype(">i2").tobytes())
with mrcfile.open(os.path.join(OUT, "big_endian_int16.mrc")) as m:
    assert m.data.dtype.byteorder == ">" and np.array_equal(m.data, data)
record("big_endian_int16.mrc", data, "int16", SP_MRC, True)

# IMOD-stamped mode 0 without the "signed bytes" flag: unsigned bytes
u = rng.integers(0, 256, SHAPE).astype(np.uint8)
with mrcfile.new(os.path.join(OUT, "imod_unsigned_mode0.mrc"), overwrite=True) as m:
    m.set_data(u.view(np.int8))
    m.voxel_size = VOX
with open(os.path.join(OUT, "imod_unsigned_mode0.mrc"), "r+b") as f:
    f.seek(152)
    f.write(struct.pack("<ii", 1146047817, 0))
record("imod_unsigned_mode0.mrc", u, "uint8", SP_MRC, True)

# permuted axes: columns along y, rows along x, sections along z (MAPC=2, MAPR=1, MAPS=3)
filed = volume(np.float32)  # file order (sections, rows, columns) = (4, 6, 5) after the transpose below
filed = np.ascontiguousarray(filed.transpose(0, 2, 1))  # shape (4, 6, 5)
with mrcfile.new(os.path.join(OUT, "permuted_axes.mrc"), overwrite=True) as m:
    m.set_data(filed)
    m.header.mapc, m.header.mapr, m.header.maps = 2, 1, 3
    m.header.mx, m.header.my, m.header.mz = 6, 5, 4  # samples along x, y, z
    m.header.cella = (6 * VOX[0], 5 * VOX[1], 4 * VOX[2])
spatial = np.zeros(SHAPE, np.float32)
for s in range(filed.shape[0]):
    for r in range(filed.shape[1]):
        for c in range(filed.shape[2]):
            spatial[s, c, r] = filed[s, r, c]  # z = section, y = column, x = row
record("permuted_axes.mrc", spatial, "float32", SP_MRC, True)

# no voxel size (cell all zero): unknown spacing
d = volume(np.float32)
with mrcfile.new(os.path.join(OUT, "no_cell_float32.mrc"), overwrite=True) as m:
    m.set_data(d)
    m.voxel_size = 0
record("no_cell_float32.mrc", d, "float32", (1, 1, 1), False)

for name in list(expected):
    if name.endswith(".mrc"):
        with mrcfile.open(os.path.join(OUT, name), permissive=False) as m:
            pass
        mrcfile.validate(os.path.join(OUT, name), print_file=open(os.devnull, "w"))

# ---------------------------------------------------------------- NumPy
for descr in ("|u1", "|i1", "<u2", "<i2", "<f2", "<f4", "<f8", ">u2", ">i2", ">f4", ">f8", "<i4", "<i8"):
    dt = np.dtype(descr)
    d = volume(dt.newbyteorder("=")) if dt.kind != "i" or dt.itemsize <= 2 else rng.integers(-1000, 1000, SHAPE).astype(dt)
    d = d.astype(dt)
    name = "npy_" + {"<": "le_", ">": "be_", "|": ""}[descr[0]] + dt.name + ".npy"
    np.save(os.path.join(OUT, name), d)
    record(name, d, dt.name, (1, 1, 1), False)

d = volume(np.float32)
np.save(os.path.join(OUT, "npy_fortran_float32.npy"), np.asfortranarray(d))
with open(os.path.join(OUT, "npy_fortran_float32.npy"), "rb") as f:
    assert b"'fortran_order': True" in f.read(128)
record("npy_fortran_float32.npy", d, "float32", (1, 1, 1), False)

d = volume(np.uint16)
with open(os.path.join(OUT, "npy_v2_uint16.npy"), "wb") as f:
    np.lib.format.write_array(f, d, version=(2, 0))
record("npy_v2_uint16.npy", d, "uint16", (1, 1, 1), False)

d = volume(np.float32)
with open(os.path.join(OUT, "npy_v3_float32.npy"), "wb") as f:
    np.lib.format.write_array(f, d, version=(3, 0))
record("npy_v3_float32.npy", d, "float32", (1, 1, 1), False)

d2 = volume(np.uint8)[0]
np.save(os.path.join(OUT, "npy_2d_uint8.npy"), d2)
record("npy_2d_uint8.npy", d2[None], "uint8", (1, 1, 1), False)

d2 = volume(np.float32)[0]
np.save(os.path.join(OUT, "npy_2d_fortran_float32.npy"), np.asfortranarray(d2))
record("npy_2d_fortran_float32.npy", d2[None], "float32", (1, 1, 1), False)

# ---------------------------------------------------------------- OME-TIFF (tifffile; LZW through PIL)
def ome_meta(px, py, pz, unit=None):
    m = {"axes": "ZYX", "PhysicalSizeX": px, "PhysicalSizeY": py, "PhysicalSizeZ": pz}
    if unit is not None:
        m.update({"PhysicalSizeXUnit": unit, "PhysicalSizeYUnit": unit, "PhysicalSizeZUnit": unit})
    return m


d = volume(np.uint16)
tifffile.imwrite(os.path.join(OUT, "ome_uint16.ome.tif"), d, metadata=ome_meta(0.1, 0.2, 0.5))
record("ome_uint16.ome.tif", d, "uint16", (0.5, 0.2, 0.1), True)

d = volume(np.uint8)
tifffile.imwrite(os.path.join(OUT, "ome_nm_uint8.ome.tif"), d, metadata=ome_meta(40.0, 40.0, 80.0, "nm"))
record("ome_nm_uint8.ome.tif", d, "uint8", (0.08, 0.04, 0.04), True)

d = volume(np.float32)
tifffile.imwrite(os.path.join(OUT, "ome_bigtiff_float32.ome.tif"), d, bigtiff=True, metadata=ome_meta(1.25, 1.25, 2.5))
record("ome_bigtiff_float32.ome.tif", d, "float32", (2.5, 1.25, 1.25), True)

d = volume(np.uint16)
tifffile.imwrite(os.path.join(OUT, "ome_deflate_uint16.ome.tif"), d, compression="zlib", metadata=ome_meta(0.3, 0.3, 0.9))
record("ome_deflate_uint16.ome.tif", d, "uint16", (0.9, 0.3, 0.3), True)

d = volume(np.float32)
tifffile.imwrite(os.path.join(OUT, "ome_deflate_float32.ome.tif"), d, compression="zlib",
                 metadata=ome_meta(2.0, 2.0, 20.0, "Å"))
record("ome_deflate_float32.ome.tif", d, "float32", (20e-4, 2e-4, 2e-4), True)

# horizontal-differencing predictor (the floating-point predictor needs imagecodecs to encode)
d = volume(np.uint16)
tifffile.imwrite(os.path.join(OUT, "ome_deflate_pred_uint16.ome.tif"), d, compression="zlib", predictor=True,
                 metadata=ome_meta(0.5, 0.5, 1.0, "mm"))
record("ome_deflate_pred_uint16.ome.tif", d, "uint16", (1000.0, 500.0, 500.0), True)

# LZW: tifffile needs imagecodecs to encode LZW, so PIL writes the pages and the OME-XML that tifffile produced for
# the same shape goes into the first page's ImageDescription.
d = volume(np.uint8)
probe = os.path.join(OUT, "_probe.ome.tif")
tifffile.imwrite(probe, d, metadata=ome_meta(0.25, 0.25, 0.75))
with tifffile.TiffFile(probe) as t:
    ome_xml = t.pages[0].description
os.remove(probe)
pages = [Image.fromarray(p) for p in d]
pages[0].save(os.path.join(OUT, "ome_lzw_uint8.ome.tif"), save_all=True, append_images=pages[1:],
              compression="tiff_lzw", description=ome_xml)
record("ome_lzw_uint8.ome.tif", d, "uint8", (0.75, 0.25, 0.25), True)

for name in expected:
    if name.endswith(".ome.tif"):
        with tifffile.TiffFile(os.path.join(OUT, name)) as t:
            assert t.is_ome, name
            if "lzw" in name:  # tifffile decodes LZW only with imagecodecs: read the pages with PIL
                im = Image.open(os.path.join(OUT, name))
                a = np.stack([np.array(im.seek(k) or im) for k in range(im.n_frames)])
            else:
                a = t.asarray()
            assert a.shape == SHAPE, (name, a.shape)
            assert a.astype(np.float64).sum() == expected[name]["sum"], name

with open(os.path.join(OUT, "formats_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print(f"{len(expected)} fixtures, {total} bytes in {OUT}")
