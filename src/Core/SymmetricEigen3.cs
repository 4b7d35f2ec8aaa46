namespace ShapeStudy.Core;

/// <summary>Eigen decomposition of a real symmetric 3 × 3 matrix by cyclic Jacobi rotations.</summary>
public static class SymmetricEigen3
{
    /// <summary>
    /// Eigenvalues and eigenvectors of the symmetric matrix <paramref name="matrix"/>, given row-major as 9 values
    /// (<c>matrix[3 * row + col]</c>; only symmetric input is meaningful). <c>Values</c> (length 3) are sorted in
    /// descending order, ties keeping their diagonal order. <c>Vectors</c> (length 9, row-major) holds the matching
    /// unit eigenvectors as columns: eigenvector k is (<c>Vectors[k]</c>, <c>Vectors[3 + k]</c>, <c>Vectors[6 + k]</c>)
    /// and the three are mutually orthogonal. The sign of each eigenvector is deterministic but otherwise arbitrary;
    /// callers that need a convention (e.g. largest component positive) apply it themselves.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Length != 9) throw new ArgumentException("expected a row-major 3 × 3 matrix (9 values)", nameof(matrix));
        var a = (double[])matrix.Clone();
        var v = new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
        for (int sweep = 0; sweep < 64; sweep++)
        {
            double off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
            double diag = a[0] * a[0] + a[4] * a[4] + a[8] * a[8];
            if (off <= 1e-30 * diag || off == 0) break;
            Rotate(a, v, 0, 1);
            Rotate(a, v, 0, 2);
            Rotate(a, v, 1, 2);
        }
        var diagonal = new[] { a[0], a[4], a[8] };
        var order = new[] { 0, 1, 2 };
        Array.Sort(order, (i, j) =>
        {
            int byValue = diagonal[j].CompareTo(diagonal[i]);
            return byValue != 0 ? byValue : i.CompareTo(j);
        });
        var values = new double[3];
        var vectors = new double[9];
        for (int col = 0; col < 3; col++)
        {
            int src = order[col];
            values[col] = diagonal[src];
            for (int row = 0; row < 3; row++) vectors[3 * row + col] = v[3 * row + src];
        }
        return (values, vectors);
    }

    /// <summary>Applies the Jacobi rotation that zeroes a[p, q] to a (both sides) and accumulates it into v.</summary>
    private static void Rotate(double[] a, double[] v, int p, int q)
    {
        double apq = a[3 * p + q];
        if (apq == 0) return;
        double app = a[3 * p + p], aqq = a[3 * q + q];
        double theta = (aqq - app) / (2 * apq);
        double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0) t = 1;
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; k++)
        {
            double akp = a[3 * k + p], akq = a[3 * k + q];
            a[3 * k + p] = c * akp - s * akq;
            a[3 * k + q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++)
        {
            double apk = a[3 * p + k], aqk = a[3 * q + k];
            a[3 * p + k] = c * apk - s * aqk;
            a[3 * q + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 3; k++)
        {
            double vkp = v[3 * k + p], vkq = v[3 * k + q];
            v[3 * k + p] = c * vkp - s * vkq;
            v[3 * k + q] = s * vkp + c * vkq;
        }
    }
}
