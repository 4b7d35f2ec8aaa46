namespace ShapeStudy.Statistics;

/// <summary>Quantiles with linear interpolation between order statistics (numpy's default, "type 7").</summary>
public static class Quantiles
{
    /// <summary>The <paramref name="q"/>-quantile (q in [0, 1]) of ascending-sorted values.</summary>
    public static double Sorted(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        double h = (sorted.Length - 1) * Math.Clamp(q, 0, 1);
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The <paramref name="q"/>-quantile of unsorted values (copied, not modified).</summary>
    public static double Of(IEnumerable<double> values, double q)
    {
        var a = values.ToArray();
        Array.Sort(a);
        return Sorted(a, q);
    }
}
