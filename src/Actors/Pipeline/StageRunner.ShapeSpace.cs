using ShapeStudy.Core;
using ShapeStudy.Learning;
using ShapeStudy.Physics;
using ShapeStudy.ShapeSpace;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Pipeline;

public sealed partial class StageRunner
{
    /// <summary>Icosphere refinements of reconstructed synthetic SH surfaces (2562 vertices).</summary>
    private const int HarmonicSubdivisions = 4;

    /// <summary>
    /// Spherical-harmonic shape model: fits every real shape's surface (aligned frame, degree <c>lmax</c>), builds the
    /// model (PCA modes; PCA + a BIC-chosen diagonal Gaussian mixture over the σ-unit latent; or a VAE), then samples each
    /// cell's variants with <see cref="ShapeSampler"/>. Accepted variants carry their SH coefficients and the parent's
    /// frame; rejected samples become plans with the rejection reason, so the shapes table records them.
    /// </summary>
    private ShapeModelResult HarmonicShapeModel(ShapeModelPayload p, HarmonicShapeSpace h)
    {
        if (p.Meshes is null || p.Meshes.Count != p.CellIds.Count)
            throw new ArgumentException("the spherical-harmonic shape model needs one surface mesh per real cell");
        int n = p.CellIds.Count;
        var fits = new ShCoefficients[n];
        var meshes = p.Meshes.Select(m => ArtifactCodecs.DecodeMesh(store.Get(m))).ToArray();
        for (int i = 0; i < n; i++) fits[i] = SphericalHarmonics.Fit(meshes[i], h.Lmax, errorSubdivisions: 2);
        var vectors = fits.Select(f => f.Coefficients).ToArray();
        int modes = Math.Min(p.Modes, n - 1);
        var pca = ShapeModes.Fit(vectors, h.Lmax, modes, p.CellIds.ToArray());
        ILatentShapeModel model = pca;
        GaussianMixture? mixture = null;
        switch (h.Model)
        {
            case "gmm":
                mixture = GaussianMixture.SelectByBic(vectors.Select(pca.Encode).ToList(), Math.Min(3, n), Seeds.Child(p.Seed, "gmm"),
                    CovarianceKind.Diagonal, regularization: 1e-3).Best;
                break;
            case "vae":
                model = ShapeVae.Train(vectors, h.Lmax, new VaeOptions(modes, Seed: Seeds.Child(p.Seed, "vae")), p.CellIds.ToArray());
                break;
        }
        var validator = new ShapeValidator(PlausibleRanges.FromPopulation(meshes.Select(Descriptors.FromMesh)), HarmonicSubdivisions);
        var kind = h.Kind switch
        {
            "walk" => ShapeSamplingKind.Walk,
            "extremes" => ShapeSamplingKind.Extremes,
            "interpolation" => ShapeSamplingKind.Interpolation,
            _ => ShapeSamplingKind.Gaussian,
        };
        var spec = new SamplingSpec(kind, p.VariantsPerCell, h.Spread, h.AroundParent, Math.Min(h.Mode, modes - 1), h.Sigmas, h.Quantiles,
            h.Steps, UseMixture: mixture is not null && kind is ShapeSamplingKind.Gaussian or ShapeSamplingKind.Extremes);
        var realScores = new Dictionary<string, double[]>();
        var variants = new List<VariantPlan>();
        for (int i = 0; i < n; i++)
        {
            realScores[p.CellIds[i]] = model.Encode(vectors[i]);
            var parent = new RealShape(p.CellIds[i], vectors[i]);
            var partner = new RealShape(p.CellIds[(i + 1) % n], vectors[(i + 1) % n]);
            var batch = ShapeSampler.Sample(model, spec, new SamplingContext(Seeds.Child(p.Seed, p.CellIds[i]), parent, partner, mixture), validator);
            var c = fits[i].Centroid;
            double[] centroid = [c.X, c.Y, c.Z];
            int index = 0;
            foreach (var s in batch.Accepted.Concat(batch.Rejected))
                variants.Add(new VariantPlan(p.CellIds[i], index++, s.Latent, double.NaN, double.NaN, double.NaN)
                {
                    Lmax = h.Lmax, Coefficients = s.Coefficients, Centroid = centroid, Rotation = fits[i].Rotation,
                    Recipe = s.Recipe.ToJson(), Rejection = s.IsValid ? null : s.Check?.Reason,
                });
        }
        double[] ratio = model == (ILatentShapeModel)pca ? pca.ExplainedVarianceRatio : Enumerable.Repeat(double.NaN, model.LatentSize).ToArray();
        return new ShapeModelResult(Enumerable.Range(0, vectors[0].Length).Select(k => $"sh_{k}").ToArray(), ratio, realScores, variants)
        {
            ModelHash = model.ContentHash,
        };
    }

    /// <summary>
    /// A synthetic SH variant's domain: the surface r(u)·u reconstructed in the parent's frame (its centroid and
    /// principal axes), voxelized at the parent mask's finest spacing.
    /// </summary>
    private VariantResult HarmonicVariant(VariantPayload p)
    {
        var plan = p.Plan;
        var parent = ArtifactCodecs.DecodeMask(store.Get(p.ParentMask));
        var shape = new ShCoefficients(plan.Lmax, plan.Coefficients!, (plan.Centroid![0], plan.Centroid[1], plan.Centroid[2]), plan.Rotation!,
            true, 0, double.NaN, double.NaN, double.NaN);
        var mesh = shape.Reconstruct(HarmonicSubdivisions);
        var sp = parent.Spacing;
        var mask = Voxelizer.Voxelize(mesh, Math.Min(sp.X, Math.Min(sp.Y, sp.Z)));
        return new VariantResult(store.Put(ArtifactCodecs.EncodeMask(mask), "mask"));
    }
}
