using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class IsoSurfaceTests
{
    private static void AssertClosedManifold(TriangleMesh m, string what = "")
    {
        var e = TestGeometry.FastTopology(m);
        Assert.True(m.TriangleCount > 0, what);
        Assert.True(e.Boundary == 0 && e.NonManifold == 0 && e.Misoriented == 0,
            $"{what}: boundary {e.Boundary}, non-manifold {e.NonManifold}, misoriented {e.Misoriented}");
    }

    [Fact]
    public void TableHasOneLoopPolygonPerCutEdgeCycleAndComplementaryCasesMirror()
    {
        Assert.Equal(0, MarchingCubesTable.TriangleCount(0));
        Assert.Equal(0, MarchingCubesTable.TriangleCount(255));
        for (int c = 0; c < 8; c++) Assert.Equal(1, MarchingCubesTable.TriangleCount(1 << c));
        int maxTriangles = 0;
        for (int c = 0; c < 256; c++)
        {
            var t = MarchingCubesTable.TrianglesOf(c);
            // Every cut edge appears, and no triangle repeats an edge vertex.
            var used = new HashSet<int>();
            for (int q = 0; q < t.Length; q += 3)
            {
                Assert.True(t[q] != t[q + 1] && t[q + 1] != t[q + 2] && t[q] != t[q + 2]);
                used.Add(t[q]); used.Add(t[q + 1]); used.Add(t[q + 2]);
            }
            int cut = 0;
            foreach (var (a, b) in MarchingCubesTable.Edges) if (((c >> a) & 1) != ((c >> b) & 1)) cut++;
            Assert.Equal(cut, used.Count);
            maxTriangles = Math.Max(maxTriangles, t.Length / 3);
        }
        Assert.True(maxTriangles <= 12);
        // Two separated corners (case 4 of the classic numbering, corners 0 and 7) give two single triangles.
        Assert.Equal(2, MarchingCubesTable.TriangleCount(1 | 128));
        // Four corners of one face: one quad, two triangles.
        Assert.Equal(2, MarchingCubesTable.TriangleCount(0x0F));
    }

    [Fact]
    public void EveryCaseAloneInAPaddedGridIsClosedManifoldAndOutward()
    {
        // Each of the 254 non-trivial cases surrounded by outside values: the cube's own surface plus its neighbours'.
        for (int c = 1; c < 255; c++)
        {
            var f = new Volume<double>(4, 4, 4, Spacing.Isotropic(1));
            for (int k = 0; k < 8; k++)
                if (((c >> k) & 1) != 0) f[1 + (k >> 2), 1 + ((k >> 1) & 1), 1 + (k & 1)] = 1;
            var mesh = IsoSurface.Extract(f, 0.5);
            AssertClosedManifold(mesh, $"case {c}");
            foreach (var comp in TestGeometry.Components(mesh)) Assert.True(comp.SignedVolume() > 0, $"case {c}");
        }
    }

    [Fact]
    public void RandomFieldsAreClosedEdgeManifoldAndConsistentlyOriented()
    {
        for (int seed = 0; seed < 12; seed++)
        {
            var rng = Seeds.Rng(Seeds.Child(20261125, $"iso-random-{seed}"));
            int nz = 6 + rng.Next(10), ny = 6 + rng.Next(10), nx = 60 + rng.Next(80); // rows spanning several words
            var f = new Volume<float>(nz, ny, nx, new Spacing(0.5 + rng.NextDouble(), 0.5 + rng.NextDouble(), 0.5 + rng.NextDouble()));
            for (int z = 1; z < nz - 1; z++)
                for (int y = 1; y < ny - 1; y++)
                    for (int x = 1; x < nx - 1; x++)
                        f[z, y, x] = (float)rng.NextDouble();
            var mesh = IsoSurface.Extract(f, 0.5);
            AssertClosedManifold(mesh, $"seed {seed}");
            // Every vertex is used, and outer boundaries minus cavities enclose positive volume.
            var used = new bool[mesh.VertexCount];
            foreach (var t in mesh.Triangles) used[t] = true;
            Assert.All(used, Assert.True);
            Assert.True(mesh.SignedVolume() > 0);
        }
    }

    private static Volume<double> Field(int nz, int ny, int nx, Spacing s, (double Z, double Y, double X) origin, Func<double, double, double, double> f)
    {
        var v = new Volume<double>(nz, ny, nx, s, null, origin);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    v[z, y, x] = f(origin.X + x * s.X, origin.Y + y * s.Y, origin.Z + z * s.Z);
        return v;
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0)]
    [InlineData(0.5, 1.0, 2.0)]
    [InlineData(1.5, 0.6, 0.9)]
    public void SphereFieldGivesAnalyticVolumeAreaAndGenusZero(double sz, double sy, double sx)
    {
        // f = R − |p − c| in µm; the level set 0 is the sphere of radius R around c = (3, −2, 5) µm.
        double R = 12;
        (double X, double Y, double Z) c = (3, -2, 5);
        int N(double s) => (int)Math.Ceiling(2 * R / s) + 6;
        var origin = (c.Z - 0.5 * (N(sz) - 1) * sz, c.Y - 0.5 * (N(sy) - 1) * sy, c.X - 0.5 * (N(sx) - 1) * sx);
        var f = Field(N(sz), N(sy), N(sx), new Spacing(sz, sy, sx), origin,
            (x, y, z) => R - Math.Sqrt((x - c.X) * (x - c.X) + (y - c.Y) * (y - c.Y) + (z - c.Z) * (z - c.Z)));
        var mesh = IsoSurface.Extract(f, 0);
        AssertClosedManifold(mesh);
        Assert.Equal(2, TestGeometry.FastEuler(mesh));
        // Every vertex lies on a lattice edge at the interpolated crossing: within a small fraction of the spacing of
        // the sphere (the distance field is linear along edges up to curvature terms of order h²/R).
        double h = Math.Max(sz, Math.Max(sy, sx));
        var v = mesh.Vertices;
        for (int i = 0; i < v.Length; i += 3)
        {
            double r = Math.Sqrt((v[i] - c.X) * (v[i] - c.X) + (v[i + 1] - c.Y) * (v[i + 1] - c.Y) + (v[i + 2] - c.Z) * (v[i + 2] - c.Z));
            Assert.True(Math.Abs(r - R) < h * h / R, $"vertex at radius {r}");
        }
        // Inscribed polyhedron: slightly less volume and area than the sphere, error O(h²/R²).
        double vExact = 4.0 / 3 * Math.PI * R * R * R, aExact = 4 * Math.PI * R * R;
        Assert.InRange(mesh.SignedVolume() / vExact, 1 - 2 * h * h / (R * R), 1.0);
        Assert.InRange(mesh.Area() / aExact, 1 - 2 * h * h / (R * R), 1.005);
        var (cx, cy, cz) = mesh.VolumeCentroid();
        Assert.Equal(c.X, cx, 0.02 * h);
        Assert.Equal(c.Y, cy, 0.02 * h);
        Assert.Equal(c.Z, cz, 0.02 * h);
    }

    [Fact]
    public void EllipsoidFieldGivesAnalyticVolumeAndArea()
    {
        // Implicit ellipsoid g = 1 − (x/a)² − (y/b)² − (z/c)² on a float field with anisotropic spacing.
        double a = 14, b = 9, cAxis = 6;
        var s = new Spacing(0.4, 0.5, 0.7);
        int nz = (int)(2 * cAxis / s.Z) + 6, ny = (int)(2 * b / s.Y) + 6, nx = (int)(2 * a / s.X) + 6;
        var origin = (-0.5 * (nz - 1) * s.Z, -0.5 * (ny - 1) * s.Y, -0.5 * (nx - 1) * s.X);
        var g = Field(nz, ny, nx, s, origin, (x, y, z) => 1 - x * x / (a * a) - y * y / (b * b) - z * z / (cAxis * cAxis));
        var fl = new Volume<float>(nz, ny, nx, s, Array.ConvertAll(g.Data, d => (float)d), origin);
        var mesh = IsoSurface.Extract(fl, 0);
        AssertClosedManifold(mesh);
        Assert.Equal(2, TestGeometry.FastEuler(mesh));
        double vExact = 4.0 / 3 * Math.PI * a * b * cAxis;
        // Knud Thomsen's approximation of the ellipsoid area (relative error ≤ 1.061 %).
        double p = 1.6075;
        double aExact = 4 * Math.PI * Math.Pow((Math.Pow(a * b, p) + Math.Pow(a * cAxis, p) + Math.Pow(b * cAxis, p)) / 3, 1 / p);
        Assert.InRange(mesh.SignedVolume() / vExact, 0.995, 1.002);
        Assert.InRange(mesh.Area() / aExact, 0.985, 1.015);
    }

    [Fact]
    public void TorusFieldHasEulerCharacteristicZero()
    {
        double Rmaj = 10, rmin = 3.5;
        var f = Field(14, 32, 32, Spacing.Isotropic(1), (-6.5, -15.5, -15.5), (x, y, z) =>
        {
            double q = Math.Sqrt(x * x + y * y) - Rmaj;
            return rmin - Math.Sqrt(q * q + z * z);
        });
        var mesh = IsoSurface.Extract(f, 0);
        AssertClosedManifold(mesh);
        Assert.Equal(0, TestGeometry.FastEuler(mesh));
        Assert.InRange(mesh.SignedVolume() / (2 * Math.PI * Math.PI * Rmaj * rmin * rmin), 0.97, 1.0);
    }

    /// <summary>The field of tests/Physics.Tests/Surface/skimage_reference.py.</summary>
    private static Volume<double> ReferenceField()
    {
        (double Z, double Y, double X, double S)[] blobs = [(12, 20, 18, 6), (26, 27, 36, 7.5), (20, 14, 40, 4), (30, 36, 14, 5)];
        var f = new Volume<double>(40, 48, 56, Spacing.Isotropic(1));
        for (int z = 0; z < 40; z++)
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 56; x++)
                {
                    double sum = 0;
                    foreach (var (bz, by, bx, s) in blobs)
                        sum += Math.Exp(-((z - bz) * (z - bz) + (y - by) * (y - by) + (x - bx) * (x - bx)) / (2 * s * s));
                    f[z, y, x] = sum;
                }
        return f;
    }

    [Theory]
    // Counts, area and |volume| printed by skimage_reference.py (scikit-image 0.19.3, marching_cubes, Lewiner).
    [InlineData(0.3, 11840, 5922, 3965.74951171875, 14460.911458333334)]
    [InlineData(0.5, 7228, 3620, 2429.254638671875, 6411.545572916667)]
    [InlineData(0.8, 2660, 1338, 870.7413330078125, 1231.8216145833333)]
    public void TriangleCountAreaAndVolumeMatchScikitImage(double level, int triangles, int vertices, double area, double volume)
    {
        var mesh = IsoSurface.Extract(ReferenceField(), level);
        AssertClosedManifold(mesh);
        Assert.InRange(mesh.TriangleCount, (int)(0.99 * triangles), (int)Math.Ceiling(1.01 * triangles));
        Assert.InRange(mesh.VertexCount, (int)(0.99 * vertices), (int)Math.Ceiling(1.01 * vertices));
        // skimage computes positions in float32; same vertices up to that rounding.
        Assert.Equal(1.0, mesh.Area() / area, 1e-3);
        Assert.Equal(1.0, mesh.SignedVolume() / volume, 1e-3);
    }

    [Fact]
    public void DegenerateInputsGiveEmptyMeshes()
    {
        Assert.Equal(0, IsoSurface.Extract(new Volume<float>(1, 5, 5, Spacing.Isotropic(1)), 0.5).TriangleCount);
        Assert.Equal(0, IsoSurface.Extract(new Volume<float>(5, 5, 5, Spacing.Isotropic(1)), 0.5).TriangleCount);
        var full = new Volume<float>(3, 3, 3, Spacing.Isotropic(1), Enumerable.Repeat(1f, 27).ToArray());
        Assert.Equal(0, IsoSurface.Extract(full, 0.5).TriangleCount);
        Assert.Throws<ArgumentException>(() => IsoSurface.Extract(full, double.NaN));
    }

    [Fact]
    public void SurfaceReachingTheGridBoundaryIsOpenThere()
    {
        // A half space x > 2.5 cut by the grid: an open square sheet, oriented towards −x.
        var f = Field(5, 6, 7, Spacing.Isotropic(1), (0, 0, 0), (x, y, z) => x - 2.5);
        var mesh = IsoSurface.Extract(f, 0);
        Assert.Equal(2 * 4 * 5, mesh.TriangleCount);
        var e = TestGeometry.FastTopology(mesh);
        Assert.Equal(2 * (4 + 5), e.Boundary);
        Assert.Equal(0, e.NonManifold + e.Misoriented);
        var v = mesh.Vertices;
        var t = mesh.Triangles;
        for (int q = 0; q < t.Length; q += 3)
        {
            int i = 3 * t[q], j = 3 * t[q + 1], k = 3 * t[q + 2];
            double nx = (v[j + 1] - v[i + 1]) * (v[k + 2] - v[i + 2]) - (v[j + 2] - v[i + 2]) * (v[k + 1] - v[i + 1]);
            Assert.True(nx < 0); // from high values (x > 2.5) to low values
        }
    }
}
