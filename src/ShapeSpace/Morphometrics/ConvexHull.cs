using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// 3-D convex hull by Quickhull (Barber, Dobkin &amp; Huhdanpaa 1996), written from the algorithm's description:
/// an initial tetrahedron of extreme points, per-face outside sets, and repeated expansion at the farthest outside
/// point through its visible faces and their horizon. Points within a tolerance of a face plane count as on it
/// (tolerance 1e-12 of the coordinate magnitude plus 1e-10 of the extent), which keeps near-coplanar input stable.
/// </summary>
public static class ConvexHull
{
    /// <summary>
    /// The convex hull of <paramref name="points"/> (flat x, y, z in µm, N × 3) as a closed, outward, counter-clockwise
    /// triangle mesh over the hull vertices (which keep their coordinates). Throws when fewer than four points or all
    /// points are (nearly) coplanar, i.e. the hull has no volume.
    /// </summary>
    public static TriangleMesh Compute(ReadOnlySpan<double> points)
    {
        if (points.Length % 3 != 0) throw new ArgumentException("point array length must be a multiple of 3", nameof(points));
        var p = points.ToArray();
        int n = p.Length / 3;
        if (n < 4) throw new ArgumentException("a 3-D hull needs at least four points", nameof(points));
        return new Builder(p).Run();
    }

    /// <summary>Convex hull of a mesh's vertices (µm).</summary>
    public static TriangleMesh Compute(TriangleMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return Compute(mesh.Vertices);
    }

    private sealed class Face
    {
        public int A, B, C;
        public double Nx, Ny, Nz, Offset;
        public List<int>? Outside;
        public bool Alive = true;
        public int Visited = -1;
        public double Distance(double[] p, int i) => Nx * p[3 * i] + Ny * p[3 * i + 1] + Nz * p[3 * i + 2] - Offset;
    }

    private sealed class Builder(double[] p)
    {
        private readonly List<Face> _faces = [];
        private readonly Dictionary<(int, int), Face> _edges = [];   // directed edge → face traversing it
        private double _eps;

        public TriangleMesh Run()
        {
            int n = p.Length / 3;
            double maxAbs = 0;
            var min = new[] { double.MaxValue, double.MaxValue, double.MaxValue };
            var max = new[] { double.MinValue, double.MinValue, double.MinValue };
            var minIdx = new int[3]; var maxIdx = new int[3];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                {
                    double v = p[3 * i + k];
                    if (!double.IsFinite(v)) throw new ArgumentException("points must be finite");
                    maxAbs = Math.Max(maxAbs, Math.Abs(v));
                    if (v < min[k]) { min[k] = v; minIdx[k] = i; }
                    if (v > max[k]) { max[k] = v; maxIdx[k] = i; }
                }
            double extent = Math.Max(max[0] - min[0], Math.Max(max[1] - min[1], max[2] - min[2]));
            _eps = 1e-12 * maxAbs + 1e-10 * extent;
            // Initial simplex: the widest axis pair, the point farthest from their line, the point farthest from that plane.
            int axis = 0;
            for (int k = 1; k < 3; k++) if (max[k] - min[k] > max[axis] - min[axis]) axis = k;
            int i0 = minIdx[axis], i1 = maxIdx[axis];
            int i2 = -1; double best = _eps * _eps;
            for (int i = 0; i < n; i++)
            {
                double d = LineDistanceSquared(i0, i1, i);
                if (d > best) { best = d; i2 = i; }
            }
            if (i2 < 0) throw new ArgumentException("points are collinear; the hull has no volume");
            var (nx, ny, nz) = Normal(i0, i1, i2);
            double off = nx * p[3 * i0] + ny * p[3 * i0 + 1] + nz * p[3 * i0 + 2];
            int i3 = -1; best = _eps;
            for (int i = 0; i < n; i++)
            {
                double d = Math.Abs(nx * p[3 * i] + ny * p[3 * i + 1] + nz * p[3 * i + 2] - off);
                if (d > best) { best = d; i3 = i; }
            }
            if (i3 < 0) throw new ArgumentException("points are coplanar; the hull has no volume");
            if (nx * p[3 * i3] + ny * p[3 * i3 + 1] + nz * p[3 * i3 + 2] - off > 0) (i1, i2) = (i2, i1);   // i3 below (i0, i1, i2)
            var initial = new[] { AddFace(i0, i1, i2), AddFace(i0, i3, i1), AddFace(i1, i3, i2), AddFace(i2, i3, i0) };
            for (int i = 0; i < n; i++)
            {
                if (i == i0 || i == i1 || i == i2 || i == i3) continue;
                Assign(i, initial);
            }
            var pending = new Stack<Face>(initial);
            var visible = new List<Face>();
            var horizon = new List<(int, int)>();
            var orphans = new List<int>();
            var created = new List<Face>();
            int stamp = 0;
            while (pending.Count > 0)
            {
                var face = pending.Pop();
                if (!face.Alive || face.Outside is null || face.Outside.Count == 0) continue;
                int eye = face.Outside[0]; double far = face.Distance(p, eye);
                foreach (var i in face.Outside) { double d = face.Distance(p, i); if (d > far) { far = d; eye = i; } }
                // Visible faces: connected region around `face` whose planes the eye point lies above.
                stamp++;
                visible.Clear(); horizon.Clear();
                CollectVisible(face, eye, stamp, visible, horizon);
                orphans.Clear();
                foreach (var f in visible)
                {
                    f.Alive = false;
                    _edges.Remove((f.A, f.B)); _edges.Remove((f.B, f.C)); _edges.Remove((f.C, f.A));
                    if (f.Outside is not null) foreach (var i in f.Outside) if (i != eye) orphans.Add(i);
                    f.Outside = null;
                }
                created.Clear();
                foreach (var (a, b) in horizon) created.Add(AddFace(a, b, eye));
                foreach (var i in orphans) Assign(i, created);
                foreach (var f in created) if (f.Outside is { Count: > 0 }) pending.Push(f);
            }
            // Compact the surviving faces over the used vertices.
            var map = new Dictionary<int, int>();
            var verts = new List<double>();
            var tris = new List<int>();
            int Map(int i)
            {
                if (map.TryGetValue(i, out int j)) return j;
                j = map.Count; map[i] = j;
                verts.Add(p[3 * i]); verts.Add(p[3 * i + 1]); verts.Add(p[3 * i + 2]);
                return j;
            }
            foreach (var f in _faces)
                if (f.Alive) { tris.Add(Map(f.A)); tris.Add(Map(f.B)); tris.Add(Map(f.C)); }
            return new TriangleMesh(verts.ToArray(), tris.ToArray());
        }

        /// <summary>Depth-first walk over the faces visible from the eye (connected to start); edges toward non-visible faces form the horizon.</summary>
        private void CollectVisible(Face start, int eye, int stamp, List<Face> visible, List<(int, int)> horizon)
        {
            var stack = new Stack<Face>();
            start.Visited = stamp;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var f = stack.Pop();
                visible.Add(f);
                for (int e = 0; e < 3; e++)
                {
                    var (a, b) = e switch { 0 => (f.A, f.B), 1 => (f.B, f.C), _ => (f.C, f.A) };
                    if (!_edges.TryGetValue((b, a), out var g) || !g.Alive) { horizon.Add((a, b)); continue; }
                    if (g.Visited == stamp) continue;
                    if (g.Distance(p, eye) > _eps) { g.Visited = stamp; stack.Push(g); }
                    else horizon.Add((a, b));
                }
            }
        }

        private void Assign(int i, IEnumerable<Face> candidates)
        {
            Face? target = null; double best = _eps;
            foreach (var f in candidates)
            {
                double d = f.Distance(p, i);
                if (d > best) { best = d; target = f; }
            }
            if (target is null) return;
            (target.Outside ??= []).Add(i);
        }

        private Face AddFace(int a, int b, int c)
        {
            var (nx, ny, nz) = Normal(a, b, c);
            var f = new Face { A = a, B = b, C = c, Nx = nx, Ny = ny, Nz = nz, Offset = nx * p[3 * a] + ny * p[3 * a + 1] + nz * p[3 * a + 2] };
            _faces.Add(f);
            _edges[(a, b)] = f; _edges[(b, c)] = f; _edges[(c, a)] = f;
            return f;
        }

        private (double, double, double) Normal(int a, int b, int c)
        {
            double ux = p[3 * b] - p[3 * a], uy = p[3 * b + 1] - p[3 * a + 1], uz = p[3 * b + 2] - p[3 * a + 2];
            double vx = p[3 * c] - p[3 * a], vy = p[3 * c + 1] - p[3 * a + 1], vz = p[3 * c + 2] - p[3 * a + 2];
            double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            return len > 0 ? (nx / len, ny / len, nz / len) : (0, 0, 0);
        }

        private double LineDistanceSquared(int a, int b, int i)
        {
            double ux = p[3 * b] - p[3 * a], uy = p[3 * b + 1] - p[3 * a + 1], uz = p[3 * b + 2] - p[3 * a + 2];
            double wx = p[3 * i] - p[3 * a], wy = p[3 * i + 1] - p[3 * a + 1], wz = p[3 * i + 2] - p[3 * a + 2];
            double cx = uy * wz - uz * wy, cy = uz * wx - ux * wz, cz = ux * wy - uy * wx;
            double uu = ux * ux + uy * uy + uz * uz;
            return uu > 0 ? (cx * cx + cy * cy + cz * cz) / uu : 0;
        }
    }
}
