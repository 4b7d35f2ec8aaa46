"""Reference convex hulls of the 24 MICrONS spine meshes (scipy.spatial.ConvexHull, Qhull).

Run with Debian's python3 (scipy 1.10.1, meshio):  /usr/bin/python3 sh_convex_hull_reference.py
Writes sh_convex_hull.json next to this script: per spine the hull volume (µm³), hull area (µm²) and the number of
hull vertices, plus the mesh volume for the solidity.
"""
import json
import os

import meshio
import numpy as np
import scipy
from scipy.spatial import ConvexHull

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "..", "..", "studies", "data", "microns-spines")
rows = []
for i in range(24):
    mesh = meshio.read(os.path.join(data, f"spine_{i:02d}.obj"))
    v = np.asarray(mesh.points, dtype=float)
    f = mesh.cells[0].data
    hull = ConvexHull(v)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    volume = float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)
    rows.append({"spine": i, "hull_volume_um3": float(hull.volume), "hull_area_um2": float(hull.area),
                 "hull_vertices": int(len(hull.vertices)), "mesh_volume_um3": volume})
with open(os.path.join(here, "sh_convex_hull.json"), "w") as out:
    json.dump({"scipy": scipy.__version__, "spines": rows}, out, indent=1)
