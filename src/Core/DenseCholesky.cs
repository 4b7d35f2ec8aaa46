namespace ShapeStudy.Core;

/// <summary>Cholesky factorisation of small dense symmetric positive-definite matrices (row-major d × d).</summary>
public static class DenseCholesky
{
    /// <summary>
    /// The lower-triangular factor L (row-major d × d, zeros above the diagonal) with L·Lᵀ = <paramref name="a"/>,
    /// reading only the lower triangle of <paramref name="a"/>; null when a pivot is not a positive finite number
    /// (the matrix is not numerically positive definite).
    /// </summary>
    public static double[]? TryLower(double[] a, int d)
    {
        var l = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * d + j];
                for (int k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
                if (i == j)
                {
                    if (!(s > 0) || !double.IsFinite(s)) return null;
                    l[i * d + i] = Math.Sqrt(s);
                }
                else l[i * d + j] = s / l[j * d + j];
            }
        return l;
    }
}
