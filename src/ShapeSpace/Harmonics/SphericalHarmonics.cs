using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// A spherical-harmonic shape model r(u) = Σ c_lm Y_lm(u): the distance in µm from <see cref="Centroid"/> to the
/// surface along the unit direction u, u expressed in the shape's aligned frame. Coefficients follow
/// <see cref="RealSphericalHarmonics"/> (orthonormal real SH, index l² + l + m).
/// </summary>
/// <param name="Lmax">Highest degree l.</param>
/// <param name="Coefficients">(Lmax + 1)² coefficients in µm, index l² + l + m.</param>
/// <param name="Centroid">Centre of the parameterization in the input frame, µm (x, y, z): the solid's volume centroid.</param>
/// <param name="Rotation">
/// Row-major 3 × 3 rotation whose columns are the aligned axes (major, mid, minor principal axes of the solid) in the
/// input frame: input = Centroid + Rotation · aligned. Sign convention: the major and mid axes point toward the side of
/// positive third central moment (skewness) of the solid along them; the minor axis completes a right-handed frame.
/// When a skewness is zero to rounding (symmetric shapes) the sign of <see cref="Descriptors"/> is kept.
/// </param>
/// <param name="IsStarShaped">False when some sampling ray from the centroid leaves the solid, re-enters and leaves
/// again with a fold deeper than the fold tolerance (see <see cref="SphericalHarmonics.Fit(TriangleMesh, int, int, int, double)"/>),
/// or the centroid lies outside the solid; the radial function always keeps the farthest crossing.</param>
/// <param name="MultiCrossingRayFraction">Fraction of sampling rays that are folded beyond the tolerance or start outside.</param>
/// <param name="MeanSurfaceDistanceUm">Symmetric mean surface distance (µm) between the input surface and the
/// reconstruction: the average of the two directed means over the vertices of each surface (point-to-triangle).</param>
/// <param name="HausdorffDistanceUm">Symmetric Hausdorff distance (µm) over the vertices of both surfaces.</param>
/// <param name="InputVolumeUm3">Volume of the input solid, µm³.</param>
public sealed record ShCoefficients(
    int Lmax,
    double[] Coefficients,
    (double X, double Y, double Z) Centroid,
    double[] Rotation,
    bool IsStarShaped,
    double MultiCrossingRayFraction,
    double MeanSurfaceDistanceUm,
    double HausdorffDistanceUm,
    double InputVolumeUm3)
{
    /// <summary>Diameter (µm) of the sphere with the input's volume, (6V/π)^{1/3}.</summary>
    public double EquivalentDiameterUm => Math.Cbrt(6.0 * InputVolumeUm3 / Math.PI);

    /// <summary>Rotation-invariant power spectrum P_l = Σ_m c_lm², l = 0…Lmax (µm²).</summary>
    public double[] PowerSpectrum() => RealSphericalHarmonics.PowerSpectrum(Coefficients, Lmax);

    /// <summary>Model radius in µm along the aligned-frame direction (x, y, z) (normalised here; must be non-zero).</summary>
    public double Radius(double x, double y, double z)
    {
        double n = Math.Sqrt(x * x + y * y + z * z);
        Span<double> basis = stackalloc double[RealSphericalHarmonics.Count(Lmax)];
        RealSphericalHarmonics.Evaluate(Lmax, x / n, y / n, z / n, basis);
        double r = 0;
        for (int k = 0; k < basis.Length; k++) r += Coefficients[k] * basis[k];
        return r;
    }

    /// <summary>
    /// A closed, watertight, outward-oriented mesh of the model: the unit icosphere with <paramref name="subdivisions"/>
    /// refinements (10·4^s + 2 vertices), each vertex u moved to r(u)·u (negative radii clamped to 0). In the input
    /// frame (µm) when <paramref name="inInputFrame"/>, else centred at the origin in the aligned frame.
    /// </summary>
    public TriangleMesh Reconstruct(int subdivisions, bool inInputFrame = true)
    {
        var sphere = Icosphere.Create(subdivisions);
        var u = sphere.Vertices;
        var v = new double[u.Length];
        var r = Rotation;
        var c = inInputFrame ? Centroid : (0, 0, 0);
        int n = u.Length / 3;
        int count = RealSphericalHarmonics.Count(Lmax);
        Parallel.For(0, n, () => new double[count], (i, _, basis) =>
        {
            double x = u[3 * i], y = u[3 * i + 1], z = u[3 * i + 2];
            RealSphericalHarmonics.Evaluate(Lmax, x, y, z, basis);
            double rad = 0;
            for (int k = 0; k < count; k++) rad += Coefficients[k] * basis[k];
            rad = Math.Max(rad, 0);
            double ax = rad * x, ay = rad * y, az = rad * z;
            if (inInputFrame)
            {
                v[3 * i] = c.X + r[0] * ax + r[1] * ay + r[2] * az;
                v[3 * i + 1] = c.Y + r[3] * ax + r[4] * ay + r[5] * az;
                v[3 * i + 2] = c.Z + r[6] * ax + r[7] * ay + r[8] * az;
            }
            else { v[3 * i] = ax; v[3 * i + 1] = ay; v[3 * i + 2] = az; }
            return basis;
        }, _ => { });
        return new TriangleMesh(v, (int[])sphere.Triangles.Clone());
    }
}

/// <summary>
/// Spherical-harmonic parameterization of closed surfaces (the idea of aics-shparam, written from the mathematics):
/// centre at the volume centroid, align to the principal axes, sample the radial function r(θ, φ) by casting rays from
/// the centroid on a Gauss–Legendre (cos θ) × uniform (φ) grid, and fit real SH coefficients by weighted least squares.
/// On that grid the quadrature is exact for products of harmonics up to degree 2·lmax, so the weighted normal
/// equations are the identity and the least-squares solution is the quadrature projection c_lm = Σ w r Y_lm.
/// </summary>
public static class SphericalHarmonics
{
    /// <summary>
    /// Fits a closed triangle surface (µm). <paramref name="samplingFactor"/> sets the grid: N_θ = factor·(lmax + 1)
    /// Gauss–Legendre nodes in cos θ and N_φ = 2·N_θ azimuths (factor ≥ 1; 2 oversamples to reduce aliasing).
    /// Errors are measured against the reconstruction with <paramref name="errorSubdivisions"/> icosphere refinements.
    /// A ray is folded (the shape not star-shaped along it) when its first and last surface crossings are more than
    /// <paramref name="foldTolerance"/> × the equivalent diameter apart, or it starts outside the solid (even number of
    /// crossings); the tolerance ignores sub-resolution wrinkles of real meshes.
    /// </summary>
    public static ShCoefficients Fit(TriangleMesh mesh, int lmax, int samplingFactor = 2, int errorSubdivisions = 4, double foldTolerance = 0.02)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Validate(lmax, samplingFactor);
        var d = Descriptors.FromMesh(mesh);
        var centroid = (d.CentroidXUm, d.CentroidYUm, d.CentroidZUm);
        double sign = mesh.SignedVolume() >= 0 ? 1 : -1;
        var rotation = AlignedFrame(d, axis => sign * MeshThirdMoment(mesh, centroid, axis));
        var bvh = new TriangleBvh(mesh);
        double scale = d.EquivalentDiameterUm;
        double foldUm = foldTolerance * scale;
        var (radii, weights, dirs, multi) = SampleRadii(lmax, samplingFactor, rotation, (dx, dy, dz, hits) =>
        {
            hits.Clear();
            bvh.IntersectAll(centroid.Item1, centroid.Item2, centroid.Item3, dx, dy, dz, 0, hits);
            var (r, first, distinct) = Crossings(hits, 1e-9 * scale);
            return (r, distinct % 2 == 1 && r - first <= foldUm);
        });
        var coefficients = Project(lmax, radii, weights, dirs);
        var partial = new ShCoefficients(lmax, coefficients, centroid, rotation, multi == 0, (double)multi / radii.Length, double.NaN, double.NaN, d.VolumeUm3);
        var (mean, hausdorff) = SurfaceDistances(mesh, bvh, partial.Reconstruct(errorSubdivisions));
        return partial with { MeanSurfaceDistanceUm = mean, HausdorffDistanceUm = hausdorff };
    }

    /// <summary>
    /// Fits the foreground (non-zero voxels) of a mask of shape (Z, Y, X) with anisotropic spacing (µm). The solid is
    /// the union of the foreground voxel boxes (each spacing-sized, centred on its voxel centre, origin honoured);
    /// centroid and principal axes are those of the voxel centres (<see cref="Descriptors.FromMask"/>); rays are traced
    /// exactly through the voxel grid (3-D DDA) in µm. Surface errors are measured against the exposed voxel faces.
    /// Folds are judged as for meshes, with the tolerance max(<paramref name="foldTolerance"/> × equivalent diameter,
    /// one voxel diagonal) so that staircase corners do not count.
    /// </summary>
    public static ShCoefficients Fit(Volume<byte> mask, int lmax, int samplingFactor = 2, int errorSubdivisions = 4, double foldTolerance = 0.02)
    {
        ArgumentNullException.ThrowIfNull(mask);
        Validate(lmax, samplingFactor);
        var d = Descriptors.FromMask(mask, null);
        var centroid = (d.CentroidXUm, d.CentroidYUm, d.CentroidZUm);
        var rotation = AlignedFrame(d, axis => MaskThirdMoment(mask, centroid, axis));
        var sp = mask.Spacing;
        double foldUm = Math.Max(foldTolerance * d.EquivalentDiameterUm, Math.Sqrt(sp.X * sp.X + sp.Y * sp.Y + sp.Z * sp.Z));
        var (radii, weights, dirs, multi) = SampleRadii(lmax, samplingFactor, rotation, (dx, dy, dz, _) =>
        {
            var (r, firstExit, startedInside) = MarchMask(mask, centroid, dx, dy, dz);
            return (r, startedInside && r - firstExit <= foldUm);
        });
        var coefficients = Project(lmax, radii, weights, dirs);
        var partial = new ShCoefficients(lmax, coefficients, centroid, rotation, multi == 0, (double)multi / radii.Length, double.NaN, double.NaN, d.VolumeUm3);
        var faces = VoxelSurface(mask);
        var (mean, hausdorff) = SurfaceDistances(faces, new TriangleBvh(faces), partial.Reconstruct(errorSubdivisions));
        return partial with { MeanSurfaceDistanceUm = mean, HausdorffDistanceUm = hausdorff };
    }

    /// <summary>
    /// Fits a radial function given directly: <paramref name="radius"/> maps a unit direction (x, y, z) to a distance
    /// (µm) from the origin. No alignment (identity rotation, centroid at the origin); errors are NaN and the shape is
    /// reported star-shaped. Used for analytic surfaces. <paramref name="radius"/> is called concurrently from several
    /// threads and must be thread-safe.
    /// </summary>
    public static ShCoefficients FitRadialFunction(Func<double, double, double, double> radius, int lmax, int samplingFactor = 2)
    {
        ArgumentNullException.ThrowIfNull(radius);
        Validate(lmax, samplingFactor);
        double[] identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var (radii, weights, dirs, _) = SampleRadii(lmax, samplingFactor, identity, (dx, dy, dz, _) => (radius(dx, dy, dz), true));
        var coefficients = Project(lmax, radii, weights, dirs);
        double volume = 0;
        for (int i = 0; i < radii.Length; i++) volume += weights[i] * radii[i] * radii[i] * radii[i] / 3.0;
        return new ShCoefficients(lmax, coefficients, (0, 0, 0), identity, true, 0, double.NaN, double.NaN, volume);
    }

    /// <summary>
    /// Symmetric surface distances (µm) between two closed surfaces: (mean of the two directed vertex-to-surface
    /// means, maximum over both directions = vertex Hausdorff distance).
    /// </summary>
    public static (double Mean, double Hausdorff) SurfaceDistances(TriangleMesh a, TriangleMesh b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return SurfaceDistances(a, new TriangleBvh(a), b);
    }

    private static (double Mean, double Hausdorff) SurfaceDistances(TriangleMesh a, TriangleBvh aTree, TriangleMesh b)
    {
        var bTree = new TriangleBvh(b);
        var (meanAb, maxAb) = Directed(a, bTree);
        var (meanBa, maxBa) = Directed(b, aTree);
        return ((meanAb + meanBa) / 2, Math.Max(maxAb, maxBa));
    }

    private static (double Mean, double Max) Directed(TriangleMesh from, TriangleBvh to)
    {
        var p = from.Vertices;
        int n = from.VertexCount;
        var dist = new double[n];
        Parallel.For(0, n, i => dist[i] = to.Distance(p[3 * i], p[3 * i + 1], p[3 * i + 2]));
        double sum = 0, max = 0;
        for (int i = 0; i < n; i++) { sum += dist[i]; if (dist[i] > max) max = dist[i]; }
        return (sum / n, max);
    }

    private static void Validate(int lmax, int samplingFactor)
    {
        if (lmax < 0 || lmax > 64) throw new ArgumentOutOfRangeException(nameof(lmax), "0 … 64");
        if (samplingFactor < 1 || samplingFactor > 8) throw new ArgumentOutOfRangeException(nameof(samplingFactor), "1 … 8");
    }

    /// <summary>
    /// Samples r on the grid. <paramref name="cast"/> gets a world direction (unit) and a scratch list and returns
    /// (radius, whether the ray is simple: starts inside and is not folded).
    /// </summary>
    private static (double[] Radii, double[] Weights, double[] AlignedDirections, int MultiCrossing) SampleRadii(
        int lmax, int samplingFactor, double[] rot, Func<double, double, double, List<double>, (double Radius, bool Simple)> cast)
    {
        int nTheta = samplingFactor * (lmax + 1), nPhi = 2 * nTheta;
        var (nodes, glWeights) = GaussLegendre.Rule(nTheta);
        int n = nTheta * nPhi;
        var radii = new double[n];
        var weights = new double[n];
        var dirs = new double[3 * n];
        var simple = new bool[n];
        for (int i = 0; i < nTheta; i++)
        {
            double ct = nodes[i], st = Math.Sqrt(Math.Max(0, 1 - ct * ct));
            for (int j = 0; j < nPhi; j++)
            {
                int k = i * nPhi + j;
                double phi = 2 * Math.PI * (j + 0.5) / nPhi;
                dirs[3 * k] = st * Math.Cos(phi); dirs[3 * k + 1] = st * Math.Sin(phi); dirs[3 * k + 2] = ct;
                weights[k] = glWeights[i] * 2 * Math.PI / nPhi;
            }
        }
        Parallel.For(0, n, () => new List<double>(), (k, _, scratch) =>
        {
            double ax = dirs[3 * k], ay = dirs[3 * k + 1], az = dirs[3 * k + 2];
            double wx = rot[0] * ax + rot[1] * ay + rot[2] * az;
            double wy = rot[3] * ax + rot[4] * ay + rot[5] * az;
            double wz = rot[6] * ax + rot[7] * ay + rot[8] * az;
            var (r, c) = cast(wx, wy, wz, scratch);
            radii[k] = r; simple[k] = c;
            return scratch;
        }, _ => { });
        int multi = 0;
        foreach (var c in simple) if (!c) multi++;
        return (radii, weights, dirs, multi);
    }

    private static double[] Project(int lmax, double[] radii, double[] weights, double[] dirs)
    {
        int count = RealSphericalHarmonics.Count(lmax);
        var c = new double[count];
        var basis = new double[count];
        for (int k = 0; k < radii.Length; k++)
        {
            RealSphericalHarmonics.Evaluate(lmax, dirs[3 * k], dirs[3 * k + 1], dirs[3 * k + 2], basis);
            double wr = weights[k] * radii[k];
            for (int q = 0; q < count; q++) c[q] += wr * basis[q];
        }
        return c;
    }

    /// <summary>Farthest and nearest crossing and the number of distinct crossings (ray parameters closer than tol merged).</summary>
    private static (double Radius, double First, int Distinct) Crossings(List<double> hits, double tol)
    {
        if (hits.Count == 0) return (0, 0, 0);
        hits.Sort();
        int distinct = 1;
        for (int i = 1; i < hits.Count; i++) if (hits[i] - hits[i - 1] > tol) distinct++;
        return (hits[^1], hits[0], distinct);
    }

    /// <summary>Rotation (row-major, columns major/mid/minor) with the skewness sign convention.</summary>
    private static double[] AlignedFrame(ShapeDescriptors d, Func<double[], double> thirdMoment)
    {
        double[] e1 = [d.MajorDirection.X, d.MajorDirection.Y, d.MajorDirection.Z];
        double[] e2 = [d.MidDirection.X, d.MidDirection.Y, d.MidDirection.Z];
        double scale = Math.Pow(d.EquivalentDiameterUm, 6);   // ~ V · length³
        foreach (var e in new[] { e1, e2 })
        {
            double m3 = thirdMoment(e);
            if (m3 < -1e-9 * scale) { e[0] = -e[0]; e[1] = -e[1]; e[2] = -e[2]; }
        }
        double[] e3 = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
        return [e1[0], e2[0], e3[0], e1[1], e2[1], e3[1], e1[2], e2[2], e3[2]];
    }

    /// <summary>∫ (e·(x − c))³ dV over the polyhedron (signed by orientation), from tetrahedra to the centroid.</summary>
    private static double MeshThirdMoment(TriangleMesh mesh, (double X, double Y, double Z) c, double[] e)
    {
        var p = mesh.Vertices;
        var t = mesh.Triangles;
        double sum = 0;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = 3 * t[i], b = 3 * t[i + 1], q = 3 * t[i + 2];
            double ax = p[a] - c.X, ay = p[a + 1] - c.Y, az = p[a + 2] - c.Z;
            double bx = p[b] - c.X, by = p[b + 1] - c.Y, bz = p[b + 2] - c.Z;
            double cx = p[q] - c.X, cy = p[q + 1] - c.Y, cz = p[q + 2] - c.Z;
            double det = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
            double ya = e[0] * ax + e[1] * ay + e[2] * az, yb = e[0] * bx + e[1] * by + e[2] * bz, yc = e[0] * cx + e[1] * cy + e[2] * cz;
            // ∫_tet (e·x)³ dV = vol/20 · h₃(0, ya, yb, yc), h₃ the complete homogeneous symmetric polynomial.
            double h3 = ya * ya * ya + yb * yb * yb + yc * yc * yc
                      + ya * ya * (yb + yc) + yb * yb * (ya + yc) + yc * yc * (ya + yb) + ya * yb * yc;
            sum += det / 6.0 / 20.0 * h3;
        }
        return sum;
    }

    private static double MaskThirdMoment(Volume<byte> mask, (double X, double Y, double Z) c, double[] e)
    {
        var s = mask.Spacing; var o = mask.Origin;
        double sum = 0;
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
            {
                int row = (z * mask.NY + y) * mask.NX;
                double pz = o.Z + z * s.Z - c.Z, py = o.Y + y * s.Y - c.Y;
                double partial = e[1] * py + e[2] * pz;
                for (int x = 0; x < mask.NX; x++)
                {
                    if (mask.Data[row + x] == 0) continue;
                    double u = e[0] * (o.X + x * s.X - c.X) + partial;
                    sum += u * u * u;
                }
            }
        return sum * s.VoxelVolume;
    }

    /// <summary>
    /// Traces a ray from the centroid through the voxel boxes (Amanatides–Woo). Returns the farthest and the first exit
    /// distance (µm) and whether the centroid's voxel is foreground.
    /// </summary>
    private static (double Radius, double FirstExit, bool StartedInside) MarchMask(Volume<byte> mask, (double X, double Y, double Z) c,
        double dx, double dy, double dz)
    {
        var s = mask.Spacing; var o = mask.Origin;
        // Continuous index coordinates g with voxel i spanning [i, i + 1).
        double[] g = [(c.X - o.X) / s.X + 0.5, (c.Y - o.Y) / s.Y + 0.5, (c.Z - o.Z) / s.Z + 0.5];
        double[] dg = [dx / s.X, dy / s.Y, dz / s.Z];
        int[] size = [mask.NX, mask.NY, mask.NZ];
        int[] cell = new int[3], step = new int[3];
        double[] tMax = new double[3], tDelta = new double[3];
        for (int k = 0; k < 3; k++)
        {
            cell[k] = (int)Math.Floor(g[k]);
            if (dg[k] > 0) { step[k] = 1; tMax[k] = (cell[k] + 1 - g[k]) / dg[k]; tDelta[k] = 1 / dg[k]; }
            else if (dg[k] < 0) { step[k] = -1; tMax[k] = (g[k] - cell[k]) / -dg[k]; tDelta[k] = -1 / dg[k]; }
            else { step[k] = 0; tMax[k] = double.PositiveInfinity; tDelta[k] = double.PositiveInfinity; }
        }
        bool Inside() => (uint)cell[0] < (uint)size[0] && (uint)cell[1] < (uint)size[1] && (uint)cell[2] < (uint)size[2]
                         && mask.Data[(cell[2] * size[1] + cell[1]) * size[0] + cell[0]] != 0;
        bool inside = Inside();
        bool startedInside = inside;
        double first = double.NaN, last = 0;
        while (true)
        {
            int k = tMax[0] < tMax[1] ? (tMax[0] < tMax[2] ? 0 : 2) : (tMax[1] < tMax[2] ? 1 : 2);
            double t = tMax[k];
            cell[k] += step[k];
            tMax[k] += tDelta[k];
            bool beyond = step[k] > 0 ? cell[k] >= size[k] : cell[k] < 0;
            bool now = !beyond && Inside();
            if (inside && !now) { if (double.IsNaN(first)) first = t; last = t; }
            inside = now;
            if (beyond) break;
        }
        return (last, double.IsNaN(first) ? 0 : first, startedInside);
    }

    /// <summary>The exposed faces of the foreground voxel boxes as triangles (µm, outward), for distance measurement.</summary>
    private static TriangleMesh VoxelSurface(Volume<byte> mask)
    {
        var s = mask.Spacing; var o = mask.Origin;
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        var v = new List<double>();
        var t = new List<int>();
        bool Fg(int z, int y, int x) => mask.Contains(z, y, x) && mask[z, y, x] != 0;
        void Quad(double[] p0, double[] p1, double[] p2, double[] p3)
        {
            int b = v.Count / 3;
            foreach (var p in new[] { p0, p1, p2, p3 }) v.AddRange(p);
            t.AddRange([b, b + 1, b + 2, b, b + 2, b + 3]);
        }
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    if (mask[z, y, x] == 0) continue;
                    double x0 = o.X + (x - 0.5) * s.X, x1 = x0 + s.X, y0 = o.Y + (y - 0.5) * s.Y, y1 = y0 + s.Y, z0 = o.Z + (z - 0.5) * s.Z, z1 = z0 + s.Z;
                    if (!Fg(z, y, x - 1)) Quad([x0, y0, z0], [x0, y0, z1], [x0, y1, z1], [x0, y1, z0]);
                    if (!Fg(z, y, x + 1)) Quad([x1, y0, z0], [x1, y1, z0], [x1, y1, z1], [x1, y0, z1]);
                    if (!Fg(z, y - 1, x)) Quad([x0, y0, z0], [x1, y0, z0], [x1, y0, z1], [x0, y0, z1]);
                    if (!Fg(z, y + 1, x)) Quad([x0, y1, z0], [x0, y1, z1], [x1, y1, z1], [x1, y1, z0]);
                    if (!Fg(z - 1, y, x)) Quad([x0, y0, z0], [x0, y1, z0], [x1, y1, z0], [x1, y0, z0]);
                    if (!Fg(z + 1, y, x)) Quad([x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]);
                }
        return new TriangleMesh(v.ToArray(), t.ToArray());
    }
}
