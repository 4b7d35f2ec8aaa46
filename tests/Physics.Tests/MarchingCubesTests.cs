using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class MarchingCubesTests
{
    private static void AssertClosedManifold(TriangleMesh m)
    {
        var e = TestGeometry.FastTopology(m);
        Assert.True(m.TriangleCount > 0);
        Assert.Equal(0, e.Boundary);
        Assert.Equal(0, e.NonManifold);
        Assert.Equal(0, e.Misoriented);
    }

    [Fact]
    public void FastTopologyAgreesWithCoreOnSmallMeshes()
    {
        var mask = TestGeometry.Mask(8, 8, 8, Spacing.Isotropic(1), (x, y, z) => x * x + y * y + z * z <= 9);
        var mesh = MarchingCubes.Extract(mask);
        Assert.True(mesh.IsWatertight());
        Assert.Equal(mesh.EdgeTopology(), TestGeometry.FastTopology(mesh));
        Assert.Equal(mesh.EulerCharacteristic(), TestGeometry.FastEuler(mesh));
        // An open, partly flipped mesh: both report the same defects.
        var open = new TriangleMesh(mesh.Vertices, mesh.Triangles[..^9].Concat(new[] { mesh.Triangles[^1], mesh.Triangles[^2], mesh.Triangles[^3] }).ToArray());
        Assert.Equal(open.EdgeTopology(), TestGeometry.FastTopology(open));
        Assert.False(open.IsWatertight());
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0)]
    [InlineData(0.5, 1.0, 2.0)]
    [InlineData(2.0, 0.7, 1.3)]
    public void SphereIsClosedWithSphereTopologyAndAnalyticVolumeAndArea(double sz, double sy, double sx)
    {
        // Radius 10 voxels along the coarsest axis (more along the finer ones); physical radius R in µm.
        double R = 10 * Math.Max(sz, Math.Max(sy, sx));
        int N(double s) => (int)Math.Ceiling(2 * R / s) + 4;
        var mask = TestGeometry.Mask(N(sz), N(sy), N(sx), new Spacing(sz, sy, sx), (x, y, z) => x * x + y * y + z * z <= R * R);
        var mesh = MarchingCubes.Extract(mask);
        AssertClosedManifold(mesh);
        Assert.Equal(2, TestGeometry.FastEuler(mesh));
        double vol = mesh.SignedVolume(), area = mesh.Area();
        double vExact = 4.0 / 3 * Math.PI * R * R * R, aExact = 4 * Math.PI * R * R;
        Assert.InRange(vol / vExact, 0.98, 1.02);
        Assert.InRange(area / aExact, 0.95, 1.05);
    }

    [Fact]
    public void VerticesAreInWorldCoordinatesAndCentredOnTheMaskCentroid()
    {
        var s = new Spacing(0.3, 0.2, 0.1);
        var mask = TestGeometry.Mask(30, 40, 60, s, (x, y, z) => (x / 2.0) * (x / 2.0) + (y / 1.5) * (y / 1.5) + (z / 2.5) * (z / 2.5) <= 1);
        var shifted = new Volume<byte>(mask.NZ, mask.NY, mask.NX, s, mask.Data, (5.0, -3.0, 11.0));
        var mesh = MarchingCubes.Extract(shifted);
        var (cx, cy, cz) = mesh.VolumeCentroid();
        // Voxel grid centre in world coordinates = origin + (n - 1)/2 · spacing.
        Assert.Equal(11.0 + 0.5 * 59 * 0.1, cx, 1e-9);
        Assert.Equal(-3.0 + 0.5 * 39 * 0.2, cy, 1e-9);
        Assert.Equal(5.0 + 0.5 * 29 * 0.3, cz, 1e-9);
        Assert.True(mesh.SignedVolume() > 0);
    }

    [Fact]
    public void SingleVoxelGivesClosedOctahedronLikeSurface()
    {
        var mask = new Volume<byte>(1, 1, 1, Spacing.Isotropic(1), [1]);
        var mesh = MarchingCubes.Extract(mask, 0);
        AssertClosedManifold(mesh);
        Assert.Equal(2, mesh.EulerCharacteristic());
        // Every vertex is a midpoint between the voxel centre and a lattice neighbour: at distance 0.5·|d| from the centre.
        var v = mesh.Vertices;
        for (int i = 0; i < v.Length; i += 3)
        {
            double r2 = 4 * (v[i] * v[i] + v[i + 1] * v[i + 1] + v[i + 2] * v[i + 2]);
            Assert.Contains(Math.Round(r2), new[] { 1.0, 2.0, 3.0 });
        }
        Assert.True(mesh.SignedVolume() > 0);
        // Relaxed towards the voxel-count volume (1 µm³): closer than the midpoint polyhedron, same connectivity.
        var relaxed = MarchingCubes.Extract(mask);
        Assert.Equal(mesh.Triangles, relaxed.Triangles);
        Assert.True(Math.Abs(relaxed.SignedVolume() - 1) < Math.Abs(mesh.SignedVolume() - 1));
    }

    [Fact]
    public void TorusHasEulerCharacteristicZero()
    {
        double Rmaj = 12, rmin = 5;
        var mask = TestGeometry.Mask(16, 40, 40, Spacing.Isotropic(1), (x, y, z) =>
        {
            double q = Math.Sqrt(x * x + y * y) - Rmaj;
            return q * q + z * z <= rmin * rmin;
        });
        var mesh = MarchingCubes.Extract(mask);
        AssertClosedManifold(mesh);
        Assert.Equal(0, TestGeometry.FastEuler(mesh));
        Assert.Single(TestGeometry.Components(mesh));
        double vExact = 2 * Math.PI * Math.PI * Rmaj * rmin * rmin;
        Assert.InRange(mesh.SignedVolume() / vExact, 0.97, 1.03);
        Assert.InRange(mesh.Area() / (4 * Math.PI * Math.PI * Rmaj * rmin), 0.95, 1.05);
    }

    [Fact]
    public void RelaxationKeepsConnectivityAndEnclosedVoxelCentres()
    {
        var mask = TestGeometry.Mask(20, 20, 20, new Spacing(1, 0.8, 1.2), (x, y, z) => x * x / 49 + y * y / 25 + z * z / 36 <= 1);
        var raw = MarchingCubes.Extract(mask, 0);
        var relaxed = MarchingCubes.Extract(mask);
        Assert.Equal(raw.Triangles, relaxed.Triangles);
        // Every relaxed vertex stays on the segment between the two lattice points of its raw (midpoint) edge,
        // i.e. within half an edge of the midpoint along the same line.
        for (int i = 0; i < raw.Vertices.Length; i += 3)
        {
            double dx = relaxed.Vertices[i] - raw.Vertices[i], dy = relaxed.Vertices[i + 1] - raw.Vertices[i + 1], dz = relaxed.Vertices[i + 2] - raw.Vertices[i + 2];
            Assert.True(Math.Abs(dx) <= 0.5 * 1.2 && Math.Abs(dy) <= 0.5 * 0.8 && Math.Abs(dz) <= 0.5 * 1.0);
        }
        // The relaxed surface encloses the voxel-count volume (foreground voxels × voxel volume).
        double voxelVolume = TestGeometry.CountForeground(mask) * 1 * 0.8 * 1.2;
        Assert.Equal(voxelVolume, relaxed.SignedVolume(), 1e-6 * voxelVolume);
        Assert.True(relaxed.Area() < raw.Area());
    }

    [Theory]
    [InlineData(1, 1, 1)]   // along the split diagonal: the two voxels are joined
    [InlineData(1, 1, -1)]  // across the split diagonal: the two voxels stay apart
    [InlineData(0, 1, 1)]
    [InlineData(0, 1, -1)]
    [InlineData(1, -1, 1)]
    public void DiagonallyTouchingVoxelsGiveManifoldOutput(int dz, int dy, int dx)
    {
        var mask = new Volume<byte>(4, 4, 4, Spacing.Isotropic(1));
        mask[1, 1, 1 + (dx < 0 ? 1 : 0)] = 1;
        mask[1 + dz, 1 + dy, 1 + (dx < 0 ? 1 : 0) + dx] = 1;
        var mesh = MarchingCubes.Extract(mask);
        AssertClosedManifold(mesh);
        var components = TestGeometry.Components(mesh);
        foreach (var c in components)
        {
            Assert.True(c.SignedVolume() > 0);
            Assert.Equal(2, c.EulerCharacteristic());
        }
        // Joined exactly when the offset is a lattice edge of the Freudenthal split: ±(1,1,1), ±(0,1,1), …
        bool joined = (dz >= 0 && dy >= 0 && dx >= 0) || (dz <= 0 && dy <= 0 && dx <= 0);
        Assert.Equal(joined ? 1 : 2, components.Count);
    }

    [Fact]
    public void CheckerboardBlockIsManifold()
    {
        // Worst case for ambiguity: every face and body diagonal configuration occurs.
        var mask = new Volume<byte>(6, 6, 6, Spacing.Isotropic(1));
        for (int z = 0; z < 6; z++) for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) mask[z, y, x] = (byte)((x + y + z) % 2);
        var mesh = MarchingCubes.Extract(mask);
        AssertClosedManifold(mesh);
    }

    [Fact]
    public void RandomMasksAreWatertightAndEveryOuterComponentHasPositiveVolume()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var rng = Seeds.Rng(Seeds.Child(20261125, $"mc-random-{seed}"));
            double density = 0.2 + 0.5 * rng.NextDouble();
            var mask = new Volume<byte>(12, 12, 12, Spacing.Isotropic(0.5 + rng.NextDouble()));
            for (int i = 0; i < mask.Length; i++) mask.Data[i] = rng.NextDouble() < density ? (byte)1 : (byte)0;

            // Unfilled: closed, manifold, consistently oriented; outer surfaces minus cavity surfaces give the total.
            var raw = MarchingCubes.Extract(mask);
            AssertClosedManifold(raw);
            Assert.True(raw.SignedVolume() > 0);

            // Filling background pockets (with the surface's own 14-neighbourhood) leaves only outer surfaces:
            // one per foreground component, each enclosing positive volume.
            var filled = FillCavities14(mask);
            var mesh = MarchingCubes.Extract(filled);
            AssertClosedManifold(mesh);
            var components = TestGeometry.Components(mesh);
            Assert.Equal(CountComponents14(filled), components.Count);
            foreach (var c in components) Assert.True(c.SignedVolume() > 0, $"seed {seed}: component with volume {c.SignedVolume()}");
        }
    }

    [Fact]
    public void LargeMaskIsExtractedCompletely()
    {
        // (50, 100, 200) ellipsoid filling the grid.
        var s = Spacing.Isotropic(1);
        double a = 95, b = 45, c = 22;
        var mask = TestGeometry.Mask(50, 100, 200, s, (x, y, z) => x * x / (a * a) + y * y / (b * b) + z * z / (c * c) <= 1);
        var mesh = MarchingCubes.Extract(mask);
        AssertClosedManifold(mesh);
        Assert.Equal(2, TestGeometry.FastEuler(mesh));
        double vExact = 4.0 / 3 * Math.PI * a * b * c;
        Assert.InRange(mesh.SignedVolume() / vExact, 0.99, 1.01);
    }

    private static readonly (int Z, int Y, int X)[] Offsets14 =
    [
        (0, 0, 1), (0, 0, -1), (0, 1, 0), (0, -1, 0), (1, 0, 0), (-1, 0, 0),
        (0, 1, 1), (0, -1, -1), (1, 0, 1), (-1, 0, -1), (1, 1, 0), (-1, -1, 0), (1, 1, 1), (-1, -1, -1),
    ];

    private static Volume<byte> FillCavities14(Volume<byte> mask)
    {
        // Flood the background from outside the grid (padding by one).
        int nz = mask.NZ + 2, ny = mask.NY + 2, nx = mask.NX + 2;
        var outside = new bool[nz, ny, nx];
        bool Fg(int z, int y, int x) => z >= 1 && y >= 1 && x >= 1 && z <= mask.NZ && y <= mask.NY && x <= mask.NX && mask[z - 1, y - 1, x - 1] != 0;
        var stack = new Stack<(int, int, int)>();
        stack.Push((0, 0, 0));
        outside[0, 0, 0] = true;
        while (stack.Count > 0)
        {
            var (z, y, x) = stack.Pop();
            foreach (var (dz, dy, dx) in Offsets14)
            {
                int zz = z + dz, yy = y + dy, xx = x + dx;
                if (zz < 0 || yy < 0 || xx < 0 || zz >= nz || yy >= ny || xx >= nx || outside[zz, yy, xx] || Fg(zz, yy, xx)) continue;
                outside[zz, yy, xx] = true;
                stack.Push((zz, yy, xx));
            }
        }
        var data = new byte[mask.Length];
        for (int z = 0; z < mask.NZ; z++) for (int y = 0; y < mask.NY; y++) for (int x = 0; x < mask.NX; x++)
            data[mask.Index(z, y, x)] = outside[z + 1, y + 1, x + 1] ? (byte)0 : (byte)1;
        return mask.WithData(data);
    }

    private static int CountComponents14(Volume<byte> mask)
    {
        var seen = new bool[mask.Length];
        int count = 0;
        for (int z = 0; z < mask.NZ; z++) for (int y = 0; y < mask.NY; y++) for (int x = 0; x < mask.NX; x++)
        {
            if (mask[z, y, x] == 0 || seen[mask.Index(z, y, x)]) continue;
            count++;
            var stack = new Stack<(int, int, int)>();
            stack.Push((z, y, x));
            seen[mask.Index(z, y, x)] = true;
            while (stack.Count > 0)
            {
                var (cz, cy, cx) = stack.Pop();
                foreach (var (dz, dy, dx) in Offsets14)
                {
                    int zz = cz + dz, yy = cy + dy, xx = cx + dx;
                    if (!mask.Contains(zz, yy, xx) || mask[zz, yy, xx] == 0 || seen[mask.Index(zz, yy, xx)]) continue;
                    seen[mask.Index(zz, yy, xx)] = true;
                    stack.Push((zz, yy, xx));
                }
            }
        }
        return count;
    }
}
