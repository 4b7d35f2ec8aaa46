using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tetrahedral;

/// <summary>Options of <see cref="IsosurfaceStuffing.Mesh"/>.</summary>
public sealed record StuffingOptions
{
    /// <summary>Long-edge length h of the body-centred cubic lattice in µm (cube side; short edges are h·√3/2). Default:
    /// ∛(V / 8000) for the enclosed volume V, i.e. about 8,000 lattice cubes (≈ 100,000 tetrahedra) inside, multiplied by
    /// <see cref="IsosurfaceStuffing.DefaultSpacingFactor"/> up to <see cref="IsosurfaceStuffing.DefaultSpacingRefinements"/>
    /// times while the tetrahedral volume differs from V by more than <see cref="VolumeTolerance"/> (a surface with detail
    /// finer than the lattice); the mesh closest in volume is returned. A given spacing is used as is.</summary>
    public double? LatticeSpacingUm { get; init; }

    /// <summary>Relative volume difference |V_tet / V − 1| up to which the default spacing is accepted (default 0.01);
    /// not used when <see cref="LatticeSpacingUm"/> is given.</summary>
    public double VolumeTolerance { get; init; } = 0.01;

    /// <summary>Marker of boundary faces whose nearest input triangle carries no marker (no marker array given, or a
    /// marker ≤ 0). Default <see cref="BoundaryRegion.Membrane"/>.</summary>
    public int DefaultMarker { get; init; } = BoundaryRegion.Membrane;

    /// <summary>Optional closed, outward surface of an internal subdomain (e.g. a spine apparatus) in µm. Tetrahedra whose
    /// centroid lies inside it get <see cref="TetMesh.TetRegions"/> = 1. The interface is the union of lattice-derived faces
    /// between the two subdomains: it follows the organelle surface to within one lattice spacing but does not conform
    /// to it.</summary>
    public TriangleMesh? Organelle { get; init; }

    /// <summary>When an organelle is given, the faces between subdomains 0 and 1 are added to the boundary faces with this
    /// marker, oriented out of the organelle (towards the cytosol). Default <see cref="BoundaryRegion.Organelle"/>; ≤ 0 to omit.</summary>
    public int OrganelleMarker { get; init; } = BoundaryRegion.Organelle;

    /// <summary>Warping threshold on long lattice edges as a fraction of the edge length (Labelle &amp; Shewchuk 2007).</summary>
    public double AlphaLong { get; init; } = 0.24999;

    /// <summary>Warping threshold on short lattice edges as a fraction of the edge length. Labelle &amp; Shewchuk's value
    /// for their stencils is 0.41189; with this implementation's stencil and warping details it let one warped lattice
    /// tetrahedron (three vertices warped along short edges) reach 10.40° on a real spine, so the default is 0.40, which
    /// kept every tetrahedron of the tested shapes (sphere, ellipsoid, the 24 MICrONS and 5 Rangamani spine meshes, raw and
    /// conditioned) within [10.7°, 164.8°].</summary>
    public double AlphaShort { get; init; } = 0.40;
}

/// <summary>
/// Isosurface stuffing (Labelle &amp; Shewchuk, SIGGRAPH 2007) on a uniform body-centred cubic lattice: tetrahedral meshing
/// of the solid enclosed by a closed, outward-oriented triangle surface.
/// <list type="number">
/// <item>Lattice vertices are classified inside/outside by ray parity (<see cref="SurfaceLocator"/>).</item>
/// <item>Each lattice edge with one inside and one outside end gets a cut point: its exact crossing with the surface.</item>
/// <item>Warping: a lattice vertex closer to a cut point on one of its edges than α·(edge length) (α_long = 0.24999,
/// α_short = 0.40, see <see cref="StuffingOptions.AlphaShort"/>) moves onto the nearest such cut point and becomes a
/// surface vertex; cut points on its edges vanish. Vertices are warped one at a time, nearest violation first.</item>
/// <item>Stencils: each lattice tetrahedron is filled according to the signs of its vertices (inside, outside, on):
/// whole, one corner tetrahedron, a pyramid (2 tetrahedra) or a prism (3 tetrahedra). Quadrilaterals on lattice faces
/// are split consistently for both neighbours: when the two inside vertices span a long edge, the diagonal leaves the one
/// with even lattice index along that edge; otherwise it leaves the inside vertex whose edge to the outside vertex is
/// short and ends at the cut point on the long edge. Surface quadrilaterals take the diagonal that keeps the prism
/// splittable, the shorter one when both do.</item>
/// </list>
/// All boundary vertices lie on the input surface, except where a pinch was removed (below). Boundary face markers come
/// from the input triangle nearest to each face's centroid. Lattice tetrahedra with all four vertices warped onto the
/// surface are kept when their centroid is inside and they are within the angle bounds (the others are slivers lying on
/// the surface). Where features thinner than the lattice make parts touch along an edge, the tetrahedra of every fan
/// around that edge but the largest are removed; where parts touch at a vertex, the vertex is duplicated per part; so
/// the boundary is always a closed 2-manifold. With the default spacing the lattice is refined until the tetrahedral
/// volume is within <see cref="StuffingOptions.VolumeTolerance"/> of the surface's (see
/// <see cref="StuffingOptions.LatticeSpacingUm"/>). Only the uniform lattice is implemented (no graded octree variant).
/// Angle bounds: Labelle &amp; Shewchuk prove [10.7°, 164.8°] for α_long = 0.24999, α_short = 0.41189 with their
/// stencils; this implementation's stencil and warping choices are not covered by that proof (with α_short = 0.41189 it
/// produced 10.40° on 2 of the 60 bundled spine meshings), so it uses α_short = 0.40 and the bounds
/// [<see cref="GuaranteedMinDihedralDeg"/>°, <see cref="GuaranteedMaxDihedralDeg"/>°] are verified, not proven: by the
/// tests on every bundled spine (raw and conditioned) and per mesh by <see cref="TetMeshQuality.Measure"/>.
/// </summary>
public static class IsosurfaceStuffing
{
    /// <summary>Lower dihedral-angle bound (degrees) of Labelle &amp; Shewchuk's uniform lattice;
    /// verified, not proven, for this implementation (see the class remarks).</summary>
    public const double GuaranteedMinDihedralDeg = 10.7;

    /// <summary>Upper dihedral-angle bound (degrees) of Labelle &amp; Shewchuk's uniform lattice;
    /// verified, not proven, for this implementation (see the class remarks).</summary>
    public const double GuaranteedMaxDihedralDeg = 164.8;

    private const sbyte In = 1, Out = -1, On = 0;

    /// <summary>
    /// Meshes the solid bounded by <paramref name="surface"/> (closed, outward, µm). <paramref name="faceMarkers"/>
    /// optionally holds one region marker per input triangle (e.g. <see cref="BoundaryRegion.Psd"/> on a PSD patch).
    /// </summary>
    /// <exception cref="ArgumentException">Empty or non-closed surface, wrong marker count, non-positive spacing.</exception>
    public static TetMesh Mesh(TriangleMesh surface, int[]? faceMarkers, StuffingOptions? options = null)
    {
        options ??= new StuffingOptions();
        if (surface.TriangleCount == 0) throw new ArgumentException("surface has no triangles", nameof(surface));
        if (faceMarkers is not null && faceMarkers.Length != surface.TriangleCount)
            throw new ArgumentException($"expected {surface.TriangleCount} face markers, got {faceMarkers.Length}", nameof(faceMarkers));
        double volume = surface.SignedVolume();
        if (!(volume > 0)) throw new ArgumentException($"surface encloses no positive volume ({volume} µm³): not closed or inward oriented", nameof(surface));
        if (options.LatticeSpacingUm is { } given) return MeshAt(surface, faceMarkers, options, given);
        if (!(options.VolumeTolerance > 0)) throw new ArgumentException($"volume tolerance must be positive, got {options.VolumeTolerance}", nameof(options));
        // Default spacing: about 8,000 lattice cubes inside, refined while the lattice is too coarse for the surface's
        // detail (the piecewise-linear boundary through the cut points misses more than the tolerated volume).
        double h = Math.Cbrt(volume / 8000);
        TetMesh? best = null;
        double bestError = double.MaxValue;
        for (int attempt = 0; attempt <= DefaultSpacingRefinements; attempt++, h *= DefaultSpacingFactor)
        {
            var mesh = MeshAt(surface, faceMarkers, options, h);
            double error = Math.Abs(TotalVolume(mesh) / volume - 1);
            if (error < bestError) { best = mesh; bestError = error; }
            if (error <= options.VolumeTolerance) break;
        }
        return best!;
    }

    /// <summary>Refinements of the default lattice spacing (each by <see cref="DefaultSpacingFactor"/>) tried when the
    /// tetrahedral volume misses <see cref="StuffingOptions.VolumeTolerance"/>.</summary>
    public const int DefaultSpacingRefinements = 4;

    /// <summary>Factor applied to the default lattice spacing per refinement (≈ 1.6× the tetrahedra each time).</summary>
    public const double DefaultSpacingFactor = 0.85;

    private static double TotalVolume(TetMesh mesh)
    {
        double sum = 0;
        var t = mesh.Tetrahedra;
        for (int i = 0; i < t.Length; i += 4) sum += TetMeshQuality.Orient(mesh.Vertices, t[i], t[i + 1], t[i + 2], t[i + 3]);
        return sum / 6;
    }

    private static TetMesh MeshAt(TriangleMesh surface, int[]? faceMarkers, StuffingOptions options, double h)
    {
        if (!(h > 0) || !double.IsFinite(h)) throw new ArgumentException($"lattice spacing must be positive, got {h}", nameof(options));
        var locator = new SurfaceLocator(surface, 1.5 * h);
        var lattice = new Lattice(surface, h);
        lattice.Classify(locator);
        lattice.FindCuts(locator);
        lattice.Warp(options.AlphaLong, options.AlphaShort);
        var (verts, tets, surfaceVertex) = lattice.Fill(locator);
        (verts, tets, surfaceVertex) = RemovePinchedEdges(verts, tets, surfaceVertex);
        (verts, surfaceVertex) = SplitPinchedVertices(verts, tets, surfaceVertex);
        var regions = new int[tets.Length / 4];
        if (options.Organelle is not null) MarkOrganelle(options.Organelle, verts, tets, regions);
        var (faces, markers) = Boundary(verts, tets, regions, surfaceVertex, locator, faceMarkers, options);
        return new TetMesh(verts, tets, regions, faces, markers);
    }

    /// <summary>
    /// Where a feature thinner than the lattice makes two parts of the solid touch along an edge (the tetrahedra around
    /// the edge form two or more fans sharing no face, so the edge has four or more exterior faces), every fan except the
    /// one of largest volume loses its tetrahedra at that edge; repeated until no such edge is left (their removal can
    /// expose another). Vertices of removed tetrahedra are flagged as boundary candidates (an exposed face may have a
    /// vertex off the input surface) and unreferenced vertices are dropped.
    /// </summary>
    private static (double[] Verts, int[] Tets, bool[] Surface) RemovePinchedEdges(double[] verts, int[] tets, bool[] surface)
    {
        bool changed = false;
        for (int round = 0; round < 16; round++)
        {
            int m = tets.Length / 4;
            var faceCount = new Dictionary<(int, int, int), int>(4 * m);
            for (int t = 0; t < m; t++)
                for (int f = 0; f < 4; f++)
                {
                    var key = TetMeshQuality.Sort(tets[4 * t + (f + 1) % 4], tets[4 * t + (f + 2) % 4], tets[4 * t + (f + 3) % 4]);
                    faceCount[key] = faceCount.GetValueOrDefault(key) + 1;
                }
            var edgeUses = new Dictionary<long, int>(EdgeKeyComparer.Instance);
            foreach (var (face, count) in faceCount)
            {
                if (count != 1) continue;
                var (a, b, c) = face;
                foreach (long e in new[] { TetRefinement.EdgeKey(a, b), TetRefinement.EdgeKey(b, c), TetRefinement.EdgeKey(a, c) })
                    edgeUses[e] = edgeUses.GetValueOrDefault(e) + 1;
            }
            var pinched = edgeUses.Where(e => e.Value > 2).Select(e => e.Key).ToList();
            if (pinched.Count == 0) break;
            changed = true;
            var incident = new List<int>[verts.Length / 3];
            for (int t = 0; t < m; t++)
                for (int i = 0; i < 4; i++) (incident[tets[4 * t + i]] ??= new List<int>()).Add(t);
            var removed = new bool[m];
            foreach (long key in pinched)
            {
                int a = (int)(key >> 32), b = (int)(key & 0xffffffff);
                var fan = incident[a].Where(t => !removed[t] && (tets[4 * t] == b || tets[4 * t + 1] == b || tets[4 * t + 2] == b || tets[4 * t + 3] == b)).ToList();
                var parent = Enumerable.Range(0, fan.Count).ToArray();
                int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
                for (int i = 0; i < fan.Count; i++)
                    for (int j = i + 1; j < fan.Count; j++)
                    {
                        int common = 0;
                        for (int u = 0; u < 4; u++)
                            for (int w = 0; w < 4; w++)
                                if (tets[4 * fan[i] + u] == tets[4 * fan[j] + w]) common++;
                        if (common == 3) parent[Find(i)] = Find(j);
                    }
                var groupVolume = new Dictionary<int, double>();
                for (int i = 0; i < fan.Count; i++)
                {
                    int t = fan[i];
                    double v = TetMeshQuality.Orient(verts, tets[4 * t], tets[4 * t + 1], tets[4 * t + 2], tets[4 * t + 3]);
                    groupVolume[Find(i)] = groupVolume.GetValueOrDefault(Find(i)) + Math.Abs(v);
                }
                if (groupVolume.Count < 2) continue;
                int keep = groupVolume.MaxBy(g => g.Value).Key;
                for (int i = 0; i < fan.Count; i++)
                {
                    if (Find(i) == keep) continue;
                    removed[fan[i]] = true;
                    for (int u = 0; u < 4; u++) surface[tets[4 * fan[i] + u]] = true;
                }
            }
            var kept = new List<int>(tets.Length);
            for (int t = 0; t < m; t++)
                if (!removed[t]) kept.AddRange(tets.AsSpan(4 * t, 4));
            if (kept.Count == tets.Length) break;
            tets = kept.ToArray();
        }
        if (!changed) return (verts, tets, surface);
        // drop vertices no tetrahedron uses any more
        var map = new int[verts.Length / 3];
        Array.Fill(map, -1);
        int nv = 0;
        foreach (int v in tets) if (map[v] < 0) map[v] = nv++;
        var outVerts = new double[3 * nv];
        var outSurface = new bool[nv];
        for (int v = 0; v < map.Length; v++)
        {
            if (map[v] < 0) continue;
            Array.Copy(verts, 3 * v, outVerts, 3 * map[v], 3);
            outSurface[map[v]] = surface[v];
        }
        for (int i = 0; i < tets.Length; i++) tets[i] = map[tets[i]];
        return (outVerts, tets, outSurface);
    }

    /// <summary>
    /// Where features thinner than the lattice make two parts of the solid touch at a single surface vertex or edge,
    /// the tetrahedra around that vertex fall into several groups that share no face through it. Each further group
    /// gets its own copy of the vertex (same position), so the boundary becomes a 2-manifold; volume, angles and face
    /// sharing are unchanged.
    /// </summary>
    private static (double[] Verts, bool[] Surface) SplitPinchedVertices(double[] verts, int[] tets, bool[] surface)
    {
        int nv = verts.Length / 3, m = tets.Length / 4;
        var start = new int[nv + 1];
        foreach (int v in tets) start[v + 1]++;
        for (int v = 0; v < nv; v++) start[v + 1] += start[v];
        var incident = new int[tets.Length];
        var fill = (int[])start.Clone();
        for (int t = 0; t < m; t++)
            for (int i = 0; i < 4; i++) incident[fill[tets[4 * t + i]]++] = t;
        var extra = new List<double>();
        var parent = new List<int>();
        int next = nv;
        for (int v = 0; v < nv; v++)
        {
            if (!surface[v]) continue;
            int k = start[v + 1] - start[v];
            if (k < 2) continue;
            parent.Clear();
            for (int i = 0; i < k; i++) parent.Add(i);
            int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
            int groups = k;
            for (int i = 0; i < k; i++)
                for (int j = i + 1; j < k; j++)
                {
                    int ti = incident[start[v] + i], tj = incident[start[v] + j];
                    int common = 0;
                    for (int a = 0; a < 4; a++)
                        for (int b = 0; b < 4; b++)
                            if (tets[4 * ti + a] == tets[4 * tj + b]) common++;
                    if (common != 3) continue;
                    int ri = Find(i), rj = Find(j);
                    if (ri != rj) { parent[ri] = rj; groups--; }
                }
            if (groups == 1) continue;
            var copyOf = new Dictionary<int, int>();
            int keep = Find(0);
            for (int i = 0; i < k; i++)
            {
                int root = Find(i);
                if (root == keep) continue;
                if (!copyOf.TryGetValue(root, out int copy))
                {
                    copy = next++;
                    copyOf[root] = copy;
                    extra.Add(verts[3 * v]); extra.Add(verts[3 * v + 1]); extra.Add(verts[3 * v + 2]);
                }
                int t = incident[start[v] + i];
                for (int a = 0; a < 4; a++)
                    if (tets[4 * t + a] == v) tets[4 * t + a] = copy;
            }
        }
        if (next == nv) return (verts, surface);
        var outVerts = new double[3 * next];
        verts.CopyTo(outVerts, 0);
        extra.CopyTo(outVerts.AsSpan(verts.Length));
        var outSurface = new bool[next];
        surface.CopyTo(outSurface, 0);
        for (int v = nv; v < next; v++) outSurface[v] = true;
        return (outVerts, outSurface);
    }

    private static void MarkOrganelle(TriangleMesh organelle, double[] p, int[] tets, int[] regions)
    {
        var loc = new SurfaceLocator(organelle);
        Parallel.For(0, regions.Length, t =>
        {
            double x = 0, y = 0, z = 0;
            for (int i = 0; i < 4; i++)
            {
                int v = 3 * tets[4 * t + i];
                x += p[v]; y += p[v + 1]; z += p[v + 2];
            }
            regions[t] = loc.IsInside(x / 4, y / 4, z / 4) ? 1 : 0;
        });
    }

    private static (int[] Faces, int[] Markers) Boundary(double[] p, int[] tets, int[] regions, bool[] surfaceVertex,
        SurfaceLocator locator, int[]? faceMarkers, StuffingOptions options)
    {
        bool interfaces = options.Organelle is not null && options.OrganelleMarker > 0;
        int m = tets.Length / 4;
        var faces = new Dictionary<(int, int, int), (int Count, int Tet, int Face, int Tet2)>();
        for (int t = 0; t < m; t++)
            for (int f = 0; f < 4; f++)
            {
                int a = tets[4 * t + (f + 1) % 4], b = tets[4 * t + (f + 2) % 4], c = tets[4 * t + (f + 3) % 4];
                if (!interfaces && !(surfaceVertex[a] && surfaceVertex[b] && surfaceVertex[c])) continue;
                var key = TetMeshQuality.Sort(a, b, c);
                faces[key] = faces.TryGetValue(key, out var e) ? (e.Count + 1, e.Tet, e.Face, t) : (1, t, f, -1);
            }
        var outFaces = new List<int>();
        var kinds = new List<int>(); // −1: exterior (marker from the surface), otherwise the interface marker
        foreach (var e in faces.Values)
        {
            int t = e.Tet, f = e.Face;
            int a = tets[4 * t + (f + 1) % 4], b = tets[4 * t + (f + 2) % 4], c = tets[4 * t + (f + 3) % 4], d = tets[4 * t + f];
            if (e.Count == 1)
            {
                if (TetMeshQuality.Orient(p, a, b, c, d) > 0) (b, c) = (c, b);
                outFaces.Add(a); outFaces.Add(b); outFaces.Add(c);
                kinds.Add(-1);
            }
            else if (interfaces && e.Count == 2 && regions[e.Tet] != regions[e.Tet2])
            {
                // orient out of the organelle (region 1): away from the region-1 tetrahedron's opposite vertex
                int inner = regions[e.Tet] == 1 ? e.Tet : e.Tet2;
                int opp = tets[4 * inner] + tets[4 * inner + 1] + tets[4 * inner + 2] + tets[4 * inner + 3] - a - b - c;
                if (TetMeshQuality.Orient(p, a, b, c, opp) > 0) (b, c) = (c, b);
                outFaces.Add(a); outFaces.Add(b); outFaces.Add(c);
                kinds.Add(options.OrganelleMarker);
            }
        }
        var faceArray = outFaces.ToArray();
        var markers = new int[kinds.Count];
        Parallel.For(0, markers.Length, f =>
        {
            if (kinds[f] >= 0) { markers[f] = kinds[f]; return; }
            int a = 3 * faceArray[3 * f], b = 3 * faceArray[3 * f + 1], c = 3 * faceArray[3 * f + 2];
            int marker = options.DefaultMarker;
            if (faceMarkers is not null)
            {
                var hit = locator.Closest((p[a] + p[b] + p[c]) / 3, (p[a + 1] + p[b + 1] + p[c + 1]) / 3, (p[a + 2] + p[b + 2] + p[c + 2]) / 3);
                int mk = faceMarkers[hit.Triangle];
                if (mk > 0) marker = mk;
            }
            markers[f] = marker;
        });
        return (faceArray, markers);
    }

    /// <summary>The BCC lattice with signs, cut points and warps.</summary>
    private sealed class Lattice
    {
        private readonly double _h, _ox, _oy, _oz;
        private readonly int _nx, _ny, _nz;      // cubes per axis (red vertices); black vertices are (n + 1) per axis
        private readonly int _nBlack, _nRed;
        private readonly sbyte[] _state;
        private readonly int[] _warp;            // lattice vertex → cut point it was warped to, or −1
        private readonly Dictionary<long, int> _cutOfEdge = new(EdgeKeyComparer.Instance);
        private double[] _cutPos = [];
        private int[] _cutU = [], _cutV = [];
        private double[] _cutT = [];

        public Lattice(TriangleMesh surface, double h)
        {
            var (min, max) = surface.Bounds();
            _h = h;
            // two cells of margin and a generic sub-cell offset so lattice points avoid the input's special positions
            _ox = min[0] - 2 * h - 0.1234567 * h;
            _oy = min[1] - 2 * h - 0.2345671 * h;
            _oz = min[2] - 2 * h - 0.3456712 * h;
            _nx = (int)Math.Ceiling((max[0] - _ox) / h) + 2;
            _ny = (int)Math.Ceiling((max[1] - _oy) / h) + 2;
            _nz = (int)Math.Ceiling((max[2] - _oz) / h) + 2;
            long nb = (long)(_nx + 1) * (_ny + 1) * (_nz + 1), nr = (long)_nx * _ny * _nz;
            if (nb + nr > 200_000_000) throw new ArgumentException($"lattice spacing {h} µm needs {nb + nr} lattice vertices; use a larger spacing");
            _nBlack = (int)nb; _nRed = (int)nr;
            _state = new sbyte[_nBlack + _nRed];
            _warp = new int[_nBlack + _nRed];
            Array.Fill(_warp, -1);
        }

        private int Black(int i, int j, int k) => i + (_nx + 1) * (j + (_ny + 1) * k);
        private int Red(int i, int j, int k) => _nBlack + i + _nx * (j + _ny * k);
        private bool IsRed(int v) => v >= _nBlack;

        private (int I, int J, int K) Index(int v)
        {
            if (v < _nBlack)
            {
                int i = v % (_nx + 1), r = v / (_nx + 1);
                return (i, r % (_ny + 1), r / (_ny + 1));
            }
            v -= _nBlack;
            int ri = v % _nx, rr = v / _nx;
            return (ri, rr % _ny, rr / _ny);
        }

        private (double X, double Y, double Z) LatticePos(int v)
        {
            var (i, j, k) = Index(v);
            double s = IsRed(v) ? 0.5 : 0;
            return (_ox + (i + s) * _h, _oy + (j + s) * _h, _oz + (k + s) * _h);
        }

        public void Classify(SurfaceLocator loc)
        {
            // black lines along x: (j, k) ∈ (ny+1)(nz+1); red lines: ny·nz
            int blackLines = (_ny + 1) * (_nz + 1), redLines = _ny * _nz;
            Parallel.For(0, blackLines + redLines, () => new List<double>(16), (line, _, xs) =>
            {
                bool red = line >= blackLines;
                int l = red ? line - blackLines : line;
                int ny = red ? _ny : _ny + 1;
                int j = l % ny, k = l / ny;
                double s = red ? 0.5 : 0;
                xs.Clear();
                loc.LineCrossings(_oy + (j + s) * _h, _oz + (k + s) * _h, xs);
                xs.Sort();
                int n = red ? _nx : _nx + 1;
                int c = 0;
                for (int i = 0; i < n; i++)
                {
                    double x = _ox + (i + s) * _h;
                    while (c < xs.Count && xs[c] <= x) c++;
                    // inside when an odd number of crossings lie beyond x
                    int v = red ? Red(i, j, k) : Black(i, j, k);
                    _state[v] = ((xs.Count - c) & 1) == 1 ? In : Out;
                }
                return xs;
            }, _ => { });
        }

        /// <summary>Appends every lattice edge whose ends differ in sign, with whether it is a long edge.</summary>
        private void CrossingEdges(List<(int U, int V, bool Long)> list)
        {
            var perSlab = new List<(int, int, bool)>[_nz + 1];
            Parallel.For(0, _nz + 1, k =>
            {
                var local = new List<(int, int, bool)>();
                void Check(int u, int v, bool isLong)
                {
                    if (_state[u] != _state[v]) local.Add((u, v, isLong));
                }
                for (int j = 0; j <= _ny; j++)
                    for (int i = 0; i <= _nx; i++)
                    {
                        int b = Black(i, j, k);
                        if (i < _nx) Check(b, Black(i + 1, j, k), true);
                        if (j < _ny) Check(b, Black(i, j + 1, k), true);
                        if (k < _nz) Check(b, Black(i, j, k + 1), true);
                        if (i < _nx && j < _ny && k < _nz)
                        {
                            int r = Red(i, j, k);
                            if (i + 1 < _nx) Check(r, Red(i + 1, j, k), true);
                            if (j + 1 < _ny) Check(r, Red(i, j + 1, k), true);
                            if (k + 1 < _nz) Check(r, Red(i, j, k + 1), true);
                            for (int c = 0; c < 8; c++)
                                Check(r, Black(i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1)), false);
                        }
                    }
                perSlab[k] = local;
            });
            foreach (var s in perSlab) list.AddRange(s);
        }

        public void FindCuts(SurfaceLocator loc)
        {
            var edges = new List<(int U, int V, bool Long)>();
            CrossingEdges(edges);
            int n = edges.Count;
            _cutPos = new double[3 * n];
            _cutU = new int[n]; _cutV = new int[n];
            _cutT = new double[n];
            Parallel.For(0, n, () => new List<(double, int)>(4), (e, _, hits) =>
            {
                var (u, v, _) = edges[e];
                // parametrise from the inside end
                if (_state[u] != In) (u, v) = (v, u);
                var (ux, uy, uz) = LatticePos(u);
                var (vx, vy, vz) = LatticePos(v);
                hits.Clear();
                loc.SegmentCrossings(ux, uy, uz, vx, vy, vz, hits);
                double t;
                if (hits.Count > 0)
                {
                    // the crossing nearest to the inside end (several crossings: a feature thinner than the lattice)
                    t = double.MaxValue;
                    foreach (var (ht, _) in hits) t = Math.Min(t, ht);
                }
                else
                {
                    // numerical miss at a mesh edge or vertex: bisection on the inside test
                    double lo = 0, hi = 1;
                    for (int it = 0; it < 50; it++)
                    {
                        double mid = 0.5 * (lo + hi);
                        if (loc.IsInside(ux + mid * (vx - ux), uy + mid * (vy - uy), uz + mid * (vz - uz))) lo = mid; else hi = mid;
                    }
                    t = 0.5 * (lo + hi);
                }
                _cutU[e] = u; _cutV[e] = v; _cutT[e] = t;
                _cutPos[3 * e] = ux + t * (vx - ux);
                _cutPos[3 * e + 1] = uy + t * (vy - uy);
                _cutPos[3 * e + 2] = uz + t * (vz - uz);
                return hits;
            }, _ => { });
            _cutOfEdge.EnsureCapacity(n);
            for (int e = 0; e < n; e++) _cutOfEdge[TetRefinement.EdgeKey(edges[e].U, edges[e].V)] = e;
            _isLong = new bool[n];
            for (int e = 0; e < n; e++) _isLong[e] = edges[e].Long;
        }

        private bool[] _isLong = [];

        public void Warp(double alphaLong, double alphaShort)
        {
            // Violations: a cut point closer to an end of its edge than α·(edge length) violates that end. Vertices are
            // warped one at a time, nearest violation first; a warp removes the cut points on the warped vertex's edges,
            // which may leave other vertices no longer violated.
            int n = _cutT.Length;
            var candidates = new List<(double Dist, int Vertex, int Cut)>();
            for (int e = 0; e < n; e++)
            {
                double alpha = _isLong[e] ? alphaLong : alphaShort;
                double len = _isLong[e] ? 1 : Math.Sqrt(3) / 2;
                double t = _cutT[e];
                if (t < alpha) candidates.Add((t * len, _cutU[e], e));
                else if (1 - t < alpha) candidates.Add(((1 - t) * len, _cutV[e], e));
            }
            candidates.Sort();
            foreach (var (_, v, cut) in candidates)
            {
                // the cut point still exists while both ends of its edge keep their signs
                if (_state[_cutU[cut]] == On || _state[_cutV[cut]] == On) continue;
                _warp[v] = cut;
                _state[v] = On;
            }
        }

        private int NL => _nBlack + _nRed;

        /// <summary>Global id of the cut point on edge (a, b): NL + cut index.</summary>
        private int Cut(int a, int b) => NL + _cutOfEdge[TetRefinement.EdgeKey(a, b)];

        private (double, double, double) Pos(int g)
        {
            if (g >= NL)
            {
                int c = g - NL;
                return (_cutPos[3 * c], _cutPos[3 * c + 1], _cutPos[3 * c + 2]);
            }
            if (_warp[g] >= 0)
            {
                int c = _warp[g];
                return (_cutPos[3 * c], _cutPos[3 * c + 1], _cutPos[3 * c + 2]);
            }
            return LatticePos(g);
        }

        /// <summary>Touched inside vertex of the quadrilateral on lattice face (x, y, c) with x, y inside and c outside:
        /// the diagonal runs from it to the cut point on the other inside vertex's edge to c.</summary>
        private int QuadTouch(int x, int y, int c)
        {
            if (IsRed(x) == IsRed(y))
            {
                // x–y is a long edge: the end with even lattice index along it
                var (xi, xj, xk) = Index(x);
                var (yi, yj, yk) = Index(y);
                int ax = xi != yi ? xi : xj != yj ? xj : xk;
                return (ax & 1) == 0 ? x : y;
            }
            // exactly one of x–c, y–c is long (same colour); the diagonal leaves the other (short-edge) vertex
            return IsRed(x) == IsRed(c) ? y : x;
        }

        public (double[] Verts, int[] Tets, bool[] SurfaceVertex) Fill(SurfaceLocator loc)
        {
            var slabs = new List<int>[_nz];
            Parallel.For(0, _nz, k =>
            {
                var local = new List<int>();
                Span<int> v = stackalloc int[4];
                for (int j = 0; j < _ny; j++)
                    for (int i = 0; i < _nx; i++)
                    {
                        int r = Red(i, j, k);
                        for (int axis = 0; axis < 3; axis++)
                        {
                            int ni = i + (axis == 0 ? 1 : 0), nj = j + (axis == 1 ? 1 : 0), nk = k + (axis == 2 ? 1 : 0);
                            if (ni >= _nx || nj >= _ny || nk >= _nz) continue;
                            int r2 = Red(ni, nj, nk);
                            for (int e = 0; e < 4; e++)
                            {
                                // square of the shared cube face, corners in cyclic order
                                int a0 = (e == 1 || e == 2) ? 1 : 0, b0 = (e >= 2) ? 1 : 0;
                                int a1 = (e == 0 || e == 1) ? 1 : 0, b1 = (e == 1 || e == 2) ? 1 : 0;
                                int c0, c1;
                                if (axis == 0) { c0 = Black(i + 1, j + a0, k + b0); c1 = Black(i + 1, j + a1, k + b1); }
                                else if (axis == 1) { c0 = Black(i + a0, j + 1, k + b0); c1 = Black(i + a1, j + 1, k + b1); }
                                else { c0 = Black(i + a0, j + b0, k + 1); c1 = Black(i + a1, j + b1, k + 1); }
                                v[0] = r; v[1] = r2; v[2] = c0; v[3] = c1;
                                Stencil(v, local, loc);
                            }
                        }
                    }
                slabs[k] = local;
            });
            // compact the used vertices
            int total = 0;
            foreach (var s in slabs) total += s.Count;
            var raw = new int[total];
            int w = 0;
            foreach (var s in slabs) { s.CopyTo(raw, w); w += s.Count; }
            var map = new int[NL + _cutT.Length];
            Array.Fill(map, -1);
            int nv = 0;
            foreach (int g in raw)
                if (map[g] < 0) map[g] = nv++;
            var verts = new double[3 * nv];
            var surfaceVertex = new bool[nv];
            for (int g = 0; g < map.Length; g++)
            {
                int q = map[g];
                if (q < 0) continue;
                var (x, y, z) = Pos(g);
                verts[3 * q] = x; verts[3 * q + 1] = y; verts[3 * q + 2] = z;
                surfaceVertex[q] = g >= NL || _state[g] == On;
            }
            var tets = new int[total];
            for (int i = 0; i < total; i++) tets[i] = map[raw[i]];
            return (verts, tets, surfaceVertex);
        }

        private void Emit(List<int> o, int a, int b, int c, int d)
        {
            var (ax, ay, az) = Pos(a);
            var (bx, by, bz) = Pos(b);
            var (cx, cy, cz) = Pos(c);
            var (dx, dy, dz) = Pos(d);
            double ux = bx - ax, uy = by - ay, uz = bz - az, vx = cx - ax, vy = cy - ay, vz = cz - az, wx = dx - ax, wy = dy - ay, wz = dz - az;
            double det = ux * (vy * wz - vz * wy) - uy * (vx * wz - vz * wx) + uz * (vx * wy - vy * wx);
            if (det < 0) (c, d) = (d, c);
            o.Add(a); o.Add(b); o.Add(c); o.Add(d);
        }

        private double Dist2(int a, int b)
        {
            var (ax, ay, az) = Pos(a);
            var (bx, by, bz) = Pos(b);
            return (ax - bx) * (ax - bx) + (ay - by) * (ay - by) + (az - bz) * (az - bz);
        }

        private void Stencil(ReadOnlySpan<int> v, List<int> o, SurfaceLocator loc)
        {
            int nIn = 0, nOut = 0;
            for (int q = 0; q < 4; q++)
            {
                if (_state[v[q]] == In) nIn++;
                else if (_state[v[q]] == Out) nOut++;
            }
            if (nOut == 4) return;
            if (nOut == 0)
            {
                if (nIn == 0 && !KeepSurfaceTet(v, loc)) return;
                Emit(o, v[0], v[1], v[2], v[3]);
                return;
            }
            if (nIn == 0) return;
            Span<int> ins = stackalloc int[4], outs = stackalloc int[4], ons = stackalloc int[4];
            int ni = 0, no = 0, nz = 0;
            for (int q = 0; q < 4; q++)
            {
                sbyte s = _state[v[q]];
                if (s == In) ins[ni++] = v[q]; else if (s == Out) outs[no++] = v[q]; else ons[nz++] = v[q];
            }
            if (ni == 1)
            {
                int a = ins[0];
                Span<int> w = stackalloc int[3];
                int c = 0;
                for (int q = 0; q < no; q++) w[c++] = Cut(a, outs[q]);
                for (int q = 0; q < nz; q++) w[c++] = ons[q];
                Emit(o, a, w[0], w[1], w[2]);
                return;
            }
            if (ni == 2 && no == 1)
            {
                // pyramid: apex on the surface, base quadrilateral on lattice face (a, b, c)
                int a = ins[0], b = ins[1], c = outs[0], z = ons[0];
                int pa = Cut(a, c), pb = Cut(b, c);
                if (QuadTouch(a, b, c) == a) { Emit(o, z, a, b, pb); Emit(o, z, a, pb, pa); }
                else { Emit(o, z, a, b, pa); Emit(o, z, b, pb, pa); }
                return;
            }
            Span<int> top = stackalloc int[3], bottom = stackalloc int[3], touch = stackalloc int[3];
            if (ni == 3)
            {
                int d = outs[0];
                for (int q = 0; q < 3; q++) { top[q] = ins[q]; bottom[q] = Cut(ins[q], d); }
                for (int q = 0; q < 3; q++)
                    touch[q] = QuadTouch(ins[q], ins[(q + 1) % 3], d) == ins[q] ? 0 : 1;
            }
            else
            {
                // two inside (a, b), two outside (c, d)
                int a = ins[0], b = ins[1], c = outs[0], d = outs[1];
                top[0] = a; top[1] = Cut(a, c); top[2] = Cut(a, d);
                bottom[0] = b; bottom[1] = Cut(b, c); bottom[2] = Cut(b, d);
                touch[0] = QuadTouch(a, b, c) == a ? 0 : 1;
                touch[1] = -1; // the surface quadrilateral: free
                touch[2] = QuadTouch(a, b, d) == a ? 1 : 0;
            }
            Prism(o, top, bottom, touch);
        }

        /// <summary>
        /// A lattice tetrahedron whose four (warped) vertices all lie on the surface is kept when its centroid is inside and
        /// its dihedral angles are within the guaranteed bounds. The ones dropped are slivers flattened onto the surface
        /// (all four vertices warped onto a nearly flat patch): they enclose almost no volume, and the faces they expose
        /// lie on the surface as well.
        /// </summary>
        private bool KeepSurfaceTet(ReadOnlySpan<int> v, SurfaceLocator loc)
        {
            Span<double> p = stackalloc double[12];
            double x = 0, y = 0, z = 0;
            for (int q = 0; q < 4; q++)
            {
                var (px, py, pz) = Pos(v[q]);
                p[3 * q] = px; p[3 * q + 1] = py; p[3 * q + 2] = pz;
                x += px; y += py; z += pz;
            }
            if (!loc.IsInside(x / 4, y / 4, z / 4)) return false;
            Span<double> angles = stackalloc double[6];
            TetMeshQuality.Dihedrals(p, angles);
            foreach (double a in angles)
                if (a < GuaranteedMinDihedralDeg || a > GuaranteedMaxDihedralDeg) return false;
            return true;
        }

        /// <summary>Splits the prism top (t0, t1, t2) / bottom (s0, s1, s2) into 3 tetrahedra. Quadrilateral q joins
        /// t_q, t_{q+1}, s_{q+1}, s_q; touch[q] = 0 for the diagonal t_q–s_{q+1}, 1 for t_{q+1}–s_q, −1 for free.</summary>
        private void Prism(List<int> o, Span<int> t, Span<int> s, Span<int> touch)
        {
            Span<int> count = stackalloc int[3];
            int free = -1;
            for (int q = 0; q < 3; q++)
            {
                if (touch[q] < 0) { free = q; continue; }
                count[(q + touch[q]) % 3]++;
            }
            if (free >= 0)
            {
                int q = free, q1 = (q + 1) % 3;
                bool ok0 = !(count[q] + 1 == 1 && count[q1] == 1 && count[(q + 2) % 3] == 1);
                bool ok1 = !(count[q] == 1 && count[q1] + 1 == 1 && count[(q + 2) % 3] == 1);
                int choice;
                if (ok0 && ok1) choice = Dist2(t[q], s[q1]) <= Dist2(t[q1], s[q]) ? 0 : 1;
                else choice = ok0 ? 0 : 1;
                touch[q] = choice;
                count[(q + choice) % 3]++;
            }
            int i = count[0] == 2 ? 0 : count[1] == 2 ? 1 : 2;
            int j = (i + 1) % 3, k = (i + 2) % 3;
            Emit(o, t[i], s[0], s[1], s[2]);
            // remaining pyramid: apex t_i over quadrilateral j (t_j, t_k, s_k, s_j)
            if (touch[j] == 0) { Emit(o, t[i], t[j], t[k], s[k]); Emit(o, t[i], t[j], s[k], s[j]); }
            else { Emit(o, t[i], t[j], t[k], s[j]); Emit(o, t[i], t[k], s[k], s[j]); }
        }
    }
}
