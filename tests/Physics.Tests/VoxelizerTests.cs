using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class VoxelizerTests
{
    [Fact]
    public void SphereVoxelVolumeMatchesMeshVolume()
    {
        var mesh = TestGeometry.Icosphere(1.0, 4, (3.0, -2.0, 0.5));
        double h = 0.06;
        var mask = Voxelizer.Voxelize(mesh, h);
        double voxelVolume = TestGeometry.CountForeground(mask) * h * h * h;
        Assert.InRange(voxelVolume / mesh.SignedVolume(), 0.97, 1.03);
        // Origin puts voxel centres in mesh coordinates: every foreground centre lies inside the sphere (up to the
        // chordal gap of the icosphere) and every background centre outside the inscribed polytope.
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
                for (int x = 0; x < mask.NX; x++)
                {
                    double px = mask.Origin.X + x * h - 3.0, py = mask.Origin.Y + y * h + 2.0, pz = mask.Origin.Z + z * h - 0.5;
                    double r = Math.Sqrt(px * px + py * py + pz * pz);
                    if (mask[z, y, x] != 0) Assert.True(r <= 1.0 + 1e-9);
                    else Assert.True(r >= 0.99);
                }
        // Padding: the outermost layer is background.
        for (int y = 0; y < mask.NY; y++) for (int x = 0; x < mask.NX; x++) { Assert.Equal(0, mask[0, y, x]); Assert.Equal(0, mask[mask.NZ - 1, y, x]); }
    }

    [Fact]
    public void BoxWhoseEdgesLieOnRaysIsVoxelizedExactly()
    {
        // Axis-aligned box [0,2]×[0,1]×[0,1] (µm): rays with y = z run exactly along the diagonals of the x faces.
        double[] v = [0, 0, 0, 2, 0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 1, 2, 0, 1, 2, 1, 1, 0, 1, 1];
        int[] t = [0, 3, 2, 0, 2, 1, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4, 1, 2, 6, 1, 6, 5, 2, 3, 7, 2, 7, 6, 3, 0, 4, 3, 4, 7];
        var box = new TriangleMesh(v, t);
        Assert.True(box.IsWatertight());
        Assert.Equal(2.0, box.SignedVolume(), 12);
        double h = 0.15; // 2/h and 1/h are not integers: no voxel centre lies on a face
        var mask = Voxelizer.Voxelize(box, h, pad: 2);
        int expected = 0, mismatches = 0;
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
                for (int x = 0; x < mask.NX; x++)
                {
                    double px = mask.Origin.X + x * h, py = mask.Origin.Y + y * h, pz = mask.Origin.Z + z * h;
                    bool inside = px > 0 && px < 2 && py > 0 && py < 1 && pz > 0 && pz < 1;
                    if (inside) expected++;
                    if (inside != (mask[z, y, x] != 0)) mismatches++;
                }
        Assert.Equal(0, mismatches);
        Assert.Equal(13 * 6 * 6, expected);
    }

    [Fact]
    public void SpinesVoxelizedAtTargetSpacingKeepTheirVolume()
    {
        foreach (var file in Directory.GetFiles(TestGeometry.SpinesDir, "spine_*.obj"))
        {
            var mesh = ObjFormat.Read(file);
            double h = Voxelizer.SpacingForTargetVoxels(mesh, 8000);
            Assert.Equal(mesh.SignedVolume() / 8000, h * h * h, 1e-12);
            var mask = Voxelizer.Voxelize(mesh, h);
            double voxelVolume = TestGeometry.CountForeground(mask) * h * h * h;
            Assert.True(Math.Abs(voxelVolume / mesh.SignedVolume() - 1) < 0.05, $"{file}: {voxelVolume} vs {mesh.SignedVolume()}");
        }
    }

    [Fact]
    public void VoxelizedSphereRoundTripsThroughMarchingCubes()
    {
        var mesh = TestGeometry.Icosphere(2.0, 4);
        var mask = Voxelizer.Voxelize(mesh, 0.2);
        var surface = MarchingCubes.Extract(mask);
        Assert.True(surface.IsWatertight());
        Assert.InRange(surface.SignedVolume() / mesh.SignedVolume(), 0.97, 1.03);
        Assert.InRange(surface.Area() / mesh.Area(), 0.95, 1.05);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        var mesh = TestGeometry.Icosphere(1.0, 1);
        Assert.Throws<ArgumentException>(() => Voxelizer.Voxelize(mesh, 0));
        Assert.Throws<ArgumentException>(() => Voxelizer.Voxelize(mesh, 0.1, -1));
        Assert.Throws<ArgumentException>(() => Voxelizer.SpacingForTargetVoxels(mesh, 0));
    }
}
