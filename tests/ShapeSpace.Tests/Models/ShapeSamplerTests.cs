using MathNet.Numerics.Distributions;
using Xunit.Abstractions;

namespace ShapeStudy.ShapeSpace.Tests.Models;

/// <summary>Sampling synthetic SH shapes: reproducibility, recipes, walks, extremes, interpolation and validity.</summary>
public class ShapeSamplerTests(ITestOutputHelper output)
{
    private const int Lmax = 8;
    private static readonly Lazy<ShapeModes> Modes = new(() => ShapeModes.Fit(SpinePopulation.Vectors(Lmax), Lmax, 6, SpinePopulation.Ids));
    private static ShapeValidator Validator => new(PlausibleRanges.FromPopulation(SpinePopulation.Descriptors));
    private static RealShape Real(int i) => new(SpinePopulation.Ids[i], SpinePopulation.Vectors(Lmax)[i]);

    [Fact]
    public void SameSeed_GivesTheSameVariantsBitForBit_AndRecipesReplay()
    {
        var spec = new SamplingSpec(ShapeSamplingKind.Gaussian, Count: 6, Spread: 0.5, AroundParent: true);
        var ctx = new SamplingContext(20261125, Real(3));
        var a = ShapeSampler.Sample(Modes.Value, spec, ctx, Validator);
        var b = ShapeSampler.Sample(Modes.Value, spec, ctx, Validator);
        Assert.Equal(6, a.Accepted.Count);
        Assert.Equal(a.Accepted.Count, b.Accepted.Count);
        Assert.Equal(a.Rejected.Count, b.Rejected.Count);
        for (int i = 0; i < a.Accepted.Count; i++)
        {
            Assert.Equal(a.Accepted[i].Recipe, b.Accepted[i].Recipe);
            Assert.Equal(a.Accepted[i].Coefficients, b.Accepted[i].Coefficients);
            Assert.Equal(a.Accepted[i].Check!.Mesh!.Vertices, b.Accepted[i].Check!.Mesh!.Vertices);
            // The recipe alone recomputes the shape (JSON round trip, then the candidate function).
            var recipe = SamplingRecipe.FromJson(a.Accepted[i].Recipe.ToJson());
            Assert.Equal(a.Accepted[i].Recipe, recipe);
            Assert.Equal(Modes.Value.ContentHash, recipe.ModelHash);
            Assert.Equal("spine_03", recipe.ParentId);
            var replay = ShapeSampler.Candidate(Modes.Value, spec, ctx, recipe.Index, recipe.Attempt);
            Assert.Equal(a.Accepted[i].Coefficients, replay.Coefficients);
        }
        var other = ShapeSampler.Sample(Modes.Value, spec, ctx with { Seed = 1 }, Validator);
        Assert.NotEqual(a.Accepted[0].Coefficients, other.Accepted[0].Coefficients);
        // Every rejection carries its reason.
        foreach (var r in a.Rejected) Assert.False(string.IsNullOrEmpty(r.Check!.Reason));
        output.WriteLine(a.Accepted[0].Recipe.ToJson());
    }

    [Fact]
    public void GaussianDraws_HaveUnitLatentVariance()
    {
        var spec = new SamplingSpec(ShapeSamplingKind.Gaussian);
        int n = 4000, d = Modes.Value.LatentSize;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            var z = ShapeSampler.Candidate(Modes.Value, spec, new SamplingContext(5), i, 0).Latent;
            foreach (var v in z) { sum += v; sumSq += v * v; }
        }
        Assert.Equal(0, sum / (n * d), 0.03);
        Assert.Equal(1, sumSq / (n * d), 0.04);
    }

    [Fact]
    public void Walk_StepsAlongOneModeInSigmaUnits()
    {
        var m = Modes.Value;
        var spec = new SamplingSpec(ShapeSamplingKind.Walk, Mode: 1, Sigmas: [-1.5, 0, 1.5]);
        var batch = ShapeSampler.Sample(m, spec, new SamplingContext(9), Validator);
        var all = batch.Accepted.Concat(batch.Rejected).OrderBy(s => s.Recipe.Index).ToList();
        Assert.Equal(3, all.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(spec.Sigmas![i], all[i].Recipe.Sigma);
            var expected = m.ModeShape(1, spec.Sigmas[i]);
            for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], all[i].Coefficients[j], 12);
        }
        // Around a parent the walk starts at the parent's code.
        var parent = Real(4);
        var around = ShapeSampler.Candidate(m, spec with { AroundParent = true }, new SamplingContext(9, parent), 1, 0);
        Assert.Equal(m.Encode(parent.Coefficients), around.Latent);
    }

    [Fact]
    public void Extremes_LieAtTheRequestedMahalanobisQuantile()
    {
        var m = Modes.Value;
        var spec = new SamplingSpec(ShapeSamplingKind.Extremes, Count: 4, Quantiles: [0.5, 0.99]);
        for (int i = 0; i < 4; i++)
        {
            var s = ShapeSampler.Candidate(m, spec, new SamplingContext(13), i, 0);
            double q = i % 2 == 0 ? 0.5 : 0.99;
            double radius = Math.Sqrt(ChiSquared.InvCDF(m.LatentSize, q));
            Assert.Equal(q, s.Recipe.Quantile);
            Assert.Equal(radius, m.Mahalanobis(s.Coefficients), 9);
            // The quantile is the χ² CDF of the squared radius.
            Assert.Equal(q, ChiSquared.CDF(m.LatentSize, radius * radius), 12);
        }
    }

    [Fact]
    public void MixtureDraws_RecordTheirComponent()
    {
        var m = Modes.Value;
        var codes = SpinePopulation.Vectors(Lmax).Select(m.Encode).ToList();
        var (gmm, bic) = GaussianMixture.SelectByBic(codes, 3, 77, CovarianceKind.Diagonal, regularization: 1e-3);
        output.WriteLine($"BIC by K: {string.Join(", ", bic.Select(b => b.ToString("F1")))} → K = {gmm.Components}");
        var spec = new SamplingSpec(ShapeSamplingKind.Gaussian, Count: 5, UseMixture: true);
        var batch = ShapeSampler.Sample(m, spec, new SamplingContext(3, Mixture: gmm), Validator);
        foreach (var s in batch.Accepted.Concat(batch.Rejected))
        {
            Assert.Equal(gmm.ContentHash, s.Recipe.MixtureHash);
            Assert.InRange(s.Recipe.Component!.Value, 0, gmm.Components - 1);
        }
        Assert.Equal(5, batch.Accepted.Count);
    }

    [Fact]
    public void Interpolation_StartsAndEndsAtTheRealShapes()
    {
        var m = Modes.Value;
        var a = Real(2); var b = Real(17);
        var spec = new SamplingSpec(ShapeSamplingKind.Interpolation, Steps: 5);
        var batch = ShapeSampler.Sample(m, spec, new SamplingContext(1, a, b), Validator);
        var all = batch.Accepted.Concat(batch.Rejected).OrderBy(s => s.Recipe.Index).ToList();
        Assert.Equal(5, all.Count);
        for (int j = 0; j < a.Coefficients.Length; j++)
        {
            Assert.Equal(a.Coefficients[j], all[0].Coefficients[j], 12);
            Assert.Equal(b.Coefficients[j], all[4].Coefficients[j], 12);
        }
        // PCA is linear, so the sequence is the straight line between the two coefficient vectors.
        for (int j = 0; j < a.Coefficients.Length; j++)
            Assert.Equal(0.25 * a.Coefficients[j] + 0.75 * b.Coefficients[j], all[3].Coefficients[j], 12);
        Assert.Equal(0.75, all[3].Recipe.T);
        Assert.Equal("spine_17", all[3].Recipe.PartnerId);
    }

    [Fact]
    public void ImpossibleRanges_GiveEveryAttemptARecordedReason_AndStopAtTheBudget()
    {
        var impossible = new PlausibleRanges(1e6, 2e6, 0, 1e12, 0, 1e6, 0, 1e6, 0, 1);
        var spec = new SamplingSpec(ShapeSamplingKind.Gaussian, Count: 3, MaxAttemptsPerVariant: 2);
        var batch = ShapeSampler.Sample(Modes.Value, spec, new SamplingContext(8), new ShapeValidator(impossible, Subdivisions: 2));
        Assert.Empty(batch.Accepted);
        Assert.Equal(6, batch.Rejected.Count);
        Assert.Equal(6, batch.Rejected.Select(r => (r.Recipe.Index, r.Recipe.Attempt)).Distinct().Count());
        foreach (var r in batch.Rejected)
            Assert.True(r.Check!.Reason!.StartsWith("implausible: volume_um3", StringComparison.Ordinal)
                        || r.Check.Reason.StartsWith("self_intersection", StringComparison.Ordinal), r.Check.Reason);
    }

    [Fact]
    public void RadialVolume_MatchesTheReconstructedMesh()
    {
        var mean = Modes.Value.MeanShape();
        double quadrature = ShVectors.RadialVolume(mean, Lmax);
        double mesh = ShVectors.ToShape(mean, Lmax).Reconstruct(6, inInputFrame: false).SignedVolume();
        Assert.True(Math.Abs(quadrature / mesh - 1) < 0.005, $"{quadrature} vs {mesh}");
    }

    [Fact]
    public void Validator_NamesTheReasonForEachRejection()
    {
        var v = new ShapeValidator(null);
        // A sphere of radius 1 µm passes; its volume is 4π/3.
        var sphere = new double[RealSphericalHarmonics.Count(2)];
        sphere[0] = Math.Sqrt(4 * Math.PI);
        var ok = v.Check(sphere, 2);
        Assert.True(ok.IsValid, ok.Reason);
        Assert.Equal(4 * Math.PI / 3, ok.Descriptors!.VolumeUm3, 0.01);
        Assert.Equal(4 * Math.PI / 3, ShVectors.RadialVolume(sphere, 2), 12);
        // r = 1 + 2 cos θ is negative around the south pole: the radial surface folds through the centre.
        var folded = (double[])sphere.Clone();
        folded[RealSphericalHarmonics.Index(1, 0)] = 2 * Math.Sqrt(4 * Math.PI / 3);
        var bad = v.Check(folded, 2);
        Assert.False(bad.IsValid);
        Assert.StartsWith("self_intersection", bad.Reason);
        Assert.Equal(-1, bad.MinRadiusUm, 1e-9);   // the south pole is an icosphere vertex
        var nan = (double[])sphere.Clone(); nan[3] = double.NaN;
        Assert.Equal("non_finite_coefficients", v.Check(nan, 2).Reason);
        // Outside the plausible volume range.
        var ranges = new PlausibleRanges(10, 20, 0, 1e9, 0, 1e9, 0, 1e9, 0, 1);
        var tooSmall = new ShapeValidator(ranges).Check(sphere, 2);
        Assert.False(tooSmall.IsValid);
        Assert.StartsWith("implausible: volume_um3", tooSmall.Reason);
    }

    [Fact]
    public void ValidSamples_HaveNoSelfIntersectingTriangles()
    {
        // The cheap criterion (r > 0) against a brute-force triangle–triangle intersection test on sampled meshes.
        var batch = ShapeSampler.Sample(Modes.Value, new SamplingSpec(ShapeSamplingKind.Gaussian, Count: 3), new SamplingContext(31),
            Validator with { Subdivisions = 2 });
        foreach (var s in batch.Accepted)
        {
            var mesh = s.Check!.Mesh!;
            Assert.Equal(0, TriangleIntersections.Count(mesh));
        }
        // And a folded shape does self-intersect.
        var sphere = new double[RealSphericalHarmonics.Count(2)];
        sphere[0] = Math.Sqrt(4 * Math.PI);
        sphere[RealSphericalHarmonics.Index(1, 0)] = 2 * Math.Sqrt(4 * Math.PI / 3);
        sphere[RealSphericalHarmonics.Index(2, 2)] = 0.3;
        var folded = new ShapeValidator(null, Subdivisions: 2).Check(sphere, 2);
        Assert.True(TriangleIntersections.Count(folded.Mesh!) > 0);
    }
}

/// <summary>Brute-force count of intersecting pairs of non-adjacent triangles (separating-axis test), for small meshes.</summary>
internal static class TriangleIntersections
{
    public static int Count(Core.TriangleMesh mesh)
    {
        var v = mesh.Vertices; var t = mesh.Triangles; int m = mesh.TriangleCount;
        int count = 0;
        for (int a = 0; a < m; a++)
            for (int b = a + 1; b < m; b++)
            {
                bool shared = false;
                for (int i = 0; i < 3 && !shared; i++) for (int j = 0; j < 3; j++) if (t[3 * a + i] == t[3 * b + j]) { shared = true; break; }
                if (shared) continue;
                if (Intersect(Tri(v, t, a), Tri(v, t, b))) count++;
            }
        return count;
    }

    private static double[][] Tri(double[] v, int[] t, int k) =>
        [[v[3 * t[3 * k]], v[3 * t[3 * k] + 1], v[3 * t[3 * k] + 2]],
         [v[3 * t[3 * k + 1]], v[3 * t[3 * k + 1] + 1], v[3 * t[3 * k + 1] + 2]],
         [v[3 * t[3 * k + 2]], v[3 * t[3 * k + 2] + 1], v[3 * t[3 * k + 2] + 2]]];

    private static double[] Sub(double[] a, double[] b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    private static double[] Cross(double[] a, double[] b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    private static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    /// <summary>Two triangles intersect iff no separating axis exists among the 2 normals and 9 edge cross products.</summary>
    private static bool Intersect(double[][] p, double[][] q)
    {
        var axes = new List<double[]> { Cross(Sub(p[1], p[0]), Sub(p[2], p[0])), Cross(Sub(q[1], q[0]), Sub(q[2], q[0])) };
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                axes.Add(Cross(Sub(p[(i + 1) % 3], p[i]), Sub(q[(j + 1) % 3], q[j])));
        foreach (var ax in axes)
        {
            if (Dot(ax, ax) < 1e-30) continue;
            double pMin = double.MaxValue, pMax = double.MinValue, qMin = double.MaxValue, qMax = double.MinValue;
            foreach (var x in p) { double d = Dot(ax, x); pMin = Math.Min(pMin, d); pMax = Math.Max(pMax, d); }
            foreach (var x in q) { double d = Dot(ax, x); qMin = Math.Min(qMin, d); qMax = Math.Max(qMax, d); }
            double tol = 1e-12 * Math.Sqrt(Dot(ax, ax));
            if (pMax < qMin - tol || qMax < pMin - tol) return false;
        }
        return true;
    }
}
