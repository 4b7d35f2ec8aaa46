using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics;

/// <summary>Carries per-triangle region markers from one surface to another that approximates it (e.g. after conditioning).</summary>
public static class MarkerTransfer
{
    /// <summary>
    /// One marker per triangle of <paramref name="target"/>: the marker of the <paramref name="source"/> triangle nearest to
    /// the target triangle's centroid (µm). <paramref name="markers"/> holds one marker per source triangle.
    /// </summary>
    public static int[] Nearest(TriangleMesh source, int[] markers, TriangleMesh target)
    {
        if (markers.Length != source.TriangleCount)
            throw new ArgumentException($"{markers.Length} markers given for a surface of {source.TriangleCount} triangles");
        var locator = new SurfaceLocator(source);
        var v = target.Vertices;
        var t = target.Triangles;
        var result = new int[target.TriangleCount];
        Parallel.For(0, result.Length, f =>
        {
            int a = 3 * t[3 * f], b = 3 * t[3 * f + 1], c = 3 * t[3 * f + 2];
            var nearest = locator.Closest((v[a] + v[b] + v[c]) / 3, (v[a + 1] + v[b + 1] + v[c + 1]) / 3, (v[a + 2] + v[b + 2] + v[c + 2]) / 3);
            result[f] = markers[nearest.Triangle];
        });
        return result;
    }
}
