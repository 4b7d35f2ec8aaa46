using ShapeStudy.Core;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.ShapeSpace.Tests.Harmonics;

/// <summary>Spherical-harmonic basis, fitting, reconstruction and error measures.</summary>
public class SphericalHarmonicsTests(ITestOutputHelper output)
{
    [Fact]
    public void GaussLegendre_IntegratesPolynomialsExactly()
    {
        var (x, w) = GaussLegendre.Rule(9);
        for (int k = 0; k <= 17; k++)
        {
            double sum = 0;
            for (int i = 0; i < x.Length; i++) sum += w[i] * Math.Pow(x[i], k);
            double exact = k % 2 == 1 ? 0 : 2.0 / (k + 1);
            Assert.True(Math.Abs(sum - exact) < 1e-14, $"x^{k}: {sum} vs {exact}");
        }
    }

    [Fact]
    public void Basis_IsOrthonormalOnTheSamplingGrid()
    {
        const int lmax = 10;
        int nTheta = lmax + 1, nPhi = 2 * lmax + 1, count = RealSphericalHarmonics.Count(lmax);
        var (x, w) = GaussLegendre.Rule(nTheta);
        var gram = new double[count, count];
        var y = new double[count];
        for (int i = 0; i < nTheta; i++)
            for (int j = 0; j < nPhi; j++)
            {
                double phi = 2 * Math.PI * j / nPhi;
                RealSphericalHarmonics.EvaluateAngles(lmax, x[i], Math.Sqrt(1 - x[i] * x[i]), phi, y);
                double weight = w[i] * 2 * Math.PI / nPhi;
                for (int a = 0; a < count; a++)
                    for (int b = 0; b < count; b++) gram[a, b] += weight * y[a] * y[b];
            }
        for (int a = 0; a < count; a++)
            for (int b = 0; b < count; b++)
                Assert.True(Math.Abs(gram[a, b] - (a == b ? 1 : 0)) < 1e-12, $"gram[{a},{b}] = {gram[a, b]}");
    }

    [Fact]
    public void Basis_MatchesClosedForms()
    {
        // Y_00 = 1/(2√π); Y_10 = √(3/4π) z; Y_11 = √(3/4π) x; Y_1−1 = √(3/4π) y; Y_20 = √(5/16π)(3z² − 1); Y_22 = √(15/16π)(x² − y²).
        double x = 0.36, y = -0.48, z = 0.8;
        var v = new double[9];
        RealSphericalHarmonics.Evaluate(2, x, y, z, v);
        double c1 = Math.Sqrt(3 / (4 * Math.PI));
        Assert.Equal(0.5 / Math.Sqrt(Math.PI), v[0], 14);
        Assert.Equal(c1 * y, v[RealSphericalHarmonics.Index(1, -1)], 14);
        Assert.Equal(c1 * z, v[RealSphericalHarmonics.Index(1, 0)], 14);
        Assert.Equal(c1 * x, v[RealSphericalHarmonics.Index(1, 1)], 14);
        Assert.Equal(Math.Sqrt(5 / (16 * Math.PI)) * (3 * z * z - 1), v[RealSphericalHarmonics.Index(2, 0)], 14);
        Assert.Equal(Math.Sqrt(15 / (16 * Math.PI)) * (x * x - y * y), v[RealSphericalHarmonics.Index(2, 2)], 14);
        Assert.Equal(Math.Sqrt(15 / (4 * Math.PI)) * x * y, v[RealSphericalHarmonics.Index(2, -2)], 14);
    }

    [Fact]
    public void Sphere_HasOnlyTheL0Coefficient()
    {
        var fit = SphericalHarmonics.FitRadialFunction((_, _, _) => 2.5, 16);
        Assert.True(Math.Abs(fit.Coefficients[0] / (2.5 * Math.Sqrt(4 * Math.PI)) - 1) < 1e-13);
        for (int k = 1; k < fit.Coefficients.Length; k++)
            Assert.True(Math.Abs(fit.Coefficients[k]) < 1e-9 * fit.Coefficients[0], $"c[{k}] = {fit.Coefficients[k]}");
        // The same from a fine sphere mesh: the l > 0 residue is only the polyhedral faceting.
        var mesh = Icosphere.Create(6).Transformed((a, b, c) => (1 + 2.5 * a, -3 + 2.5 * b, 0.5 + 2.5 * c));
        var meshFit = SphericalHarmonics.Fit(mesh, 8);
        Assert.True(meshFit.IsStarShaped);
        var p = meshFit.PowerSpectrum();
        for (int l = 1; l <= 8; l++) Assert.True(Math.Sqrt(p[l]) < 2e-4 * meshFit.Coefficients[0], $"l={l}: {Math.Sqrt(p[l])}");
    }

    [Fact]
    public void KnownCoefficients_AreRecovered()
    {
        var truth = new double[RealSphericalHarmonics.Count(6)];
        truth[0] = 3; truth[RealSphericalHarmonics.Index(2, 1)] = 0.4; truth[RealSphericalHarmonics.Index(5, -3)] = -0.2; truth[RealSphericalHarmonics.Index(6, 6)] = 0.1;
        var fit = SphericalHarmonics.FitRadialFunction((x, y, z) =>
        {
            var basis = new double[truth.Length];   // the radius function is called from several threads
            RealSphericalHarmonics.Evaluate(6, x, y, z, basis);
            double r = 0;
            for (int k = 0; k < truth.Length; k++) r += truth[k] * basis[k];
            return r;
        }, 10, samplingFactor: 1);
        for (int k = 0; k < fit.Coefficients.Length; k++)
            Assert.True(Math.Abs(fit.Coefficients[k] - (k < truth.Length ? truth[k] : 0)) < 1e-12, $"c[{k}] = {fit.Coefficients[k]}");
    }

    /// <summary>Ellipsoid area by 2-D Gauss–Legendre quadrature of |∂p/∂θ × ∂p/∂φ| over (θ, φ); converges spectrally.</summary>
    private static double EllipsoidArea(double a, double b, double c)
    {
        var (x, w) = GaussLegendre.Rule(400);
        double area = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double theta = Math.PI / 2 * (x[i] + 1);
            double st = Math.Sin(theta), ct = Math.Cos(theta);
            for (int j = 0; j < x.Length; j++)
            {
                double phi = Math.PI * (x[j] + 1);
                double sp = Math.Sin(phi), cp = Math.Cos(phi);
                // p = (a st cp, b st sp, c ct); |p_θ × p_φ| = st √(b²c² st² cp² + a²c² st² sp² + a²b² ct²)
                double n = st * Math.Sqrt(b * b * c * c * st * st * cp * cp + a * a * c * c * st * st * sp * sp + a * a * b * b * ct * ct);
                area += w[i] * w[j] * n * (Math.PI / 2) * Math.PI;
            }
        }
        return area;
    }

    [Fact]
    public void Ellipsoid_ReconstructionMatchesClosedFormVolumeAndArea()
    {
        const double a = 3, b = 2, c = 1.5;
        double volume = 4.0 / 3.0 * Math.PI * a * b * c, area = EllipsoidArea(a, b, c);
        // Sanity of the area quadrature: the sphere limit and Knud Thomsen's approximation (error ≤ 1.061 %).
        Assert.Equal(4 * Math.PI, EllipsoidArea(1, 1, 1), 9);
        double pe = 1.6075, thomsen = 4 * Math.PI * Math.Pow((Math.Pow(a * b, pe) + Math.Pow(a * c, pe) + Math.Pow(b * c, pe)) / 3, 1 / pe);
        Assert.True(Math.Abs(area / thomsen - 1) < 0.011);

        var analytic = SphericalHarmonics.FitRadialFunction((x, y, z) => 1 / Math.Sqrt(x * x / (a * a) + y * y / (b * b) + z * z / (c * c)), 16);
        var mesh = analytic.Reconstruct(6);
        Assert.True(mesh.IsWatertight());
        Assert.True(Math.Abs(mesh.SignedVolume() / volume - 1) < 0.005, $"volume {mesh.SignedVolume()} vs {volume}");
        Assert.True(Math.Abs(mesh.Area() / area - 1) < 0.005, $"area {mesh.Area()} vs {area}");

        // From a rotated, translated ellipsoid mesh: centred, aligned and reconstructed in the input frame.
        var r = TestShapes.Rotation(0.4, -0.9, 1.3);
        var input = TestShapes.EllipsoidMesh(a, b, c, 6, r, (10, -4, 7));
        var fit = SphericalHarmonics.Fit(input, 16);
        Assert.True(fit.IsStarShaped);
        var rec = fit.Reconstruct(6);
        Assert.True(Math.Abs(rec.SignedVolume() / volume - 1) < 0.005, $"volume {rec.SignedVolume()} vs {volume}");
        Assert.True(Math.Abs(rec.Area() / area - 1) < 0.005, $"area {rec.Area()} vs {area}");
        Assert.True(fit.MeanSurfaceDistanceUm < 0.002 * fit.EquivalentDiameterUm, $"mean distance {fit.MeanSurfaceDistanceUm}");
        var rc = rec.VolumeCentroid();
        Assert.True(Math.Abs(rc.X - 10) < 1e-3 && Math.Abs(rc.Y + 4) < 1e-3 && Math.Abs(rc.Z - 7) < 1e-3);
        // Aligned frame: major axis along the ellipsoid's a-axis (column 0 of r), up to sign.
        double dot = fit.Rotation[0] * r[0] + fit.Rotation[3] * r[3] + fit.Rotation[6] * r[6];
        Assert.True(Math.Abs(Math.Abs(dot) - 1) < 1e-6);
    }

    private static TriangleMesh Spine(int i) => Obj.Read(RepoPaths.Data("microns-spines", $"spine_{i:00}.obj"));

    [Fact]
    public void Coefficients_AreInvariantToRotationAndTranslation()
    {
        var mesh = Spine(9);
        var r = TestShapes.Rotation(2.1, 0.3, -1.2);
        var moved = mesh.Transformed((x, y, z) =>
            (r[0] * x + r[1] * y + r[2] * z + 5, r[3] * x + r[4] * y + r[5] * z - 2, r[6] * x + r[7] * y + r[8] * z + 1));
        var f0 = SphericalHarmonics.Fit(mesh, 12);
        var f1 = SphericalHarmonics.Fit(moved, 12);
        double scale = f0.Coefficients[0];
        for (int k = 0; k < f0.Coefficients.Length; k++)
            Assert.True(Math.Abs(f0.Coefficients[k] - f1.Coefficients[k]) < 1e-6 * scale, $"c[{k}]: {f0.Coefficients[k]} vs {f1.Coefficients[k]}");
        var p0 = f0.PowerSpectrum();
        var p1 = f1.PowerSpectrum();
        for (int l = 0; l <= 12; l++) Assert.True(Math.Abs(p0[l] - p1[l]) <= 1e-6 * p0[0], $"P_{l}");
        // Uniform scaling by s scales every coefficient by s (lengths in µm).
        var scaled = SphericalHarmonics.Fit(mesh.Transformed((x, y, z) => (2.5 * x, 2.5 * y, 2.5 * z)), 12);
        for (int k = 0; k < f0.Coefficients.Length; k++)
            Assert.True(Math.Abs(scaled.Coefficients[k] - 2.5 * f0.Coefficients[k]) < 1e-6 * scale, $"scaled c[{k}]");
        Assert.Equal(f0.MeanSurfaceDistanceUm, f1.MeanSurfaceDistanceUm, 6);
        Assert.Equal(f0.IsStarShaped, f1.IsStarShaped);
        // Rotating the input rotates the frame: R · Rotation₀ = Rotation₁.
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double rr = r[3 * i] * f0.Rotation[j] + r[3 * i + 1] * f0.Rotation[3 + j] + r[3 * i + 2] * f0.Rotation[6 + j];
                Assert.True(Math.Abs(rr - f1.Rotation[3 * i + j]) < 1e-8);
            }
    }

    [Fact]
    public void PowerSpectrum_IsInvariantToRotationOfTheRadialFunction()
    {
        // Without alignment: rotate an asymmetric analytic shape; the per-degree power is unchanged.
        Func<double, double, double, double> shape = (x, y, z) => 2 + 0.3 * x * y + 0.2 * z * z * z + 0.1 * x;
        var r = TestShapes.Rotation(0.8, 1.1, -0.5);
        var f0 = SphericalHarmonics.FitRadialFunction(shape, 6);
        var f1 = SphericalHarmonics.FitRadialFunction((x, y, z) =>
            shape(r[0] * x + r[3] * y + r[6] * z, r[1] * x + r[4] * y + r[7] * z, r[2] * x + r[5] * y + r[8] * z), 6);
        var p0 = f0.PowerSpectrum();
        var p1 = f1.PowerSpectrum();
        Assert.True(Math.Abs(f0.Coefficients[5] - f1.Coefficients[5]) > 1e-3);   // coefficients themselves change
        for (int l = 0; l <= 6; l++) Assert.True(Math.Abs(p0[l] - p1[l]) < 1e-12 * p0[0], $"P_{l}: {p0[l]} vs {p1[l]}");
    }

    [Fact]
    public void Mask_CoefficientsScaleWithSpacing_AndAnisotropyIsHonoured()
    {
        var iso = TestShapes.EllipsoidMask(40, 40, 40, Spacing.Isotropic(0.25), (5, 5, 5), (4, 3, 2), TestShapes.Rotation(0.3, 0.2, 0.1));
        var fIso = SphericalHarmonics.Fit(iso, 8);
        Assert.True(fIso.IsStarShaped);
        // Same voxels, doubled spacing: every length doubles, so every coefficient doubles.
        var doubled = new Volume<byte>(40, 40, 40, Spacing.Isotropic(0.5), iso.Data);
        var fDoubled = SphericalHarmonics.Fit(doubled, 8);
        for (int k = 0; k < fIso.Coefficients.Length; k++)
            Assert.True(Math.Abs(fDoubled.Coefficients[k] - 2 * fIso.Coefficients[k]) < 1e-9 * fIso.Coefficients[0], $"c[{k}]");
        Assert.Equal(2 * fIso.MeanSurfaceDistanceUm, fDoubled.MeanSurfaceDistanceUm, 9);

        // The same physical ellipsoid sampled with anisotropic voxels (z twice as coarse) gives the same shape.
        var aniso = TestShapes.EllipsoidMask(20, 40, 40, new Spacing(0.5, 0.25, 0.25), (5, 5, 5), (4, 3, 2), TestShapes.Rotation(0.3, 0.2, 0.1));
        var fAniso = SphericalHarmonics.Fit(aniso, 8);
        Assert.True(fAniso.IsStarShaped);
        var p0 = fIso.PowerSpectrum();
        var p1 = fAniso.PowerSpectrum();
        Assert.True(Math.Abs(fAniso.Coefficients[0] / fIso.Coefficients[0] - 1) < 0.02);
        Assert.True(Math.Abs(Math.Sqrt(p1[2] / p0[2]) - 1) < 0.05, $"P2 {p1[2]} vs {p0[2]}");
        // And both agree with the analytic ellipsoid (semi-axes 4, 3, 2 µm): c00 within 2 %.
        var exact = SphericalHarmonics.FitRadialFunction((x, y, z) => 1 / Math.Sqrt(x * x / 16 + y * y / 9 + z * z / 4), 8);
        Assert.True(Math.Abs(fAniso.Coefficients[0] / exact.Coefficients[0] - 1) < 0.02);
        Assert.True(fIso.MeanSurfaceDistanceUm < 0.25, $"mean {fIso.MeanSurfaceDistanceUm}");
    }

    [Fact]
    public void NonStarShapedShapes_AreFlagged()
    {
        // A torus: the centroid lies in the hole (outside the solid).
        const int nu = 48, nv = 24;
        var v = new List<double>();
        var t = new List<int>();
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                double u = 2 * Math.PI * i / nu, w = 2 * Math.PI * j / nv;
                v.AddRange([(3 + Math.Cos(w)) * Math.Cos(u), (3 + Math.Cos(w)) * Math.Sin(u), Math.Sin(w)]);
            }
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                int a = i * nv + j, b = (i + 1) % nu * nv + j, c = (i + 1) % nu * nv + (j + 1) % nv, d = i * nv + (j + 1) % nv;
                t.AddRange([a, b, c, a, c, d]);
            }
        var torus = new TriangleMesh(v.ToArray(), t.ToArray());
        Assert.True(torus.IsWatertight() && torus.SignedVolume() > 0);
        var f = SphericalHarmonics.Fit(torus, 6);
        Assert.False(f.IsStarShaped);
        Assert.True(f.MultiCrossingRayFraction > 0.5);
        Assert.True(f.Reconstruct(3).IsWatertight());

        // A C-shaped mask: rays from the centroid cross the gap.
        var mask = new Volume<byte>(10, 30, 30, Spacing.Isotropic(0.2));
        for (int z = 0; z < 10; z++)
            for (int y = 0; y < 30; y++)
                for (int x = 0; x < 30; x++)
                {
                    double dy = y - 14.5, dx = x - 14.5, rr = Math.Sqrt(dx * dx + dy * dy);
                    if (rr > 9 && rr < 14 && !(dx > 0 && Math.Abs(dy) < 4)) mask[z, y, x] = 1;
                }
        var fm = SphericalHarmonics.Fit(mask, 6);
        Assert.False(fm.IsStarShaped);
    }

    [Fact]
    public void MicronsSpines_Lmax16_ReconstructWithinThreePercentWhenStarShaped()
    {
        // Measured: all 24 real spines have rays from the centroid that fold deeper than 2 % of the equivalent diameter
        // (flared bases, bent necks; spines 01, 12, 13 and 18 have their centroid outside the solid), so all are
        // flagged. The done-means rule is still checked as stated, and the typical (median) error is held below 3 %.
        int star = 0;
        var relative = new List<double>();
        for (int i = 0; i < 24; i++)
        {
            var mesh = Spine(i);
            var f = SphericalHarmonics.Fit(mesh, 16);
            double rel = f.MeanSurfaceDistanceUm / f.EquivalentDiameterUm;
            output.WriteLine(FormattableString.Invariant(
                $"spine {i:00}: star={f.IsStarShaped} multi={f.MultiCrossingRayFraction:F4} eqd={f.EquivalentDiameterUm:F3} µm mean={f.MeanSurfaceDistanceUm:F4} µm ({100 * rel:F2} %) hausdorff={f.HausdorffDistanceUm:F4} µm"));
            Assert.True(f.Reconstruct(4).IsWatertight());
            relative.Add(rel);
            if (!f.IsStarShaped) { Assert.True(f.MultiCrossingRayFraction > 0); continue; }
            star++;
            Assert.True(rel < 0.03, $"spine {i}: mean distance {rel:P2} of the equivalent diameter");
        }
        output.WriteLine($"star-shaped: {star} of 24");
        relative.Sort();
        double median = (relative[11] + relative[12]) / 2;
        output.WriteLine(FormattableString.Invariant($"median relative mean distance {100 * median:F2} %"));
        Assert.True(median < 0.03);
    }
}
