using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class FilterTests
{
    [Theory]
    [InlineData("cube_r1")]
    [InlineData("cube_r2")]
    [InlineData("ball_r2")]
    [InlineData("aniso_ball_2.5um_z2")]
    public void MedianEqualsScipy(string key)
    {
        var crop = FiltersMetricsReference.RawCrop();
        var expected = FiltersMetricsReference.Bytes(FiltersMetricsReference.Morphology.GetProperty("median").GetProperty(key));
        var actual = key switch
        {
            "cube_r1" => Median.Filter(crop, 1),
            "cube_r2" => Median.Filter(crop, 2),   // 125 voxels: the sliding sorted-window path
            "ball_r2" => Median.Filter(crop, StructuringElement.Ball(2)),
            _ => Median.FilterBall(new Volume<float>(crop.NZ, crop.NY, crop.NX, new Spacing(2, 1, 1), crop.Data), 2.5),
        };
        Assert.Equal(expected, actual.Data);
    }

    [Fact]
    public void SelectReturnsTheRankedElement()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + rng.Next(150);
            var a = Enumerable.Range(0, n).Select(_ => (float)rng.Next(20)).ToArray();
            var sorted = a.OrderBy(v => v).ToArray();
            int k = rng.Next(n);
            Assert.Equal(sorted[k], Median.Select((float[])a.Clone(), k));
        }
    }

    [Theory]
    [InlineData("box_3x5x7")]
    [InlineData("ball_r2")]
    [InlineData("aniso_ball_2.5um_z2")]
    public void WhiteTopHatEqualsScipy(string key)
    {
        var crop = FiltersMetricsReference.RawCrop();
        var expected = FiltersMetricsReference.Bytes(FiltersMetricsReference.Morphology.GetProperty("grey").GetProperty(key).GetProperty("white_tophat"));
        var actual = key switch
        {
            "box_3x5x7" => Background.WhiteTopHat(crop, StructuringElement.Box(1, 2, 3)),
            "ball_r2" => Background.WhiteTopHat(crop, 2.0),
            _ => Background.WhiteTopHat(new Volume<float>(crop.NZ, crop.NY, crop.NX, new Spacing(2, 1, 1), crop.Data), 2.5),
        };
        Assert.Equal(expected, actual.Data);
    }

    [Fact]
    public void BlackTopHatIsWhiteTopHatOfTheNegative()
    {
        var crop = FiltersMetricsReference.RawCrop();
        var negative = crop.WithData(crop.Data.Select(v => -v).ToArray());
        var black = Background.BlackTopHat(crop, 2.0).Data;
        var white = Background.WhiteTopHat(negative, 2.0).Data;
        Assert.Equal(white, black);
        Assert.All(black, v => Assert.True(v >= 0));
    }

    [Fact]
    public void WhiteTopHatRemovesPlateausWiderThanTheBallAndKeepsASmallSpot()
    {
        // Background: two plateaus (10 | 30) each wider than the ball (radius 1.5 µm = 3 z / 6 y,x voxels), which the
        // opening preserves; a bright 3×3×3 blob (+50) on the upper plateau is smaller than the ball and is removed by
        // the opening, so the top-hat is exactly the blob.
        var v = new Volume<float>(12, 24, 40, new Spacing(0.5, 0.25, 0.25));
        static bool Blob(int z, int y, int x) => Math.Abs(z - 6) <= 1 && Math.Abs(y - 12) <= 1 && Math.Abs(x - 28) <= 1;
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                    v[z, y, x] = (x < 16 ? 10 : 30) + (Blob(z, y, x) ? 50 : 0);
        var th = Background.WhiteTopHat(v, 1.5);
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                    Assert.Equal(Blob(z, y, x) ? 50f : 0f, th[z, y, x]);
    }

    private static Volume<float> NoisyStep(int seed, out int edgeX)
    {
        var rng = new Random(seed);
        var v = new Volume<float>(12, 24, 32, Spacing.Isotropic(1));
        edgeX = 16;
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                {
                    double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    v[z, y, x] = (float)((x >= edgeX ? 100 : 0) + 10 * g);
                }
        return v;
    }

    private static double FlatStd(Volume<float> v)
    {
        // Residual spread in the flat regions x < 8 and x ≥ 24 about each side's true level.
        double ss = 0;
        long n = 0;
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                {
                    if (x >= 8 && x < 24) continue;
                    double d = v[z, y, x] - (x >= 16 ? 100 : 0);
                    ss += d * d; n++;
                }
        return Math.Sqrt(ss / n);
    }

    private static double Jump(Volume<float> v, int edgeX)
    {
        double s = 0;
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++) s += v[z, y, edgeX] - v[z, y, edgeX - 1];
        return s / (v.NZ * v.NY);
    }

    [Theory]
    [InlineData(Conduction.Exponential)]
    [InlineData(Conduction.Quadratic)]
    public void PeronaMalikKeepsAStepThatAGaussianOfEqualFlatSmoothingBlurs(Conduction conduction)
    {
        var v = NoisyStep(11, out int edge);
        var pm = PeronaMalik.Diffuse(v, 40, conduction == Conduction.Exponential ? 20 : 10, PeronaMalik.MaxStableTimeStep(v.Spacing), conduction);
        double target = FlatStd(pm);
        Assert.True(target < 4.0, $"diffusion should reduce the noise std of 10, got {target}");
        // Gaussian σ (µm) giving the same flat-region noise, by bisection (noise decreases with σ).
        double lo = 0.05, hi = 10;
        for (int k = 0; k < 40; k++)
        {
            double mid = 0.5 * (lo + hi);
            if (FlatStd(Gaussian.Smooth(v, mid)) > target) lo = mid; else hi = mid;
        }
        var gauss = Gaussian.Smooth(v, hi);
        double pmJump = Jump(pm, edge), gaussJump = Jump(gauss, edge);
        Assert.True(pmJump > 80, $"Perona–Malik jump {pmJump}");
        Assert.True(pmJump > 1.8 * gaussJump, $"Perona–Malik jump {pmJump} vs Gaussian {gaussJump} (σ = {hi} µm)");
    }

    [Fact]
    public void PeronaMalikConservesMassAndLowersTotalVariationEveryStep()
    {
        var v = NoisyStep(3, out _);
        v = new Volume<float>(v.NZ, v.NY, v.NX, new Spacing(2.0, 0.7, 0.5), v.Data);
        double dt = PeronaMalik.MaxStableTimeStep(v.Spacing);
        double mass0 = v.Data.Sum(x => (double)x);
        double tv = TotalVariation(v);
        var u = v;
        for (int step = 0; step < 25; step++)
        {
            u = PeronaMalik.Diffuse(u, 1, 15, dt);
            double t = TotalVariation(u);
            Assert.True(t < tv, $"step {step}: TV {t} ≥ {tv}");
            tv = t;
        }
        double mass = u.Data.Sum(x => (double)x);
        Assert.True(Math.Abs(mass - mass0) <= 1e-6 * Math.Abs(mass0), $"mass {mass} vs {mass0}");
        // Maximum principle: the range only shrinks.
        Assert.True(u.Data.Max() <= v.Data.Max() && u.Data.Min() >= v.Data.Min());
    }

    private static double TotalVariation(Volume<float> v)
    {
        double tv = 0;
        var s = v.Spacing;
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                {
                    // Anisotropic (ℓ1) TV in intensity·µm²: |Δu| across each face times the face area.
                    if (x + 1 < v.NX) tv += Math.Abs(v[z, y, x + 1] - v[z, y, x]) * s.Z * s.Y;
                    if (y + 1 < v.NY) tv += Math.Abs(v[z, y + 1, x] - v[z, y, x]) * s.Z * s.X;
                    if (z + 1 < v.NZ) tv += Math.Abs(v[z + 1, y, x] - v[z, y, x]) * s.Y * s.X;
                }
        return tv;
    }

    [Fact]
    public void PeronaMalikWithHugeKappaIsTheDiscreteHeatEquationOnAnAnisotropicGrid()
    {
        // Cell-centred Neumann eigenmode cos(π m (i + ½) / n) per axis decays by (1 − dt Σ λ_a) per step with
        // λ_a = (2 − 2 cos(π m_a / n_a)) / h_a².
        var s = new Spacing(2.0, 1.0, 0.5);
        int nz = 6, ny = 5, nx = 16, mz = 1, mx = 3;
        var v = new Volume<float>(nz, ny, nx, s);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    v[z, y, x] = (float)(100 * Math.Cos(Math.PI * mz * (z + 0.5) / nz) * Math.Cos(Math.PI * mx * (x + 0.5) / nx));
        double dt = 0.9 * PeronaMalik.MaxStableTimeStep(s);
        int steps = 30;
        var u = PeronaMalik.Diffuse(v, steps, 1e12, dt, Conduction.Quadratic);
        double lambda = (2 - 2 * Math.Cos(Math.PI * mz / nz)) / (s.Z * s.Z) + (2 - 2 * Math.Cos(Math.PI * mx / nx)) / (s.X * s.X);
        double factor = Math.Pow(1 - dt * lambda, steps);
        for (int i = 0; i < v.Length; i++) Assert.Equal(v.Data[i] * factor, u.Data[i], 1e-3);
    }

    [Fact]
    public void PeronaMalikRejectsUnstableTimeSteps()
    {
        var v = new Volume<float>(2, 2, 2, new Spacing(1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PeronaMalik.Diffuse(v, 1, 1, 1.0 / 6 * 1.01));
        Assert.Equal(1.0 / 6, PeronaMalik.MaxStableTimeStep(v.Spacing), 15);
    }
}
