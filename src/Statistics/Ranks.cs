namespace ShapeStudy.Statistics;

/// <summary>Ranking helpers.</summary>
public static class Ranks
{
    /// <summary>1-based ranks of <paramref name="values"/>, ties receiving the average of the ranks they span.</summary>
    public static double[] Average(ReadOnlySpan<double> values)
    {
        int n = values.Length;
        var order = new int[n];
        var keys = values.ToArray();
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        var ranks = new double[n];
        int start = 0;
        while (start < n)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            double r = 0.5 * (start + end - 1) + 1.0;
            for (int k = start; k < end; k++) ranks[order[k]] = r;
            start = end;
        }
        return ranks;
    }
}
