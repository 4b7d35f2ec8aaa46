"""Reads mesh files with meshio and prints, as one JSON line, what each holds (run with /usr/bin/python3).

Usage: meshio_roundtrip.py <file> [<file> ...]
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


if __name__ == "__main__":
    print(json.dumps([describe(p) for p in sys.argv[1:]]))
