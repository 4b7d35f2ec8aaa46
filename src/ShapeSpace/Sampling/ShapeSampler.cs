using System.Text.Json;
using System.Text.Json.Serialization;
using MathNet.Numerics.Distributions;
using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>How synthetic shapes are drawn from a latent shape model.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ShapeSamplingKind>))]
public enum ShapeSamplingKind
{
    /// <summary>Random draws: z ~ N(centre, spread² I), or from a Gaussian mixture over the latent space.</summary>
    Gaussian,
    /// <summary>A walk along one latent mode in σ steps: z = start + s·e_mode for each s in the step list.</summary>
    Walk,
    /// <summary>Extremes: z at Mahalanobis radius sqrt(χ²_d⁻¹(q)) in a random direction (or of a mixture component).</summary>
    Extremes,
    /// <summary>A sequence from one real shape to another in t steps (latent interpolation, endpoints exact).</summary>
    Interpolation,
}

/// <summary>
/// A sampling request. <paramref name="Count"/> is the number of valid variants wanted for random kinds (Gaussian,
/// Extremes); Walk produces one variant per entry of <paramref name="Sigmas"/> and Interpolation
/// <paramref name="Steps"/> variants.
/// </summary>
/// <param name="Kind">Sampling kind.</param>
/// <param name="Count">Valid variants wanted (Gaussian, Extremes).</param>
/// <param name="Spread">Gaussian: standard deviation of the draws in σ units (1 = the population's spread).</param>
/// <param name="AroundParent">Gaussian and Walk: centre/start at the parent's latent code instead of the mean shape.</param>
/// <param name="Mode">Walk: the latent mode (0-based).</param>
/// <param name="Sigmas">Walk: positions along the mode in σ units (default −3 … 3 in steps of 1).</param>
/// <param name="Quantiles">Extremes: Mahalanobis quantiles in (0, 1), used in turn (default 0.95, 0.99).</param>
/// <param name="Steps">Interpolation: number of shapes including both endpoints (≥ 2).</param>
/// <param name="UseMixture">Gaussian and Extremes: draw from the Gaussian mixture given in the context.</param>
/// <param name="MaxAttemptsPerVariant">Random kinds: attempts allowed per wanted variant before giving up.</param>
/// <param name="CarryResiduals">Interpolation: add (1 − t)·residual_from + t·residual_to, the parts of the two real
/// shapes the model does not represent, so that t = 0 and t = 1 reproduce the real shapes exactly.</param>
public sealed record SamplingSpec(
    ShapeSamplingKind Kind,
    int Count = 10,
    double Spread = 1.0,
    bool AroundParent = false,
    int Mode = 0,
    double[]? Sigmas = null,
    double[]? Quantiles = null,
    int Steps = 5,
    bool UseMixture = false,
    int MaxAttemptsPerVariant = 10,
    bool CarryResiduals = true)
{
    /// <summary>Default walk positions −3σ … 3σ.</summary>
    public static double[] DefaultSigmas { get; } = [-3, -2, -1, 0, 1, 2, 3];
    /// <summary>Default extreme quantiles.</summary>
    public static double[] DefaultQuantiles { get; } = [0.95, 0.99];
}

/// <summary>A real shape referenced by a sampling request: its id and SH coefficient vector (µm, aligned frame).</summary>
public sealed record RealShape(string Id, double[] Coefficients);

/// <summary>
/// What a request samples around: the study-level seed of this batch, an optional parent (centre for Gaussian/Walk,
/// start of an Interpolation), an optional partner (end of an Interpolation) and an optional mixture over the latent space.
/// </summary>
public sealed record SamplingContext(ulong Seed, RealShape? Parent = null, RealShape? Partner = null, GaussianMixture? Mixture = null);

/// <summary>
/// The complete recipe of one sampled shape, enough to recompute it alone from the model (see
/// <see cref="ShapeSampler.Candidate"/>): stored as JSON in the <c>shapes</c> table's <c>sampling</c> column.
/// </summary>
public sealed record SamplingRecipe(
    ShapeSamplingKind Kind,
    string Model,
    string ModelHash,
    ulong BatchSeed,
    ulong Seed,
    int Index,
    int Attempt,
    string? ParentId = null,
    string? PartnerId = null,
    string? MixtureHash = null,
    int? Component = null,
    double? Spread = null,
    int? Mode = null,
    double? Sigma = null,
    double? Quantile = null,
    double? MahalanobisRadius = null,
    double? T = null)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Compact snake_case JSON (nulls omitted), e.g. {"kind":"Walk","model":"pca",…,"mode":0,"sigma":-2}.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/>.</summary>
    public static SamplingRecipe FromJson(string json) =>
        JsonSerializer.Deserialize<SamplingRecipe>(json, Json) ?? throw new InvalidDataException("empty sampling recipe");
}

/// <summary>One sampled shape before or after validation.</summary>
/// <param name="Recipe">How it was drawn.</param>
/// <param name="Latent">Its latent code.</param>
/// <param name="Coefficients">Its SH coefficients (µm, aligned frame, length (Lmax + 1)²).</param>
/// <param name="Check">The validity check (null before validation).</param>
public sealed record SampledShape(SamplingRecipe Recipe, double[] Latent, double[] Coefficients, ShapeCheck? Check = null)
{
    /// <summary>True when validated and valid.</summary>
    public bool IsValid => Check?.IsValid == true;
}

/// <summary>Accepted and rejected samples of one request; every rejected sample carries its reason in <see cref="SampledShape.Check"/>.</summary>
public sealed record SamplingBatch(IReadOnlyList<SampledShape> Accepted, IReadOnlyList<SampledShape> Rejected);

/// <summary>
/// Draws synthetic shapes from an <see cref="ILatentShapeModel"/>. Every candidate has its own seed,
/// Seeds.Child(batch seed, "kind/index/attempt"), and uses only <see cref="Random"/> streams from it, so the same
/// model, request and seed give the same shapes bit for bit, and any single shape can be recomputed from its recipe.
/// </summary>
public static class ShapeSampler
{
    /// <summary>
    /// Samples and validates. Gaussian and Extremes draw new candidates (attempt 0, 1, … per index) until
    /// <see cref="SamplingSpec.Count"/> are valid or Count × MaxAttemptsPerVariant attempts were made; Walk and
    /// Interpolation candidates are fixed by their recipe, so each is checked once and kept or rejected with its reason.
    /// </summary>
    public static SamplingBatch Sample(ILatentShapeModel model, SamplingSpec spec, SamplingContext context, ShapeValidator validator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(validator);
        Validate(model, spec, context);
        var accepted = new List<SampledShape>();
        var rejected = new List<SampledShape>();
        if (spec.Kind is ShapeSamplingKind.Walk or ShapeSamplingKind.Interpolation)
        {
            int n = spec.Kind == ShapeSamplingKind.Walk ? (spec.Sigmas ?? SamplingSpec.DefaultSigmas).Length : spec.Steps;
            var checkedShapes = new SampledShape[n];
            Parallel.For(0, n, i => checkedShapes[i] = Checked(Candidate(model, spec, context, i, 0), validator, model.Lmax));
            foreach (var s in checkedShapes) (s.IsValid ? accepted : rejected).Add(s);
            return new SamplingBatch(accepted, rejected);
        }
        int budget = spec.Count * spec.MaxAttemptsPerVariant;
        int attempts = 0;
        // Attempt rounds: every index still missing a valid shape gets its next attempt; a round runs in parallel
        // and is then taken in (index, attempt) order, so the outcome does not depend on thread timing.
        var missing = Enumerable.Range(0, spec.Count).ToList();
        var attemptOf = new int[spec.Count];
        var byIndex = new SampledShape?[spec.Count];
        while (missing.Count > 0 && attempts < budget)
        {
            var round = missing.Take(budget - attempts).ToArray();
            var results = new SampledShape[round.Length];
            Parallel.For(0, round.Length, j => results[j] = Checked(Candidate(model, spec, context, round[j], attemptOf[round[j]]), validator, model.Lmax));
            attempts += round.Length;
            for (int j = 0; j < round.Length; j++)
            {
                int i = round[j];
                attemptOf[i]++;
                if (results[j].IsValid) byIndex[i] = results[j];
                else rejected.Add(results[j]);
            }
            missing = missing.Where(i => byIndex[i] is null).ToList();
        }
        foreach (var s in byIndex) if (s is not null) accepted.Add(s);
        return new SamplingBatch(accepted, rejected);
    }

    /// <summary>
    /// The unvalidated candidate number <paramref name="index"/>, attempt <paramref name="attempt"/>, of a request: a
    /// pure function of (model, spec, context, index, attempt).
    /// </summary>
    public static SampledShape Candidate(ILatentShapeModel model, SamplingSpec spec, SamplingContext context, int index, int attempt)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        int d = model.LatentSize;
        string label = FormattableString.Invariant($"{spec.Kind.ToString().ToLowerInvariant()}/{index}/{attempt}");
        ulong seed = Seeds.Child(context.Seed, label);
        var rng = Seeds.Rng(seed);
        var recipe = new SamplingRecipe(spec.Kind, model.Kind, model.ContentHash, context.Seed, seed, index, attempt, context.Parent?.Id);
        double[] z;
        switch (spec.Kind)
        {
            case ShapeSamplingKind.Gaussian when spec.UseMixture:
            {
                var gmm = context.Mixture!;
                var (c, point) = gmm.Sample(rng);
                z = point;
                recipe = recipe with { MixtureHash = gmm.ContentHash, Component = c, ParentId = null };
                break;
            }
            case ShapeSamplingKind.Gaussian:
            {
                var centre = spec.AroundParent ? model.Encode(context.Parent!.Coefficients) : new double[d];
                z = new double[d];
                for (int k = 0; k < d; k++) z[k] = centre[k] + spec.Spread * rng.StandardNormal();
                recipe = recipe with { Spread = spec.Spread, ParentId = spec.AroundParent ? context.Parent!.Id : null };
                break;
            }
            case ShapeSamplingKind.Walk:
            {
                var sigmas = spec.Sigmas ?? SamplingSpec.DefaultSigmas;
                z = spec.AroundParent ? model.Encode(context.Parent!.Coefficients) : new double[d];
                z[spec.Mode] += sigmas[index];
                recipe = recipe with { Mode = spec.Mode, Sigma = sigmas[index], ParentId = spec.AroundParent ? context.Parent!.Id : null };
                break;
            }
            case ShapeSamplingKind.Extremes:
            {
                var quantiles = spec.Quantiles ?? SamplingSpec.DefaultQuantiles;
                double q = quantiles[index % quantiles.Length];
                double radius = Math.Sqrt(ChiSquared.InvCDF(d, q));
                var u = new double[d];
                double norm = 0;
                while (!(norm > 1e-12))
                {
                    norm = 0;
                    for (int k = 0; k < d; k++) { u[k] = rng.StandardNormal(); norm += u[k] * u[k]; }
                    norm = Math.Sqrt(norm);
                }
                for (int k = 0; k < d; k++) u[k] *= radius / norm;
                if (spec.UseMixture)
                {
                    var gmm = context.Mixture!;
                    int c = gmm.DrawComponent(rng);
                    z = gmm.Transform(c, u);
                    recipe = recipe with { MixtureHash = gmm.ContentHash, Component = c };
                }
                else z = u;
                recipe = recipe with { Quantile = q, MahalanobisRadius = radius, ParentId = null };
                break;
            }
            case ShapeSamplingKind.Interpolation:
            {
                double t = spec.Steps == 1 ? 0 : (double)index / (spec.Steps - 1);
                var a = context.Parent!.Coefficients;
                var b = context.Partner!.Coefficients;
                var za = model.Encode(a);
                var zb = model.Encode(b);
                z = new double[d];
                for (int k = 0; k < d; k++) z[k] = (1 - t) * za[k] + t * zb[k];
                var coefficients = model.Decode(z);
                if (spec.CarryResiduals)
                {
                    var ra = model.Decode(za);
                    var rb = model.Decode(zb);
                    for (int j = 0; j < coefficients.Length; j++) coefficients[j] += (1 - t) * (a[j] - ra[j]) + t * (b[j] - rb[j]);
                }
                recipe = recipe with { PartnerId = context.Partner.Id, T = t };
                return new SampledShape(recipe, z, coefficients);
            }
            default: throw new ArgumentOutOfRangeException(nameof(spec), $"unknown sampling kind {spec.Kind}");
        }
        return new SampledShape(recipe, z, model.Decode(z));
    }

    private static SampledShape Checked(SampledShape s, ShapeValidator validator, int lmax) => s with { Check = validator.Check(s.Coefficients, lmax) };

    private static void Validate(ILatentShapeModel model, SamplingSpec spec, SamplingContext context)
    {
        int d = model.LatentSize;
        if (spec.Count < 0) throw new ArgumentOutOfRangeException(nameof(spec), "count must be ≥ 0");
        if (spec.MaxAttemptsPerVariant < 1) throw new ArgumentOutOfRangeException(nameof(spec), "max attempts per variant must be ≥ 1");
        if (!(spec.Spread >= 0) || !double.IsFinite(spec.Spread)) throw new ArgumentOutOfRangeException(nameof(spec), "spread must be finite and ≥ 0");
        bool needsParent = spec.Kind == ShapeSamplingKind.Interpolation
                           || (spec.AroundParent && spec.Kind is ShapeSamplingKind.Gaussian or ShapeSamplingKind.Walk);
        if (needsParent && context.Parent is null) throw new ArgumentException($"{spec.Kind} sampling around a parent needs context.Parent");
        if (spec.Kind == ShapeSamplingKind.Interpolation)
        {
            if (context.Partner is null) throw new ArgumentException("interpolation needs context.Partner (the shape to end at)");
            if (spec.Steps < 2) throw new ArgumentOutOfRangeException(nameof(spec), "interpolation needs at least 2 steps");
        }
        if (spec.Kind == ShapeSamplingKind.Walk && (spec.Mode < 0 || spec.Mode >= d))
            throw new ArgumentOutOfRangeException(nameof(spec), $"walk mode must be in [0, {d - 1}]");
        if (spec.Kind == ShapeSamplingKind.Extremes && (spec.Quantiles ?? SamplingSpec.DefaultQuantiles).Any(q => !(q > 0 && q < 1)))
            throw new ArgumentOutOfRangeException(nameof(spec), "quantiles must be in (0, 1)");
        if (spec.UseMixture)
        {
            if (context.Mixture is null) throw new ArgumentException("use_mixture needs context.Mixture");
            if (context.Mixture.Dimension != d) throw new ArgumentException($"mixture dimension {context.Mixture.Dimension} ≠ latent size {d}");
        }
    }
}
