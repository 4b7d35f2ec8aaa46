namespace ShapeStudy.ShapeSpace;

/// <summary>
/// Orthonormal real spherical harmonics on the unit sphere (no Condon–Shortley phase), evaluated with the stable
/// recursion on normalised associated Legendre functions. Index order: coefficient k = l² + l + m for degree l ≥ 0 and
/// order −l ≤ m ≤ l, so a basis up to <c>lmax</c> has (lmax + 1)² functions. Y_lm = N_lm P_l^|m|(cos θ) · {√2 cos(mφ) for
/// m &gt; 0; 1 for m = 0; √2 sin(|m|φ) for m &lt; 0}, with θ the polar angle from +z and φ the azimuth from +x toward +y.
/// </summary>
public static class RealSphericalHarmonics
{
    /// <summary>Number of basis functions up to degree <paramref name="lmax"/>: (lmax + 1)².</summary>
    public static int Count(int lmax) => (lmax + 1) * (lmax + 1);

    /// <summary>Flat index of (l, m): l² + l + m.</summary>
    public static int Index(int l, int m) => l * l + l + m;

    /// <summary>
    /// Writes all Y_lm (l ≤ <paramref name="lmax"/>) at the unit direction (x, y, z) into <paramref name="values"/>
    /// (length ≥ (lmax + 1)²), in the order of <see cref="Index"/>.
    /// </summary>
    public static void Evaluate(int lmax, double x, double y, double z, Span<double> values)
    {
        double cosTheta = Math.Clamp(z, -1.0, 1.0);
        double sinTheta = Math.Sqrt(Math.Max(0.0, 1.0 - cosTheta * cosTheta));
        double phi = Math.Atan2(y, x);
        EvaluateAngles(lmax, cosTheta, sinTheta, phi, values);
    }

    /// <summary>Writes all Y_lm at polar angle with cos θ = <paramref name="cosTheta"/>, sin θ = <paramref name="sinTheta"/> and azimuth <paramref name="phi"/> (radians).</summary>
    public static void EvaluateAngles(int lmax, double cosTheta, double sinTheta, double phi, Span<double> values)
    {
        if (lmax < 0) throw new ArgumentOutOfRangeException(nameof(lmax));
        if (values.Length < Count(lmax)) throw new ArgumentException("values span too short", nameof(values));
        const double sqrt2 = 1.4142135623730951;
        double pmm = Math.Sqrt(1.0 / (4.0 * Math.PI));   // normalised P_m^m, starting at m = 0
        for (int m = 0; m <= lmax; m++)
        {
            if (m > 0) pmm *= Math.Sqrt((2.0 * m + 1.0) / (2.0 * m)) * sinTheta;
            double cosM = m == 0 ? 1.0 : Math.Cos(m * phi) * sqrt2, sinM = m == 0 ? 0.0 : Math.Sin(m * phi) * sqrt2;
            double p2 = pmm;                                    // P_{l-2}
            Store(values, m, m, pmm, cosM, sinM);
            if (m == lmax) break;
            double p1 = Math.Sqrt(2.0 * m + 3.0) * cosTheta * pmm;   // P_{m+1}^m
            Store(values, m + 1, m, p1, cosM, sinM);
            for (int l = m + 2; l <= lmax; l++)
            {
                double a = Math.Sqrt((4.0 * l * l - 1.0) / ((double)l * l - (double)m * m));
                double b = Math.Sqrt(((l - 1.0) * (l - 1.0) - (double)m * m) / (4.0 * (l - 1.0) * (l - 1.0) - 1.0));
                double p = a * (cosTheta * p1 - b * p2);
                Store(values, l, m, p, cosM, sinM);
                p2 = p1; p1 = p;
            }
        }
    }

    private static void Store(Span<double> values, int l, int m, double p, double cosM, double sinM)
    {
        if (m == 0) { values[l * l + l] = p; return; }
        values[l * l + l + m] = p * cosM;
        values[l * l + l - m] = p * sinM;
    }

    /// <summary>
    /// Rotation-invariant power spectrum of coefficients in <see cref="Index"/> order: P_l = Σ_m c_lm² for l = 0…lmax
    /// (units: squared coefficient units, µm² for radial shape coefficients).
    /// </summary>
    public static double[] PowerSpectrum(ReadOnlySpan<double> coefficients, int lmax)
    {
        if (coefficients.Length < Count(lmax)) throw new ArgumentException("too few coefficients for lmax", nameof(coefficients));
        var p = new double[lmax + 1];
        for (int l = 0; l <= lmax; l++)
            for (int m = -l; m <= l; m++) { double c = coefficients[l * l + l + m]; p[l] += c * c; }
        return p;
    }
}

/// <summary>Gauss–Legendre quadrature on [−1, 1].</summary>
public static class GaussLegendre
{
    /// <summary>
    /// The <paramref name="n"/> nodes (ascending) and weights of the n-point rule, exact for polynomials of degree
    /// ≤ 2n − 1; nodes by Newton iteration on the Legendre recurrence (converged to machine precision).
    /// </summary>
    public static (double[] Nodes, double[] Weights) Rule(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n));
        var x = new double[n];
        var w = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double z = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = z;
                for (int k = 2; k <= n; k++) { double pk = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k; p0 = p1; p1 = pk; }
                double pn = n == 1 ? z : p1, pn1 = n == 1 ? 1 : p0;
                dp = n * (z * pn - pn1) / (z * z - 1);
                double dz = pn / dp;
                z -= dz;
                if (Math.Abs(dz) < 1e-16) break;
            }
            {
                double p0 = 1, p1 = z;
                for (int k = 2; k <= n; k++) { double pk = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k; p0 = p1; p1 = pk; }
                double pn = n == 1 ? z : p1, pn1 = n == 1 ? 1 : p0;
                dp = n * (z * pn - pn1) / (z * z - 1);
            }
            x[i] = -z; x[n - 1 - i] = z;
            w[i] = w[n - 1 - i] = 2.0 / ((1 - z * z) * dp * dp);
        }
        return (x, w);
    }
}
