using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using static ShapeStudy.Physics.Tests.Conditioning.ConditioningFixtures;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class SmoothingTests
{
    [Fact]
    public void TaubinKeepsTheVolumeOfANoisyIcosphereAndReducesItsRadiusError()
    {
        var clean = TestGeometry.Icosphere(1.0, 4);
        var noisy = RadialNoise(clean, 0.03, seed: 11);
        var smooth = MeshSmoothing.Taubin(noisy, 20);
        double v0 = noisy.SignedVolume(), v1 = smooth.SignedVolume();
        Assert.InRange(Math.Abs(v1 / v0 - 1), 0, 0.01);
        Assert.InRange(Math.Abs(v1 / clean.SignedVolume() - 1), 0, 0.01);
        double before = RadiusRmsError(noisy, 1), after = RadiusRmsError(smooth, 1);
        Assert.True(after < 0.5 * before, $"radius RMS error {before:G4} → {after:G4} µm");
        Assert.True(smooth.IsWatertight());
    }

    [Fact]
    public void FeaturePreservingSmoothingKeepsCubeCornersSharperThanTaubin()
    {
        var cube = Cube(1.0, 8);
        var noisy = Jitter(cube, 0.03, seed: 5);
        var feature = MeshSmoothing.FeaturePreserving(noisy, 10);
        var taubin = MeshSmoothing.Taubin(noisy, 10);
        double noisyError = FaceNormalError(noisy), featureError = FaceNormalError(feature), taubinError = FaceNormalError(taubin);
        Assert.True(featureError < 0.5 * noisyError, $"normal error {noisyError:F2}° → {featureError:F2}°");
        Assert.True(featureError < taubinError, $"bilateral {featureError:F2}° vs Taubin {taubinError:F2}°");
        // The corners stay at the cube's corners (within the noise amplitude).
        double worstCorner = 0;
        foreach (var (cx, cy, cz) in new[] { (1.0, 1.0, 1.0), (-1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (-1.0, -1.0, -1.0) })
            worstCorner = Math.Max(worstCorner, NearestVertexDistance(feature, cx, cy, cz));
        Assert.True(worstCorner < 0.1, $"corner moved by {worstCorner:F3} µm");
        Assert.InRange(Math.Abs(feature.SignedVolume() / cube.SignedVolume() - 1), 0, 0.03);
    }

    [Fact]
    public void RestoreVolumeHitsTheTargetVolume()
    {
        var sphere = TestGeometry.Icosphere(1.0, 3);
        double target = 1.05 * sphere.SignedVolume();
        var restored = MeshSmoothing.RestoreVolume(sphere, target);
        Assert.InRange(Math.Abs(restored.SignedVolume() / target - 1), 0, 1e-8);
        // A uniform normal offset of a sphere keeps it a sphere: the radius grows by (1.05)^(1/3).
        double r = Math.Cbrt(1.05);
        Assert.InRange(RadiusRmsError(restored, r), 0, 0.01);
    }

    /// <summary>Mean angle (degrees) between each face normal and the nearest cube axis direction.</summary>
    private static double FaceNormalError(TriangleMesh m)
    {
        double sum = 0;
        var p = m.Vertices;
        var t = m.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = 3 * t[i], b = 3 * t[i + 1], c = 3 * t[i + 2];
            double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            double l = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            double best = Math.Max(Math.Abs(nx), Math.Max(Math.Abs(ny), Math.Abs(nz))) / l;
            sum += Math.Acos(Math.Min(1, best)) * 180 / Math.PI;
        }
        return sum / m.TriangleCount;
    }

    private static double NearestVertexDistance(TriangleMesh m, double x, double y, double z)
    {
        double best = double.MaxValue;
        var p = m.Vertices;
        for (int i = 0; i < p.Length; i += 3)
            best = Math.Min(best, Math.Sqrt((p[i] - x) * (p[i] - x) + (p[i + 1] - y) * (p[i + 1] - y) + (p[i + 2] - z) * (p[i + 2] - z)));
        return best;
    }
}
