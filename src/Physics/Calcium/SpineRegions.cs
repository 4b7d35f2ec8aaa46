using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics.Calcium;

/// <summary>
/// Named surface regions of a spine mesh (a <c>&lt;name&gt;_regions.json</c> file: an object mapping region names to lists of
/// 0-based triangle indices, as bundled with the Rangamani-lab spines) turned into boundary markers and compartments.
/// Recognised names (case-insensitive): "PSD" (or another name given as the PSD region) → <see cref="BoundaryRegion.Psd"/> and head; "head" → head; "neck",
/// "low_neck" → neck; "cylinder_reflect" → <see cref="BoundaryRegion.Cut"/> (dendrite ends, no flux) and base; every other
/// triangle is plain membrane in the base.
/// </summary>
public static class SpineRegions
{
    /// <summary>Reads a regions JSON file.</summary>
    /// <exception cref="InvalidDataException">Not an object of integer lists, or an index outside 0 … triangleCount − 1.</exception>
    public static IReadOnlyDictionary<string, int[]> Read(string path, int triangleCount)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object of region name → face index list");
        var result = new Dictionary<string, int[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Value.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: region '{prop.Name}' is not a list of face indices");
            var list = new List<int>();
            foreach (var e in prop.Value.EnumerateArray())
            {
                if (!e.TryGetInt32(out int f) || f < 0 || f >= triangleCount)
                    throw new InvalidDataException($"{path}: region '{prop.Name}' holds {e} but the mesh has {triangleCount} triangles");
                list.Add(f);
            }
            result[prop.Name] = list.ToArray();
        }
        return result;
    }

    /// <summary>One boundary marker per triangle: the PSD (region <paramref name="psdRegion"/>) → <see cref="BoundaryRegion.Psd"/>,
    /// cylinder_reflect → <see cref="BoundaryRegion.Cut"/>, else <see cref="BoundaryRegion.Membrane"/>.</summary>
    public static int[] FaceMarkers(IReadOnlyDictionary<string, int[]> regions, int triangleCount, string psdRegion = "PSD")
    {
        var m = new int[triangleCount];
        Array.Fill(m, BoundaryRegion.Membrane);
        if (regions.TryGetValue("cylinder_reflect", out var cut)) foreach (int f in cut) m[f] = BoundaryRegion.Cut;
        if (regions.TryGetValue(psdRegion, out var psd)) foreach (int f in psd) m[f] = BoundaryRegion.Psd;
        return m;
    }

    /// <summary>One <see cref="SpineCompartments"/> id per triangle (head and the PSD region <paramref name="psdRegion"/> → head,
    /// neck/low_neck → neck, other → base), or null when the regions name neither a head nor a neck.</summary>
    public static int[]? FaceCompartments(IReadOnlyDictionary<string, int[]> regions, int triangleCount, string psdRegion = "PSD")
    {
        if (!regions.ContainsKey("head") && !regions.ContainsKey("neck")) return null;
        var c = new int[triangleCount];
        Array.Fill(c, SpineCompartments.Base);
        foreach (var name in new[] { "neck", "low_neck" })
            if (regions.TryGetValue(name, out var faces)) foreach (int f in faces) c[f] = SpineCompartments.Neck;
        foreach (var name in new[] { "head", psdRegion })
            if (regions.TryGetValue(name, out var faces)) foreach (int f in faces) c[f] = SpineCompartments.Head;
        return c;
    }

    /// <summary>
    /// Geometric PSD selector for meshes without regions: the triangles whose centroid lies in the top
    /// <paramref name="topFraction"/> (0 … 1] of the surface's extent along its major principal axis (area-weighted
    /// covariance of the triangle centroids), taking the end of the axis that lies farther from the area centroid (for a spine
    /// on a short dendrite stub: the spine tip). Returns one marker per triangle (<see cref="BoundaryRegion.Psd"/> or <see cref="BoundaryRegion.Membrane"/>).
    /// </summary>
    public static int[] GeometricPsd(TriangleMesh surface, double topFraction)
    {
        if (!(topFraction > 0 && topFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(topFraction), topFraction, "PSD fraction must be in (0, 1]");
        int n = surface.TriangleCount;
        var v = surface.Vertices; var tr = surface.Triangles;
        var cx = new double[n]; var cy = new double[n]; var cz = new double[n]; var a = new double[n];
        double sa = 0, mx = 0, my = 0, mz = 0;
        for (int f = 0; f < n; f++)
        {
            int i = 3 * tr[3 * f], j = 3 * tr[3 * f + 1], k = 3 * tr[3 * f + 2];
            cx[f] = (v[i] + v[j] + v[k]) / 3; cy[f] = (v[i + 1] + v[j + 1] + v[k + 1]) / 3; cz[f] = (v[i + 2] + v[j + 2] + v[k + 2]) / 3;
            double ux = v[j] - v[i], uy = v[j + 1] - v[i + 1], uz = v[j + 2] - v[i + 2], wx = v[k] - v[i], wy = v[k + 1] - v[i + 1], wz = v[k + 2] - v[i + 2];
            double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
            a[f] = 0.5 * Math.Sqrt(nx * nx + ny * ny + nz * nz);
            sa += a[f]; mx += a[f] * cx[f]; my += a[f] * cy[f]; mz += a[f] * cz[f];
        }
        mx /= sa; my /= sa; mz /= sa;
        var cov = new double[3, 3];
        for (int f = 0; f < n; f++)
        {
            double[] d = [cx[f] - mx, cy[f] - my, cz[f] - mz];
            for (int p = 0; p < 3; p++) for (int q = 0; q < 3; q++) cov[p, q] += a[f] * d[p] * d[q];
        }
        double ax = 1, ay = 0.7, az = 0.3;
        for (int it = 0; it < 200; it++)
        {
            double nx = cov[0, 0] * ax + cov[0, 1] * ay + cov[0, 2] * az, ny = cov[1, 0] * ax + cov[1, 1] * ay + cov[1, 2] * az, nz = cov[2, 0] * ax + cov[2, 1] * ay + cov[2, 2] * az;
            double norm = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            if (!(norm > 0)) break;
            ax = nx / norm; ay = ny / norm; az = nz / norm;
        }
        var s = new double[n];
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int f = 0; f < n; f++) { s[f] = (cx[f] - mx) * ax + (cy[f] - my) * ay + (cz[f] - mz) * az; lo = Math.Min(lo, s[f]); hi = Math.Max(hi, s[f]); }
        bool positive = hi >= -lo;
        var markers = new int[n];
        for (int f = 0; f < n; f++)
        {
            double u = positive ? (s[f] - lo) / (hi - lo) : (hi - s[f]) / (hi - lo);
            markers[f] = u >= 1 - topFraction ? BoundaryRegion.Psd : BoundaryRegion.Membrane;
        }
        return markers;
    }

    /// <summary>Transfers per-triangle values from <paramref name="source"/> to <paramref name="target"/> (both µm): each target
    /// triangle takes the value of the source triangle nearest to its centroid (e.g. markers onto a conditioned surface).</summary>
    public static int[] Transfer(TriangleMesh source, int[] sourceValues, TriangleMesh target)
    {
        if (sourceValues.Length != source.TriangleCount) throw new ArgumentException($"expected {source.TriangleCount} values, got {sourceValues.Length}", nameof(sourceValues));
        var loc = new SurfaceLocator(source);
        var v = target.Vertices; var tr = target.Triangles;
        var result = new int[target.TriangleCount];
        Parallel.For(0, result.Length, f =>
        {
            int i = 3 * tr[3 * f], j = 3 * tr[3 * f + 1], k = 3 * tr[3 * f + 2];
            result[f] = sourceValues[loc.Closest((v[i] + v[j] + v[k]) / 3, (v[i + 1] + v[j + 1] + v[k + 1]) / 3, (v[i + 2] + v[j + 2] + v[k + 2]) / 3).Triangle];
        });
        return result;
    }
}
