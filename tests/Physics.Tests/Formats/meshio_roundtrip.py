"""Reads mesh files with meshio and prints, as one JSON line, what each holds (run with /usr/bin/python3).

Usage: meshio_roundtrip.py <file> [<file> ...]
       meshio_roundtrip.py --write <dir>   (meshio writes a marked unit tetrahedron in its own encodings: legacy VTK 5.1
                                             binary and ascii, VTU zlib/raw/ascii, PLY binary, STL ascii/binary, OFF, OBJ;
                                             then describes them as above)
Output: [{"file": path, "points": n, "cells": {cell type: count}, "markers": {cell type: count},
          "marker_sums": {cell type: sum}}, ...]; "markers" counts the values of the cell data array "marker" per cell
type (absent when the file has none). Exit code 3 when meshio cannot be imported (the caller then skips the comparison).
"""
import json
import sys

try:
    import meshio
except ImportError:
    print(json.dumps({"error": "meshio is not installed"}))
    sys.exit(3)


def describe(path):
    m = meshio.read(path)
    cells, markers, sums = {}, {}, {}
    data = m.cell_data.get("marker")
    for i, block in enumerate(m.cells):
        cells[block.type] = cells.get(block.type, 0) + int(len(block.data))
        if data is not None:
            values = data[i]
            markers[block.type] = markers.get(block.type, 0) + int(len(values))
            sums[block.type] = sums.get(block.type, 0) + int(values.astype("int64").sum())
    return {"file": path, "points": int(len(m.points)), "cells": cells, "markers": markers, "marker_sums": sums,
            "meshio": meshio.__version__}


def write_all(folder):
    import os
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    pts = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    tet = meshio.Mesh(pts, [("tetra", np.array([[0, 1, 2, 3]])), ("triangle", faces)],
                      cell_data={"marker": [np.array([5], dtype=np.int32), np.array([1, 2, 3, 4], dtype=np.int32)]})
    surf = meshio.Mesh(pts, [("triangle", faces)])
    out = []

    def put(name, mesh, **kw):
        path = os.path.join(folder, name)
        meshio.write(path, mesh, **kw)
        out.append(path)

    put("mio-bin.vtk", tet, binary=True)
    put("mio-ascii.vtk", tet, binary=False)
    put("mio-zlib.vtu", tet)
    put("mio-raw.vtu", tet, binary=True, compression=None)
    put("mio-ascii.vtu", tet, binary=False)
    put("mio.ply", surf, binary=True)
    put("mio-ascii.stl", surf, binary=False)
    put("mio-bin.stl", surf, binary=True)
    put("mio.off", surf)
    put("mio.obj", surf)
    return out


if __name__ == "__main__":
    files = write_all(sys.argv[2]) if sys.argv[1] == "--write" else sys.argv[1:]
    print(json.dumps([describe(p) for p in files]))
