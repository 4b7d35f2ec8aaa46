"""Reference triangle counts for IsoSurfaceTests (run with /usr/bin/python3; scikit-image 0.19).

The field is analytic (no random numbers) so that the C# test rebuilds it exactly: on a (Z, Y, X) = (40, 48, 56) grid
with unit spacing, f = sum over the blobs of exp(-|p - c|^2 / (2 s^2)) with (z, y, x) centres c and widths s below,
float64. Prints one JSON line per iso value: the level, skimage's triangle and vertex counts, and the area and volume of
skimage's mesh (mesh_surface_area; volume by the divergence theorem on its faces).
"""
import json

import numpy as np
from skimage import __version__ as skv
from skimage.measure import marching_cubes, mesh_surface_area

BLOBS = [((12.0, 20.0, 18.0), 6.0), ((26.0, 27.0, 36.0), 7.5), ((20.0, 14.0, 40.0), 4.0), ((30.0, 36.0, 14.0), 5.0)]


def field():
    z, y, x = np.meshgrid(np.arange(40.0), np.arange(48.0), np.arange(56.0), indexing="ij")
    f = np.zeros((40, 48, 56))
    for (cz, cy, cx), s in BLOBS:
        f += np.exp(-((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s))
    return f


def main():
    f = field()
    for level in (0.3, 0.5, 0.8):
        verts, faces, _, _ = marching_cubes(f, level)
        tri = verts[faces]
        vol = float(np.sum(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2]))) / 6.0)
        print(json.dumps({"skimage": skv, "level": level, "triangles": int(len(faces)), "vertices": int(len(verts)),
                          "area": float(mesh_surface_area(verts, faces)), "volume_abs": abs(vol)}))


if __name__ == "__main__":
    main()
