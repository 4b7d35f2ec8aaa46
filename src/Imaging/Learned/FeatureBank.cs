using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Scales of the pixel-classifier filter bank, in µm (σ of the Gaussian at each scale), and whether the raw
/// intensity is a feature too.
/// </summary>
public sealed record FeatureBankOptions(double[] ScalesUm, bool IncludeRaw = true)
{
    /// <summary>ilastik's default scales 0.7, 1.0, 1.6, 3.5 and 5.0 voxels, converted with the smallest voxel size (µm).</summary>
    public static FeatureBankOptions ForSpacing(Spacing spacing)
    {
        double voxel = Math.Min(spacing.Z, Math.Min(spacing.Y, spacing.X));
        return new FeatureBankOptions([0.7 * voxel, 1.0 * voxel, 1.6 * voxel, 3.5 * voxel, 5.0 * voxel]);
    }

    /// <summary>Throws when a scale is not a positive finite number or none is given.</summary>
    public FeatureBankOptions Validated()
    {
        if (ScalesUm is null || ScalesUm.Length == 0) throw new ArgumentException("the filter bank needs at least one scale (µm)");
        foreach (var s in ScalesUm)
            if (!(s > 0) || !double.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(ScalesUm), s, "every filter-bank scale must be a positive number of µm");
        return this;
    }
}

/// <summary>
/// The ilastik-style filter bank of a 3D image: per scale σ (µm) the Gaussian-smoothed intensity, Laplacian of
/// Gaussian, Gaussian gradient magnitude, difference of Gaussians (σ·0.66 − σ), the three Hessian eigenvalues of
/// the smoothed image, and the three eigenvalues of the structure tensor (gradients at σ, products smoothed at σ/2);
/// 10 features per scale plus, optionally, the raw intensity. Derivatives are central differences of the smoothed
/// image in physical units (µm; one-sided at the borders, as numpy.gradient), so features are comparable across
/// anisotropic grids. Eigenvalues are sorted in descending order.
/// </summary>
public static class FeatureBank
{
    /// <summary>Features computed per scale.</summary>
    public const int PerScale = 10;

    /// <summary>Feature names in the order of <see cref="Compute"/>'s output, e.g. <c>hessian_ev1_s0.0100</c>.</summary>
    public static string[] Names(FeatureBankOptions options)
    {
        var names = new List<string>();
        if (options.IncludeRaw) names.Add("raw");
        foreach (var s in options.ScalesUm)
        {
            string tag = FormattableString.Invariant($"s{s:0.0####}");
            names.AddRange([$"gaussian_{tag}", $"log_{tag}", $"gradient_{tag}", $"dog_{tag}",
                $"hessian_ev0_{tag}", $"hessian_ev1_{tag}", $"hessian_ev2_{tag}",
                $"structure_ev0_{tag}", $"structure_ev1_{tag}", $"structure_ev2_{tag}"]);
        }
        return names.ToArray();
    }

    /// <summary>
    /// Computes every feature of <paramref name="image"/> (shape (Z, Y, X), spacing µm). Returns one float array per
    /// feature (feature-major), each of the image's length, in the order of <see cref="Names"/>.
    /// </summary>
    public static float[][] Compute(Volume<float> image, FeatureBankOptions options)
    {
        options.Validated();
        var features = new List<float[]>();
        if (options.IncludeRaw) features.Add((float[])image.Data.Clone());
        foreach (var sigma in options.ScalesUm)
        {
            var g = Gaussian.Smooth(image, sigma);
            var narrow = Gaussian.Smooth(image, 0.66 * sigma);
            var dog = new float[image.Length];
            for (int i = 0; i < dog.Length; i++) dog[i] = narrow.Data[i] - g.Data[i];

            var (gz, gy, gx) = Gradient(g);
            var magnitude = new float[image.Length];
            for (int i = 0; i < magnitude.Length; i++)
                magnitude[i] = MathF.Sqrt(gz.Data[i] * gz.Data[i] + gy.Data[i] * gy.Data[i] + gx.Data[i] * gx.Data[i]);

            // Hessian: gradient of each gradient component (symmetrised off-diagonals).
            var (hzz, hzy, hzx) = Gradient(gz);
            var (hyz, hyy, hyx) = Gradient(gy);
            var (_, _, hxx) = Gradient(gx);
            var log = new float[image.Length];
            for (int i = 0; i < log.Length; i++) log[i] = hzz.Data[i] + hyy.Data[i] + hxx.Data[i];
            var hessian = Eigenvalues(hzz.Data, hyy.Data, hxx.Data, Average(hzy.Data, hyz.Data), hzx.Data, hyx.Data);

            // Structure tensor: outer products of the gradient, smoothed at half the scale.
            double outer = 0.5 * sigma;
            float[] Product(Volume<float> a, Volume<float> b)
            {
                var p = new float[a.Length];
                for (int i = 0; i < p.Length; i++) p[i] = a.Data[i] * b.Data[i];
                return Gaussian.Smooth(image.WithData(p), outer).Data;
            }
            var structure = Eigenvalues(Product(gz, gz), Product(gy, gy), Product(gx, gx), Product(gz, gy), Product(gz, gx), Product(gy, gx));

            features.AddRange([g.Data, log, magnitude, dog, hessian[0], hessian[1], hessian[2], structure[0], structure[1], structure[2]]);
        }
        return features.ToArray();
    }

    private static float[] Average(float[] a, float[] b)
    {
        var r = new float[a.Length];
        for (int i = 0; i < r.Length; i++) r[i] = 0.5f * (a[i] + b[i]);
        return r;
    }

    /// <summary>
    /// numpy.gradient of <paramref name="v"/> along z, y and x in physical units (1/µm): central differences inside,
    /// first-order one-sided differences at the borders, 0 along an axis of length 1.
    /// </summary>
    public static (Volume<float> Dz, Volume<float> Dy, Volume<float> Dx) Gradient(Volume<float> v)
    {
        int nz = v.NZ, ny = v.NY, nx = v.NX, plane = ny * nx;
        var s = v.Spacing;
        var dz = new float[v.Length];
        var dy = new float[v.Length];
        var dx = new float[v.Length];
        var d = v.Data;
        Parallel.For(0, nz, z =>
        {
            for (int y = 0; y < ny; y++)
            {
                int row = z * plane + y * nx;
                for (int x = 0; x < nx; x++)
                {
                    int i = row + x;
                    dx[i] = Difference(d, i, x, nx, 1, s.X);
                    dy[i] = Difference(d, i, y, ny, nx, s.Y);
                    dz[i] = Difference(d, i, z, nz, plane, s.Z);
                }
            }
        });
        return (v.WithData(dz), v.WithData(dy), v.WithData(dx));
    }

    private static float Difference(float[] d, int i, int k, int n, int stride, double h)
    {
        if (n == 1) return 0;
        if (k == 0) return (float)((d[i + stride] - d[i]) / h);
        if (k == n - 1) return (float)((d[i] - d[i - stride]) / h);
        return (float)((d[i + stride] - d[i - stride]) / (2 * h));
    }

    /// <summary>
    /// Eigenvalues (descending) of the symmetric 3×3 matrices [[a, d, e], [d, b, f], [e, f, c]] given per voxel, by
    /// the closed-form trigonometric solution of the characteristic cubic (Smith 1961), in float64.
    /// </summary>
    public static float[][] Eigenvalues(float[] a, float[] b, float[] c, float[] d, float[] e, float[] f)
    {
        int n = a.Length;
        var l0 = new float[n];
        var l1 = new float[n];
        var l2 = new float[n];
        Parallel.For(0, (n + 65535) / 65536, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * 65536);
            for (int i = chunk * 65536; i < end; i++)
            {
                var (x0, x1, x2) = SymmetricEigenvalues(a[i], b[i], c[i], d[i], e[i], f[i]);
                l0[i] = (float)x0; l1[i] = (float)x1; l2[i] = (float)x2;
            }
        });
        return [l0, l1, l2];
    }

    /// <summary>Eigenvalues, descending, of [[a, d, e], [d, b, f], [e, f, c]].</summary>
    public static (double, double, double) SymmetricEigenvalues(double a, double b, double c, double d, double e, double f)
    {
        double p1 = d * d + e * e + f * f;
        double q = (a + b + c) / 3;
        double p2 = (a - q) * (a - q) + (b - q) * (b - q) + (c - q) * (c - q) + 2 * p1;
        if (p2 <= 1e-30 * (q * q + 1e-300))
            return (q, q, q);
        if (p1 <= 1e-30 * p2)
        {
            // Diagonal: sort three numbers.
            double hi = Math.Max(a, Math.Max(b, c)), lo = Math.Min(a, Math.Min(b, c));
            return (hi, a + b + c - hi - lo, lo);
        }
        double p = Math.Sqrt(p2 / 6);
        double ba = (a - q) / p, bb = (b - q) / p, bc = (c - q) / p, bd = d / p, be = e / p, bf = f / p;
        double det = ba * (bb * bc - bf * bf) - bd * (bd * bc - bf * be) + be * (bd * bf - bb * be);
        double r = Math.Clamp(det / 2, -1, 1);
        double phi = Math.Acos(r) / 3;
        double e0 = q + 2 * p * Math.Cos(phi);
        double e2 = q + 2 * p * Math.Cos(phi + 2 * Math.PI / 3);
        return (e0, 3 * q - e0 - e2, e2);
    }
}
