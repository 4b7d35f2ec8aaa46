"""bench/run marching-cubes, peer side (run with /usr/bin/python3).

`marching_cubes.py generate <field.npy>` writes the shared 256³ float32 field: a sum of 24 Gaussian blobs (numpy seed
20261125, centres in the middle 70 % of the box, widths 7-16 voxels, unit weights) read by both sides.
`marching_cubes.py peer <field.npy> <level> <repeats>` times scikit-image's marching_cubes and VTK's vtkFlyingEdges3D
(2 SMP threads, no normals, gradients or scalars) on it and prints one JSON line with median seconds and triangle counts.
"""
import json
import sys

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from benchtime import median_time  # noqa: E402

N = 256


def generate(path):
    rng = np.random.default_rng(20261125)
    z, y, x = np.ogrid[0:N, 0:N, 0:N]
    f = np.zeros((N, N, N), dtype=np.float32)
    for _ in range(24):
        cz, cy, cx = rng.uniform(0.15 * N, 0.85 * N, size=3)
        s = rng.uniform(7.0, 16.0)
        f += np.exp(-(((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s))).astype(np.float32)
    np.save(path, f)
    print(json.dumps({"shape": list(f.shape), "min": float(f.min()), "max": float(f.max())}))


def peer(path, level, repeats):
    import skimage
    from skimage.measure import marching_cubes

    f = np.load(path)
    out = {}
    res = {}

    def run_skimage():
        res["sk"] = marching_cubes(f, level)

    out["skimage_s"] = median_time(repeats, run_skimage)
    out["skimage_triangles"] = int(len(res["sk"][1]))
    out["skimage_vertices"] = int(len(res["sk"][0]))
    out["skimage"] = f"scikit-image {skimage.__version__} measure.marching_cubes (Lewiner, 1 thread)"
    try:
        import vtk
        from vtk.util import numpy_support
    except ImportError:
        out["vtk"] = None
        print(json.dumps(out))
        return
    vtk.vtkSMPTools.Initialize(2)
    img = vtk.vtkImageData()
    img.SetDimensions(f.shape[2], f.shape[1], f.shape[0])
    img.SetSpacing(1.0, 1.0, 1.0)
    arr = numpy_support.numpy_to_vtk(np.ascontiguousarray(f).ravel(), deep=True, array_type=vtk.VTK_FLOAT)
    arr.SetName("f")
    img.GetPointData().SetScalars(arr)
    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(img)
    fe.SetValue(0, level)
    fe.ComputeNormalsOff()
    fe.ComputeGradientsOff()
    fe.ComputeScalarsOff()

    def run_vtk():
        fe.Modified()
        fe.Update()

    out["vtk_s"] = median_time(repeats, run_vtk)
    poly = fe.GetOutput()
    out["vtk_triangles"] = int(poly.GetNumberOfPolys())
    out["vtk_vertices"] = int(poly.GetNumberOfPoints())
    out["vtk"] = (f"VTK {vtk.vtkVersion.GetVTKVersion()} vtkFlyingEdges3D "
                  f"({vtk.vtkSMPTools.GetBackend()}, {vtk.vtkSMPTools.GetEstimatedNumberOfThreads()} threads)")
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    else:
        peer(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
