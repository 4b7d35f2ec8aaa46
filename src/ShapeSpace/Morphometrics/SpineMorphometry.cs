using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>Dendritic-spine measurements (µm, µm³) from a closed spine surface; see <see cref="SpineMorphometry"/>.</summary>
/// <param name="LengthUm">Base-to-tip length: distance from the base-section centroid to the farthest surface vertex on the tip side.</param>
/// <param name="HeadVolumeUm3">Volume of the solid beyond the neck–head junction plane.</param>
/// <param name="HeadDiameterUm">Equivalent circular diameter 2√(A/π) of the largest head section.</param>
/// <param name="NeckLengthUm">Axial distance from the base section to the neck–head junction plane.</param>
/// <param name="NeckMinDiameterUm">Equivalent circular diameter of the smallest section between base and head.</param>
/// <param name="HasNeck">True when the head is clearly wider than the neck (head diameter ≥ 1.2 × neck diameter).</param>
/// <param name="Axis">Unit spine axis (x, y, z), pointing from base to tip.</param>
/// <param name="BaseCentroid">Centroid of the base section (µm, x, y, z).</param>
/// <param name="Tip">The farthest surface point from the base (µm, x, y, z).</param>
public sealed record SpineMeasurements(
    double LengthUm,
    double HeadVolumeUm3,
    double HeadDiameterUm,
    double NeckLengthUm,
    double NeckMinDiameterUm,
    bool HasNeck,
    (double X, double Y, double Z) Axis,
    (double X, double Y, double Z) BaseCentroid,
    (double X, double Y, double Z) Tip);

/// <summary>
/// Deterministic geometric spine measurements from the cross-sectional area profile along the spine axis.
/// <list type="number">
/// <item>Axis: the major principal axis of the solid. Sections: <c>sections</c> planes normal to it at the centres of
/// equal bins spanning the vertex extent; area A(t) and centroid of each section (<see cref="CrossSections.Profile"/>).</item>
/// <item>Base end: the end nearer <c>basePoint</c> when given (the attachment point on the dendrite); otherwise the end
/// whose outer quarter holds the larger section (a spine's foot broadens into the dendrite, and capped bases are flat
/// and wide). The axis is oriented base → tip.</item>
/// <item>Base section: with <c>basePoint</c>, the section through it; otherwise the largest section in the base half.
/// Its centroid is the base point of the spine and its plane the base plane.</item>
/// <item>Length: distance from the base centroid to the farthest vertex on the tip side of the base plane.</item>
/// <item>Head section: the largest section in the tip half. Neck: the smallest section strictly between base and head
/// sections; its equivalent diameter is the minimum neck diameter.</item>
/// <item>Neck–head junction: the first plane beyond the neck where the section area reaches 1.44 × the neck area
/// (diameter 1.2 × the neck's), linearly interpolated between sections. Neck length = junction − base plane along the
/// axis; head volume = exact volume beyond the junction plane (<see cref="CrossSections.VolumeBeyond"/>).</item>
/// </list>
/// </summary>
public static class SpineMorphometry
{
    /// <summary>Measures a closed, outward-oriented spine surface (µm). <paramref name="basePoint"/> optionally names where the spine meets the dendrite.</summary>
    public static SpineMeasurements Measure(TriangleMesh mesh, (double X, double Y, double Z)? basePoint = null, int sections = 200)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        if (sections < 8) throw new ArgumentOutOfRangeException(nameof(sections), "at least 8");
        var d = Descriptors.FromMesh(mesh);
        var a = (d.MajorDirection.X, d.MajorDirection.Y, d.MajorDirection.Z);
        var p = mesh.Vertices;
        int nv = mesh.VertexCount;
        double lo = double.MaxValue, hi = double.MinValue;
        for (int i = 0; i < nv; i++) { double h = Dot(a, p, i); lo = Math.Min(lo, h); hi = Math.Max(hi, h); }
        double step = (hi - lo) / sections;
        var t = new double[sections];
        for (int k = 0; k < sections; k++) t[k] = lo + (k + 0.5) * step;
        var (areas, centroids) = CrossSections.Profile(mesh, a, t);
        int q = sections / 4;
        bool baseAtLow = basePoint is { } bp
            ? Math.Abs(a.X * bp.X + a.Y * bp.Y + a.Z * bp.Z - lo) <= Math.Abs(a.X * bp.X + a.Y * bp.Y + a.Z * bp.Z - hi)
            : MaxOf(areas, 0, q) >= MaxOf(areas, sections - q, sections);
        if (!baseAtLow)
        {
            a = (-a.X, -a.Y, -a.Z);
            Array.Reverse(areas);
            var flipped = new double[sections];
            for (int k = 0; k < sections; k++) flipped[k] = -t[sections - 1 - k];
            t = flipped;
            var c = new double[centroids.Length];
            for (int k = 0; k < sections; k++)
                for (int j = 0; j < 3; j++) c[3 * k + j] = centroids[3 * (sections - 1 - k) + j];
            centroids = c;
        }
        int half = sections / 2;
        int b;
        (double, double, double) baseCentroid;
        double baseT;
        if (basePoint is { } given)
        {
            // The base plane passes through the given attachment point (clamped to the sampled range).
            baseT = Math.Clamp(a.X * given.X + a.Y * given.Y + a.Z * given.Z, t[0], t[sections - 1]);
            b = Math.Clamp((int)Math.Round((baseT - t[0]) / step), 0, half - 1);
            var (_, c) = CrossSections.Profile(mesh, a, [baseT]);
            baseCentroid = (c[0], c[1], c[2]);
        }
        else
        {
            b = ArgMax(areas, 0, half);
            baseCentroid = (centroids[3 * b], centroids[3 * b + 1], centroids[3 * b + 2]);
            baseT = t[b];
        }
        // Tip: farthest vertex beyond the base plane.
        double best = -1; int tip = 0;
        for (int i = 0; i < nv; i++)
        {
            if (Dot(a, p, i) < baseT) continue;
            double dx = p[3 * i] - baseCentroid.Item1, dy = p[3 * i + 1] - baseCentroid.Item2, dz = p[3 * i + 2] - baseCentroid.Item3;
            double r = dx * dx + dy * dy + dz * dz;
            if (r > best) { best = r; tip = i; }
        }
        int head = ArgMax(areas, half, sections);
        int neck = head - b >= 2 ? ArgMin(areas, b + 1, head) : b;
        double neckArea = Math.Max(areas[neck], 0), headArea = areas[head];
        double threshold = 1.44 * neckArea;
        double junction = t[head];
        for (int k = neck + 1; k <= head; k++)
            if (areas[k] >= threshold)
            {
                double f = areas[k] > areas[k - 1] ? (threshold - areas[k - 1]) / (areas[k] - areas[k - 1]) : 1;
                junction = t[k - 1] + Math.Clamp(f, 0, 1) * (t[k] - t[k - 1]);
                break;
            }
        double headVolume = CrossSections.VolumeBeyond(mesh, a, junction);
        double neckDiameter = 2 * Math.Sqrt(neckArea / Math.PI), headDiameter = 2 * Math.Sqrt(Math.Max(headArea, 0) / Math.PI);
        return new SpineMeasurements(
            Math.Sqrt(best), headVolume, headDiameter, junction - baseT, neckDiameter, headDiameter >= 1.2 * neckDiameter,
            a, baseCentroid, (p[3 * tip], p[3 * tip + 1], p[3 * tip + 2]));
    }

    private static double Dot((double X, double Y, double Z) a, double[] p, int i) => a.X * p[3 * i] + a.Y * p[3 * i + 1] + a.Z * p[3 * i + 2];

    private static double MaxOf(double[] v, int from, int to) { double m = double.MinValue; for (int i = from; i < to; i++) m = Math.Max(m, v[i]); return m; }

    private static int ArgMax(double[] v, int from, int to) { int best = from; for (int i = from + 1; i < to; i++) if (v[i] > v[best]) best = i; return best; }

    private static int ArgMin(double[] v, int from, int to) { int best = from; for (int i = from + 1; i < to; i++) if (v[i] < v[best]) best = i; return best; }
}
