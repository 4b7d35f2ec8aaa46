using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Triangle-quality figures of a surface mesh: angles in degrees, lengths in µm.</summary>
public sealed record SurfaceQualityReport(int Vertices, int Triangles, bool Watertight, int EulerCharacteristic,
    double AreaUm2, double VolumeUm3, double MinAngleDeg, double MaxAngleDeg, double MeanEdgeUm);

/// <summary>Computes <see cref="SurfaceQualityReport"/> for a triangle mesh.</summary>
public static class SurfaceQuality
{
    public static SurfaceQualityReport Measure(TriangleMesh mesh)
    {
        double minAngle = 180, maxAngle = 0, edgeSum = 0;
        var v = mesh.Vertices;
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = 3 * t[i], b = 3 * t[i + 1], c = 3 * t[i + 2];
            double ab = Dist(v, a, b), bc = Dist(v, b, c), ca = Dist(v, c, a);
            edgeSum += ab + bc + ca;
            foreach (var angle in new[] { Angle(ab, ca, bc), Angle(ab, bc, ca), Angle(bc, ca, ab) })
            {
                if (!double.IsFinite(angle)) continue;
                minAngle = Math.Min(minAngle, angle);
                maxAngle = Math.Max(maxAngle, angle);
            }
        }
        int edges = mesh.TriangleCount * 3;
        return new SurfaceQualityReport(mesh.VertexCount, mesh.TriangleCount, mesh.IsWatertight(), mesh.EulerCharacteristic(),
            mesh.Area(), mesh.SignedVolume(), mesh.TriangleCount > 0 ? minAngle : 0, maxAngle, edges > 0 ? edgeSum / edges : 0);
    }

    /// <summary>Angle (degrees) opposite side <paramref name="opposite"/> in a triangle with sides p, q adjacent to it.</summary>
    private static double Angle(double p, double q, double opposite)
    {
        if (p <= 0 || q <= 0) return double.NaN;
        double cos = Math.Clamp((p * p + q * q - opposite * opposite) / (2 * p * q), -1, 1);
        return Math.Acos(cos) * 180 / Math.PI;
    }

    private static double Dist(double[] v, int a, int b)
    {
        double dx = v[a] - v[b], dy = v[a + 1] - v[b + 1], dz = v[a + 2] - v[b + 2];
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }
}
