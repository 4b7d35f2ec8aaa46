using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using static ShapeStudy.Physics.Tests.Conditioning.ConditioningFixtures;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class DecimationAndAngleTests
{
    [Fact]
    public void DecimatingAFineSphereToATargetEdgeKeepsVolumeAndWatertightness()
    {
        var fine = TestGeometry.Icosphere(1.0, 5);   // 20480 triangles, edges ≈ 0.035 µm
        var before = SurfaceQuality.Measure(fine);
        var coarse = MeshDecimation.Decimate(fine, 0.12);
        var q = SurfaceQuality.Measure(coarse);
        Assert.True(q.Watertight && q.Manifold && q.Outward, "decimated sphere must stay closed, manifold and outward");
        Assert.Equal(0, q.Genus);
        Assert.Equal(0, q.SelfIntersections);
        Assert.InRange(Math.Abs(q.VolumeUm3 / before.VolumeUm3 - 1), 0, 0.01);
        Assert.True(q.Triangles < before.Triangles / 5, $"{before.Triangles} → {q.Triangles} triangles");
        Assert.InRange(q.MeanEdgeUm, 0.6 * 0.12, 1.5 * 0.12);
        Assert.True(q.MaxEdgeUm <= 1.5 * 0.12 + 1e-9, $"longest edge {q.MaxEdgeUm:F4} µm");
        Assert.True(q.MinAngleDeg > 10, $"min angle {q.MinAngleDeg:F2}°");
    }

    [Fact]
    public void DecimationPreservesTheGenusOfATorus()
    {
        var torus = Torus(1.0, 0.35, 120, 48);
        var coarse = MeshDecimation.Decimate(torus, 0.15);
        var q = SurfaceQuality.Measure(coarse);
        Assert.True(q.Watertight && q.Manifold, "decimated torus must stay closed and manifold");
        Assert.Equal(1, q.Genus);
        Assert.Equal(0, q.EulerCharacteristic);
        Assert.True(q.Triangles < torus.TriangleCount / 3);
        Assert.InRange(Math.Abs(q.VolumeUm3 / torus.SignedVolume() - 1), 0, 0.01);
    }

    [Fact]
    public void FlipsAndRelocationRaiseTheMinimumAngleOfAJitteredSphere()
    {
        var sphere = TestGeometry.Icosphere(1.0, 3);
        // Jitter of a third of the edge length (≈ 0.15 µm) makes slivers without changing the shape much.
        var bad = Jitter(sphere, 0.05, seed: 3);
        var before = SurfaceQuality.Measure(bad);
        var flipped = MeshAngleImprovement.FlipEdges(bad);
        var flippedQ = SurfaceQuality.Measure(flipped);
        Assert.True(flippedQ.MeanMinAngleDeg > before.MeanMinAngleDeg, $"flips: mean min angle {before.MeanMinAngleDeg:F2} → {flippedQ.MeanMinAngleDeg:F2}°");
        Assert.True(flippedQ.MinAngleDeg >= before.MinAngleDeg);
        var relocated = MeshAngleImprovement.Relocate(flipped);
        var relocatedQ = SurfaceQuality.Measure(relocated);
        Assert.True(relocatedQ.MinAngleDeg > flippedQ.MinAngleDeg, $"relocation: min angle {flippedQ.MinAngleDeg:F2} → {relocatedQ.MinAngleDeg:F2}°");
        var improved = MeshAngleImprovement.Improve(bad);
        var q = SurfaceQuality.Measure(improved);
        Assert.True(q.MinAngleDeg > before.MinAngleDeg + 5, $"min angle {before.MinAngleDeg:F2} → {q.MinAngleDeg:F2}°");
        Assert.True(q.Watertight && q.Manifold && q.Outward);
        Assert.Equal(0, q.Genus);
        Assert.InRange(Math.Abs(q.VolumeUm3 / before.VolumeUm3 - 1), 0, 0.01);
    }

    [Fact]
    public void AFlipTurnsANonDelaunayPairIntoTheDelaunayOne()
    {
        // A flat square split along its long diagonal of a rhombus: (0,0), (1,0), (1.9, 0.5), (0.9, 0.5) region closed into
        // a thin tetrahedron-like solid by a far apex, so the flat pair is interior. Flipping must choose the short diagonal.
        var v = new double[] { 0, 0, 0, 2, 0, 0, 1, 0.3, 0, 1, -0.3, 0, 1, 0, -3 };
        // Top (flat, z = 0): (0, 1) shared by (0, 3, 1) and (1, 2, 0) — long diagonal between the rhombus' far corners.
        var t = new[] { 0, 3, 1, 1, 2, 0, 0, 2, 4, 2, 1, 4, 1, 3, 4, 3, 0, 4 };
        var mesh = new TriangleMesh(v, t);
        Assert.True(mesh.IsWatertight());
        var before = SurfaceQuality.Measure(mesh);
        var flipped = MeshAngleImprovement.FlipEdges(mesh);
        var after = SurfaceQuality.Measure(flipped);
        Assert.True(after.Watertight);
        Assert.True(after.MinAngleDeg > before.MinAngleDeg, $"{before.MinAngleDeg:F2} → {after.MinAngleDeg:F2}°");
        // The flat face now uses the short diagonal (2, 3).
        bool hasShort = false;
        for (int i = 0; i < flipped.TriangleCount; i++)
        {
            var tri = flipped.Triangles.Skip(3 * i).Take(3).ToArray();
            if (tri.Contains(2) && tri.Contains(3) && !tri.Contains(4)) hasShort = true;
        }
        Assert.True(hasShort);
        Assert.InRange(Math.Abs(after.VolumeUm3 - before.VolumeUm3), 0, 1e-12);
    }
}
