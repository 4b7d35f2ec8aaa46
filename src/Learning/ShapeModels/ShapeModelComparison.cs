using ShapeStudy.Core;
using ShapeStudy.ShapeSpace;

namespace ShapeStudy.Learning;

/// <summary>Held-out reconstruction and sampling quality of one model family over all folds.</summary>
/// <param name="Model">"mean", "pca" or "vae".</param>
/// <param name="MeanRmsRadialErrorUm">Mean over held-out shapes of the RMS radial error ‖c − decode(encode(c))‖ / sqrt(4π) (µm).</param>
/// <param name="MeanRelativeError">Mean over held-out shapes of that error divided by the shape's equivalent diameter.</param>
/// <param name="ValidSampleFraction">Fraction of prior draws z ~ N(0, I) (one attempt each) that pass the <see cref="ShapeValidator"/>; NaN for "mean".</param>
/// <param name="Samples">Prior draws checked.</param>
/// <param name="RejectionReasons">Count of rejected draws per reason category (the text before the first ':').</param>
public sealed record ModelScore(string Model, double MeanRmsRadialErrorUm, double MeanRelativeError, double ValidSampleFraction, int Samples,
    IReadOnlyDictionary<string, int> RejectionReasons);

/// <summary>Result of <see cref="ShapeModelComparison.LeaveSomeOut"/>.</summary>
public sealed record ModelComparison(int Lmax, int LatentSize, int Folds, int Shapes, ModelScore Mean, ModelScore Pca, ModelScore Vae,
    IReadOnlyList<HeldOutError> PerShape);

/// <summary>Held-out RMS radial errors (µm) of one shape under each model.</summary>
public sealed record HeldOutError(string Id, int Fold, double EquivalentDiameterUm, double MeanUm, double PcaUm, double VaeUm);

/// <summary>PCA versus VAE shape models at the same latent size, by k-fold leave-some-out over real shapes.</summary>
public static class ShapeModelComparison
{
    /// <summary>
    /// Splits <paramref name="shapes"/> into <paramref name="folds"/> folds (a seeded permutation, then round-robin), and
    /// for each fold fits PCA shape modes and trains a VAE (same latent size, <paramref name="vae"/> with a per-fold
    /// seed) on the other folds, measures the held-out shapes' reconstruction error, and checks
    /// <paramref name="samplesPerFold"/> prior draws from each model with <paramref name="validator"/>.
    /// <paramref name="equivalentDiametersUm"/> (one per shape) normalizes the errors.
    /// </summary>
    public static ModelComparison LeaveSomeOut(IReadOnlyList<RealShape> shapes, IReadOnlyList<double> equivalentDiametersUm, int lmax,
        int folds, VaeOptions vae, ShapeValidator validator, int samplesPerFold, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(equivalentDiametersUm);
        ArgumentNullException.ThrowIfNull(vae);
        ArgumentNullException.ThrowIfNull(validator);
        int n = shapes.Count;
        if (equivalentDiametersUm.Count != n) throw new ArgumentException("one equivalent diameter per shape");
        if (folds < 2 || folds > n) throw new ArgumentOutOfRangeException(nameof(folds), $"must be in [2, {n}]");
        var rng = Seeds.Rng(Seeds.Child(seed, "folds"));
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.Next(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        var foldOf = new int[n];
        for (int r = 0; r < n; r++) foldOf[order[r]] = r % folds;

        var perShape = new List<HeldOutError>();
        var valid = new Dictionary<string, int> { ["pca"] = 0, ["vae"] = 0 };
        var reasons = new Dictionary<string, Dictionary<string, int>> { ["pca"] = new(), ["vae"] = new() };
        for (int f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, n).Where(i => foldOf[i] != f).ToList();
            var test = Enumerable.Range(0, n).Where(i => foldOf[i] == f).ToList();
            var vectors = train.Select(i => ShVectors.Truncate(shapes[i].Coefficients, lmax)).ToList();
            var ids = train.Select(i => shapes[i].Id).ToList();
            var pca = ShapeModes.Fit(vectors, lmax, vae.LatentSize, ids);
            var net = ShapeVae.Train(vectors, lmax, vae with { Seed = Seeds.Child(vae.Seed, $"fold/{f}") }, ids);
            foreach (int i in test)
            {
                var c = ShVectors.Truncate(shapes[i].Coefficients, lmax);
                perShape.Add(new HeldOutError(shapes[i].Id, f, equivalentDiametersUm[i],
                    ShVectors.RmsRadialDifference(c, pca.Mean),
                    ShVectors.RmsRadialDifference(c, pca.Decode(pca.Encode(c))),
                    ShVectors.RmsRadialDifference(c, net.Decode(net.Encode(c)))));
            }
            foreach (var (name, model) in new (string, ILatentShapeModel)[] { ("pca", pca), ("vae", net) })
            {
                var spec = new SamplingSpec(ShapeSamplingKind.Gaussian, Count: samplesPerFold);
                var context = new SamplingContext(Seeds.Child(seed, $"samples/{f}"));
                var checks = new ShapeCheck[samplesPerFold];
                Parallel.For(0, samplesPerFold, k => checks[k] = validator.Check(ShapeSampler.Candidate(model, spec, context, k, 0).Coefficients, lmax));
                foreach (var check in checks)
                {
                    if (check.IsValid) { valid[name]++; continue; }
                    string key = check.Reason!.Split(':')[0];
                    reasons[name][key] = reasons[name].GetValueOrDefault(key) + 1;
                }
            }
        }
        int samples = folds * samplesPerFold;
        ModelScore Score(string name, Func<HeldOutError, double> error, double fraction, int count, IReadOnlyDictionary<string, int> why) =>
            new(name, perShape.Average(error), perShape.Average(e => error(e) / e.EquivalentDiameterUm), fraction, count, why);
        return new ModelComparison(lmax, vae.LatentSize, folds, n,
            Score("mean", e => e.MeanUm, double.NaN, 0, new Dictionary<string, int>()),
            Score("pca", e => e.PcaUm, (double)valid["pca"] / samples, samples, reasons["pca"]),
            Score("vae", e => e.VaeUm, (double)valid["vae"] / samples, samples, reasons["vae"]),
            perShape);
    }
}
