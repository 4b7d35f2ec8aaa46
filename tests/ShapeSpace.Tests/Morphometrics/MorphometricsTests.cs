using System.Globalization;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.ShapeSpace.Tests;

/// <summary>Convex hull, solidity, genus, cross-sections and spine measurements.</summary>
public class MorphometricsTests(ITestOutputHelper output)
{
    private static TriangleMesh Spine(int i) => Obj.Read(RepoPaths.Data("microns-spines", $"spine_{i:00}.obj"));

    private static void Near(double expected, double actual, double relTol, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relTol * Math.Abs(expected), $"{what}: expected {expected}, got {actual}");

    [Fact]
    public void ConvexHull_OfCubeWithInteriorAndFacePoints_IsTheCube()
    {
        var rng = new Random(7);
        var pts = new List<double>();
        for (int c = 0; c < 8; c++) pts.AddRange([2.0 * (c & 1), 3.0 * ((c >> 1) & 1), 1.5 * (c >> 2)]);
        for (int i = 0; i < 500; i++) pts.AddRange([2 * rng.NextDouble(), 3 * rng.NextDouble(), 1.5 * rng.NextDouble()]);
        for (int i = 0; i < 100; i++) pts.AddRange([2 * rng.NextDouble(), 0, 1.5 * rng.NextDouble()]);   // coplanar with a face
        var hull = ConvexHull.Compute(pts.ToArray());
        Assert.True(hull.IsWatertight());
        AssertContains(hull, pts.ToArray(), 1e-12);
        Near(9.0, hull.SignedVolume(), 1e-12, "volume");
        Near(2 * (2 * 3 + 2 * 1.5 + 3 * 1.5), hull.Area(), 1e-12, "area");
        Assert.Equal(2, SurfaceTopology.Components(hull)[0].EulerCharacteristic);
    }

    [Fact]
    public void ConvexHull_OfPointsOnASphere_ContainsThemAndApproachesTheBall()
    {
        var rng = new Random(11);
        var pts = new double[3 * 3000];
        for (int i = 0; i < 3000; i++)
        {
            double z = 2 * rng.NextDouble() - 1, phi = 2 * Math.PI * rng.NextDouble(), s = Math.Sqrt(1 - z * z);
            pts[3 * i] = 5 + 2 * s * Math.Cos(phi); pts[3 * i + 1] = -1 + 2 * s * Math.Sin(phi); pts[3 * i + 2] = 2 * z;
        }
        var hull = ConvexHull.Compute(pts);
        Assert.True(hull.IsWatertight());
        Assert.Equal(0, SurfaceTopology.Genus(hull));
        AssertContains(hull, pts, 1e-9);
        double ball = 4.0 / 3.0 * Math.PI * 8;
        Assert.InRange(hull.SignedVolume(), 0.98 * ball, ball);
        Assert.True(hull.VertexCount > 2900, $"{hull.VertexCount} hull vertices of 3000 points on a sphere");
    }

    [Fact]
    public void ConvexHull_MatchesScipyOnRealSpines()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "ShapeSpace.Tests", "reference", "sh_convex_hull.json")));
        foreach (var row in json.RootElement.GetProperty("spines").EnumerateArray())
        {
            int i = row.GetProperty("spine").GetInt32();
            var mesh = Spine(i);
            var hull = ConvexHull.Compute(mesh);
            Assert.True(hull.IsWatertight(), $"spine {i} hull not watertight");
            Near(row.GetProperty("hull_volume_um3").GetDouble(), hull.SignedVolume(), 1e-9, $"spine {i} hull volume");
            Near(row.GetProperty("hull_area_um2").GetDouble(), hull.Area(), 1e-9, $"spine {i} hull area");
            // Qhull merges nearly coplanar facets and may drop a vertex lying on a facet to rounding; allow two.
            Assert.InRange(hull.VertexCount - row.GetProperty("hull_vertices").GetInt32(), -2, 2);
            AssertContains(hull, mesh.Vertices, 1e-9);
            var m = Morphometrics.FromMesh(mesh);
            Near(row.GetProperty("mesh_volume_um3").GetDouble() / row.GetProperty("hull_volume_um3").GetDouble(), m.Solidity, 1e-9, $"spine {i} solidity");
            Assert.Equal(0, m.Genus);
            Assert.Equal(1, m.ComponentCount);
        }
    }

    /// <summary>Every point lies inside or on the hull: on the inner side of every face plane within tol (µm).</summary>
    private static void AssertContains(TriangleMesh hull, double[] points, double tol)
    {
        var v = hull.Vertices;
        var t = hull.Triangles;
        for (int f = 0; f < t.Length; f += 3)
        {
            int a = 3 * t[f], b = 3 * t[f + 1], c = 3 * t[f + 2];
            double ux = v[b] - v[a], uy = v[b + 1] - v[a + 1], uz = v[b + 2] - v[a + 2];
            double wx = v[c] - v[a], wy = v[c + 1] - v[a + 1], wz = v[c + 2] - v[a + 2];
            double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
            double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            if (len == 0) continue;
            for (int i = 0; i < points.Length; i += 3)
            {
                double d = (nx * (points[i] - v[a]) + ny * (points[i + 1] - v[a + 1]) + nz * (points[i + 2] - v[a + 2])) / len;
                Assert.True(d <= tol, $"point {i / 3} is {d} µm outside hull face {f / 3}");
            }
        }
    }

    [Fact]
    public void Solidity_IsOneForConvexAndInvariantToRigidMotion()
    {
        var ellipsoid = TestShapes.EllipsoidMesh(3, 2, 1, 4);
        Near(1.0, Morphometrics.FromMesh(ellipsoid).Solidity, 1e-12, "convex solidity");
        var spine = Spine(13);
        var r = TestShapes.Rotation(0.5, -1.2, 2.0);
        var moved = spine.Transformed((x, y, z) => (r[0] * x + r[1] * y + r[2] * z + 3, r[3] * x + r[4] * y + r[5] * z, r[6] * x + r[7] * y + r[8] * z - 7));
        var a = Morphometrics.FromMesh(spine);
        var b = Morphometrics.FromMesh(moved);
        Near(a.ConvexHullVolumeUm3, b.ConvexHullVolumeUm3, 1e-9, "hull volume");
        Near(a.Solidity, b.Solidity, 1e-9, "solidity");
        Assert.InRange(a.Solidity, 0.05, 1.0);
    }

    [Fact]
    public void Genus_FromEulerCharacteristic()
    {
        var sphere = Icosphere.Create(2);
        Assert.Equal(0, SurfaceTopology.Genus(sphere));
        // Two disjoint spheres: two components, genus 0 each, χ = 4.
        var two = TwoCopies(sphere, 5);
        var components = SurfaceTopology.Components(two);
        Assert.Equal(2, components.Count);
        Assert.All(components, c => Assert.Equal((2, 0, 0), (c.EulerCharacteristic, c.Genus, c.BoundaryLoops)));
        // A torus, and a voxel plate with two holes (genus 2).
        Assert.Equal(1, SurfaceTopology.Genus(Torus(3, 1, 32, 16)));
        var plate = new Volume<byte>(3, 8, 14, Spacing.Isotropic(0.5));
        for (int z = 0; z < 3; z++)
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 14; x++)
                    if (!(y >= 3 && y <= 4 && ((x >= 3 && x <= 4) || (x >= 9 && x <= 10)))) plate[z, y, x] = 1;
        var plateSurface = VoxelBoundary(plate);
        Assert.True(plateSurface.IsWatertight());
        Assert.Equal(-2, plateSurface.EulerCharacteristic());
        var m = Morphometrics.FromMask(plate, plateSurface);
        Assert.Equal(2, m.Genus);
        // Mask hull = the plate's bounding box (0.5 µm voxels): 1.5 × 4 × 7 µm³.
        Near(1.5 * 4 * 7, m.ConvexHullVolumeUm3, 1e-12, "plate hull");
        Near((3 * 8 * 14 - 3 * 8) * 0.125 / 42.0, m.Solidity, 1e-12, "plate solidity");
        // An open surface: one triangle removed from the sphere leaves one boundary loop, genus still 0.
        var open = new TriangleMesh(sphere.Vertices, sphere.Triangles[3..]);
        var oc = SurfaceTopology.Components(open)[0];
        Assert.Equal((1, 0, 1), (oc.BoundaryLoops, oc.Genus, oc.EulerCharacteristic));
    }

    [Fact]
    public void MaskHull_ScalesWithSpacing()
    {
        var mask = TestShapes.EllipsoidMask(20, 24, 30, Spacing.Isotropic(1), (14, 11, 9), (12, 9, 7), TestShapes.Rotation(0.2, 0.4, 0.1));
        var a = Morphometrics.FromMask(mask, null);
        var b = Morphometrics.FromMask(new Volume<byte>(20, 24, 30, new Spacing(0.5, 0.25, 0.1), mask.Data), null);
        Near(a.ConvexHullVolumeUm3 * 0.5 * 0.25 * 0.1, b.ConvexHullVolumeUm3, 1e-12, "hull volume scaling");
        Near(a.Solidity, b.Solidity, 1e-12, "solidity");
        Assert.InRange(a.Solidity, 0.85, 1.0);
        Assert.Null(a.Genus);
    }

    [Fact]
    public void CrossSections_OfASphere_MatchTheCircleAndCapFormulas()
    {
        const double r = 2.0;
        var sphere = Icosphere.Create(6).Transformed((x, y, z) => (1 + r * x, 2 + r * y, 3 + r * z));
        var axis = (0.48, 0.6, 0.64);   // unit
        double c = 0.48 * 1 + 0.6 * 2 + 0.64 * 3;
        var (areas, centroids) = CrossSections.Profile(sphere, axis, [c - 1.2, c, c + 0.5]);
        Near(Math.PI * (r * r - 1.44), areas[0], 2e-3, "section at −1.2");
        Near(Math.PI * r * r, areas[1], 2e-3, "equator");
        Near(Math.PI * (r * r - 0.25), areas[2], 2e-3, "section at +0.5");
        Assert.True(Math.Abs(centroids[3] - 1) < 1e-3 && Math.Abs(centroids[4] - 2) < 1e-3 && Math.Abs(centroids[5] - 3) < 1e-3);
        double h = r - 0.5;   // cap beyond +0.5
        Near(Math.PI * h * h * (3 * r - h) / 3, CrossSections.VolumeBeyond(sphere, axis, c + 0.5), 2e-3, "cap volume");
        Near(sphere.SignedVolume(), CrossSections.VolumeBeyond(sphere, axis, c - 10), 1e-12, "whole solid");
    }

    /// <summary>
    /// Mushroom spine as a surface of revolution about +z: flat base disc at z = 0, neck cylinder of radius rn up to
    /// z = zj, spherical head of radius rh centred at zj + √(rh² − rn²).
    /// </summary>
    private static TriangleMesh Mushroom(double rn, double zj, double rh, int around = 128)
    {
        var profile = new List<(double Z, double Rho)> { (0, 0) };
        for (int i = 0; i <= 60; i++) profile.Add((zj * i / 60, rn));
        double zc = zj + Math.Sqrt(rh * rh - rn * rn), psi0 = Math.Asin(rn / rh);
        for (int i = 1; i <= 120; i++)
        {
            double psi = psi0 + (Math.PI - psi0) * i / 120;
            profile.Add((zc - rh * Math.Cos(psi), i == 120 ? 0 : rh * Math.Sin(psi)));
        }
        return Revolve(profile, around);
    }

    private static TriangleMesh Revolve(List<(double Z, double Rho)> profile, int around)
    {
        // profile[0] and profile[^1] are poles (ρ = 0); the rest are rings.
        var v = new List<double> { 0, 0, profile[0].Z };
        int rings = profile.Count - 2;
        for (int i = 1; i <= rings; i++)
            for (int j = 0; j < around; j++)
            {
                double phi = 2 * Math.PI * j / around;
                v.AddRange([profile[i].Rho * Math.Cos(phi), profile[i].Rho * Math.Sin(phi), profile[i].Z]);
            }
        int top = v.Count / 3;
        v.AddRange([0, 0, profile[^1].Z]);
        var t = new List<int>();
        int Ring(int i, int j) => 1 + (i - 1) * around + (j % around);
        for (int j = 0; j < around; j++) t.AddRange([0, Ring(1, j + 1), Ring(1, j)]);
        for (int i = 1; i < rings; i++)
            for (int j = 0; j < around; j++)
                t.AddRange([Ring(i, j), Ring(i, j + 1), Ring(i + 1, j + 1), Ring(i, j), Ring(i + 1, j + 1), Ring(i + 1, j)]);
        for (int j = 0; j < around; j++) t.AddRange([top, Ring(rings, j), Ring(rings, j + 1)]);
        return new TriangleMesh(v.ToArray(), t.ToArray());
    }

    private static TriangleMesh Torus(double major, double minor, int nu, int nv)
    {
        var v = new List<double>();
        var t = new List<int>();
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                double u = 2 * Math.PI * i / nu, w = 2 * Math.PI * j / nv;
                v.AddRange([(major + minor * Math.Cos(w)) * Math.Cos(u), (major + minor * Math.Cos(w)) * Math.Sin(u), minor * Math.Sin(w)]);
            }
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                int a = i * nv + j, b = (i + 1) % nu * nv + j, c = (i + 1) % nu * nv + (j + 1) % nv, d = i * nv + (j + 1) % nv;
                t.AddRange([a, b, c, a, c, d]);
            }
        return new TriangleMesh(v.ToArray(), t.ToArray());
    }

    private static TriangleMesh TwoCopies(TriangleMesh m, double shift)
    {
        var v = m.Vertices.Concat(m.Vertices.Select((x, i) => i % 3 == 0 ? x + shift : x)).ToArray();
        var t = m.Triangles.Concat(m.Triangles.Select(i => i + m.VertexCount)).ToArray();
        return new TriangleMesh(v, t);
    }

    /// <summary>Exposed voxel faces with shared lattice-corner vertices (outward), µm.</summary>
    private static TriangleMesh VoxelBoundary(Volume<byte> mask)
    {
        var index = new Dictionary<(int, int, int), int>();
        var v = new List<double>();
        var t = new List<int>();
        int Corner(int z, int y, int x)
        {
            if (index.TryGetValue((z, y, x), out int i)) return i;
            i = index.Count; index[(z, y, x)] = i;
            v.AddRange([(x - 0.5) * mask.Spacing.X, (y - 0.5) * mask.Spacing.Y, (z - 0.5) * mask.Spacing.Z]);
            return i;
        }
        bool Fg(int z, int y, int x) => mask.Contains(z, y, x) && mask[z, y, x] != 0;
        void Quad(int a, int b, int c, int d) => t.AddRange([a, b, c, a, c, d]);
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
                for (int x = 0; x < mask.NX; x++)
                {
                    if (!Fg(z, y, x)) continue;
                    if (!Fg(z, y, x - 1)) Quad(Corner(z, y, x), Corner(z + 1, y, x), Corner(z + 1, y + 1, x), Corner(z, y + 1, x));
                    if (!Fg(z, y, x + 1)) Quad(Corner(z, y, x + 1), Corner(z, y + 1, x + 1), Corner(z + 1, y + 1, x + 1), Corner(z + 1, y, x + 1));
                    if (!Fg(z, y - 1, x)) Quad(Corner(z, y, x), Corner(z, y, x + 1), Corner(z + 1, y, x + 1), Corner(z + 1, y, x));
                    if (!Fg(z, y + 1, x)) Quad(Corner(z, y + 1, x), Corner(z + 1, y + 1, x), Corner(z + 1, y + 1, x + 1), Corner(z, y + 1, x + 1));
                    if (!Fg(z - 1, y, x)) Quad(Corner(z, y, x), Corner(z, y + 1, x), Corner(z, y + 1, x + 1), Corner(z, y, x + 1));
                    if (!Fg(z + 1, y, x)) Quad(Corner(z + 1, y, x), Corner(z + 1, y, x + 1), Corner(z + 1, y + 1, x + 1), Corner(z + 1, y + 1, x));
                }
        return new TriangleMesh(v.ToArray(), t.ToArray());
    }

    [Fact]
    public void SyntheticMushroom_RecoversHeadAndNeck()
    {
        const double rn = 0.1, zj = 0.8, rh = 0.3;
        var mesh = Mushroom(rn, zj, rh);
        Assert.True(mesh.IsWatertight());
        Assert.True(mesh.SignedVolume() > 0);
        double zc = zj + Math.Sqrt(rh * rh - rn * rn);
        double headVolume = 4.0 / 3.0 * Math.PI * rh * rh * rh;
        // Rotated and moved; the attachment point (base disc centre) moves with it.
        var r = TestShapes.Rotation(0.9, -0.4, 2.2);
        (double, double, double) Map(double x, double y, double z) => (r[0] * x + r[1] * y + r[2] * z + 4, r[3] * x + r[4] * y + r[5] * z - 1, r[6] * x + r[7] * y + r[8] * z + 2);
        var moved = mesh.Transformed(Map);
        foreach (var (m, label) in new[] { (SpineMorphometry.Measure(mesh, (0, 0, 0)), "axis-aligned"), (SpineMorphometry.Measure(moved, Map(0, 0, 0)), "moved") })
        {
            output.WriteLine(FormattableString.Invariant($"{label}: length {m.LengthUm:F4} (exact {zc + rh:F4}), head V {m.HeadVolumeUm3:F5} (sphere {headVolume:F5}), head d {m.HeadDiameterUm:F4}, neck L {m.NeckLengthUm:F4} (exact {zj}), neck d {m.NeckMinDiameterUm:F4}"));
            Assert.True(m.HasNeck);
            Near(zc + rh, m.LengthUm, 0.01, "length");
            Near(headVolume, m.HeadVolumeUm3, 0.02, "head volume");
            Near(2 * rh, m.HeadDiameterUm, 0.01, "head diameter");
            Near(zj, m.NeckLengthUm, 0.02, "neck length");
            Near(2 * rn, m.NeckMinDiameterUm, 0.01, "neck diameter");
        }
        // Without a base point the widest end is taken as the base: here the head, so the hint matters for mushrooms.
        var auto = SpineMorphometry.Measure(mesh);
        Assert.True(auto.Axis.Z < 0);
    }

    [Fact]
    public void MicronsSpineLength_CorrelatesWithSourceTable()
    {
        var lines = File.ReadAllLines(RepoPaths.Data("microns-spines", "spines_table.csv"));
        int col = Array.IndexOf(lines[0].Split(','), "spine_length");
        var truth = new double[24];
        var automatic = new double[24];
        var hinted = new double[24];
        for (int i = 0; i < 24; i++)
        {
            truth[i] = double.Parse(lines[i + 1].Split(',')[col], CultureInfo.InvariantCulture);
            var mesh = Spine(i);
            // The meshes sit in the source's spine frame: base (attachment) at the origin, spine along +y, so the
            // table's spine_length is the largest y. That frame is only used for the optional base-point hint.
            double maxY = double.MinValue;
            for (int k = 1; k < mesh.Vertices.Length; k += 3) maxY = Math.Max(maxY, mesh.Vertices[k]);
            Assert.True(Math.Abs(maxY - truth[i]) < 1e-5, $"spine {i}: max y {maxY} vs {truth[i]}");
            automatic[i] = SpineMorphometry.Measure(mesh).LengthUm;
            hinted[i] = SpineMorphometry.Measure(mesh, (0, 0, 0)).LengthUm;
            output.WriteLine(FormattableString.Invariant($"spine {i:00}: table {truth[i]:F3} µm, automatic {automatic[i]:F3} µm, with base point {hinted[i]:F3} µm"));
        }
        double r = MathNet.Numerics.Statistics.Correlation.Pearson(truth, automatic);
        double rh = MathNet.Numerics.Statistics.Correlation.Pearson(truth, hinted);
        output.WriteLine(FormattableString.Invariant($"Pearson r: automatic {r:F4}, with base point {rh:F4}"));
        Assert.True(r >= 0.9, $"r = {r}");
        Assert.True(rh >= 0.98, $"r (base point) = {rh}");
    }
}
