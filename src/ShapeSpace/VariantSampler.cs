namespace ShapeStudy.ShapeSpace;

/// <summary>One sampled synthetic variant of a parent shape.</summary>
/// <param name="Row">The sampled descriptor row (layout <see cref="DescriptorRow"/>).</param>
/// <param name="Scores">The PC scores that produced <paramref name="Row"/> (length = model modes).</param>
/// <param name="ScaleMajor">Stretch factor along the parent's major axis (clamped).</param>
/// <param name="ScaleMid">Stretch factor along the parent's mid axis (clamped).</param>
/// <param name="ScaleMinor">Stretch factor along the parent's minor axis (clamped).</param>
public sealed record ShapeVariant(double[] Row, double[] Scores, double ScaleMajor, double ScaleMid, double ScaleMinor);

/// <summary>How variant scores are drawn.</summary>
public enum VariantSampling
{
    /// <summary>Scores ~ N(0, diag(λ)): variants spread like the population of shapes the model was fitted on.</summary>
    Population,
    /// <summary>Scores ~ N(parent scores, spread² · diag(λ)): variants stay near their parent in shape space.</summary>
    AroundParent,
}

/// <summary>
/// Samples synthetic variants of a parent shape from a descriptor PCA model.
/// Design: a variant keeps its parent's geometry (surface detail, topology) and takes only the sampled principal-axis
/// lengths. The scale along each principal axis is exp(sampled − parent) of the log-axis features
/// (<see cref="DescriptorRow.LogMajorAxis"/>, <see cref="DescriptorRow.LogMidAxis"/>, <see cref="DescriptorRow.LogMinorAxis"/>),
/// clamped to [minScale, maxScale] (default [0.5, 2]) so that a variant stays a plausible deformation of its parent;
/// apply them with <see cref="ShapeWarp"/>. The variant's other descriptors (area, sphericity) follow from the warped
/// geometry, not from the sampled row, so measure them on the warped shape.
/// </summary>
public static class VariantSampler
{
    /// <summary>
    /// Draws <paramref name="count"/> variants of the parent whose descriptor row is <paramref name="parentRow"/>
    /// (layout <see cref="DescriptorRow"/>). <paramref name="spread"/> scales the score standard deviations for
    /// <see cref="VariantSampling.AroundParent"/> and is ignored for <see cref="VariantSampling.Population"/>.
    /// </summary>
    public static IReadOnlyList<ShapeVariant> Sample(PcaModel model, double[] parentRow, Random rng, int count,
        VariantSampling sampling = VariantSampling.Population, double spread = 1.0, double minScale = 0.5, double maxScale = 2.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parentRow);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (model.FeatureCount != DescriptorRow.Length || parentRow.Length != DescriptorRow.Length)
            throw new ArgumentException($"model and parent row must use the {DescriptorRow.Length}-feature DescriptorRow layout");
        if (!(minScale > 0 && maxScale >= minScale)) throw new ArgumentOutOfRangeException(nameof(minScale), "need 0 < minScale ≤ maxScale");
        if (!(spread >= 0)) throw new ArgumentOutOfRangeException(nameof(spread), "spread must be ≥ 0");
        double[] centre = sampling == VariantSampling.AroundParent ? model.Scores(parentRow) : new double[model.ModeCount];
        double width = sampling == VariantSampling.AroundParent ? spread : 1.0;
        var variants = new ShapeVariant[count];
        for (int i = 0; i < count; i++)
        {
            var scores = model.SampleScores(rng);
            for (int k = 0; k < scores.Length; k++) scores[k] = centre[k] + width * scores[k];
            var row = model.Reconstruct(scores);
            variants[i] = new ShapeVariant(row, scores,
                Scale(row, parentRow, DescriptorRow.LogMajorAxis, minScale, maxScale),
                Scale(row, parentRow, DescriptorRow.LogMidAxis, minScale, maxScale),
                Scale(row, parentRow, DescriptorRow.LogMinorAxis, minScale, maxScale));
        }
        return variants;
    }

    private static double Scale(double[] row, double[] parent, int index, double lo, double hi) =>
        Math.Clamp(Math.Exp(row[index] - parent[index]), lo, hi);
}
