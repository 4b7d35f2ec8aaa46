namespace ShapeStudy.ShapeSpace;

/// <summary>Eigen-decomposition of a symmetric 3 × 3 matrix by cyclic Jacobi rotations.</summary>
internal static class SymmetricEigen3
{
    /// <summary>
    /// Eigenvalues in descending order and the matching unit eigenvectors as columns of a row-major 3 × 3 array
    /// (vectors[3 * row + col]). Each eigenvector's sign is fixed so that its largest-magnitude component is positive
    /// and the three columns form a right-handed frame where possible.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] m)
    {
        var a = (double[])m.Clone();
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
        var values = new[] { a[0], a[4], a[8] };
        var order = new[] { 0, 1, 2 };
        Array.Sort(order, (i, j) => values[j].CompareTo(values[i]));
        var sortedValues = new double[3];
        var vectors = new double[9];
        for (int c = 0; c < 3; c++)
        {
            int src = order[c];
            sortedValues[c] = values[src];
            int big = 0;
            for (int r = 1; r < 3; r++) if (Math.Abs(v[3 * r + src]) > Math.Abs(v[3 * big + src])) big = r;
            double sign = v[3 * big + src] < 0 ? -1 : 1;
            for (int r = 0; r < 3; r++) vectors[3 * r + c] = sign * v[3 * r + src];
        }
        // Make the frame right-handed by flipping the third axis when needed (keeps the first two sign conventions).
        double det = vectors[0] * (vectors[4] * vectors[8] - vectors[5] * vectors[7])
                   - vectors[1] * (vectors[3] * vectors[8] - vectors[5] * vectors[6])
                   + vectors[2] * (vectors[3] * vectors[7] - vectors[4] * vectors[6]);
        if (det < 0) for (int r = 0; r < 3; r++) vectors[3 * r + 2] = -vectors[3 * r + 2];
        return (sortedValues, vectors);
    }

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
