using System.Diagnostics;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Physics;
using ShapeStudy.Physics.Conditioning;
using ShapeStudy.ShapeSpace;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>
/// Runs one planned task: decodes its payload, calls the pure kernels (Imaging, ShapeSpace, Physics, Statistics),
/// stores the artifacts it makes and returns its result as JSON. No actor code: workers call it off their mailbox thread.
/// </summary>
public sealed partial class StageRunner(IArtifactStore store) : ITaskExecutor
{
    /// <summary>Runs <paramref name="task"/> and returns the result JSON; U-Net training reports one <paramref name="progress"/> line per
    /// epoch, finite-element simulations one per output time (simulated time and steps), direct fits one per checkpoint.</summary>
    public string Run(PlannedTask task, Action<string>? progress = null) => task.Stage switch
    {
        Stages.Segment => StageJson.Write(Segment(StageJson.Read<SegmentPayload>(task.PayloadJson))),
        Stages.LoadMesh => StageJson.Write(LoadMesh(StageJson.Read<LoadMeshPayload>(task.PayloadJson))),
        Stages.Surface => StageJson.Write(Surface(StageJson.Read<SurfacePayload>(task.PayloadJson))),
        Stages.Describe => StageJson.Write(Describe(StageJson.Read<DescribePayload>(task.PayloadJson))),
        Stages.ShapeModel => StageJson.Write(ShapeModel(StageJson.Read<ShapeModelPayload>(task.PayloadJson))),
        Stages.Variant => StageJson.Write(Variant(StageJson.Read<VariantPayload>(task.PayloadJson))),
        Stages.TetMesh => StageJson.Write(TetMesh(StageJson.Read<TetMeshPayload>(task.PayloadJson))),
        Stages.Simulate => StageJson.Write(Simulate(StageJson.Read<SimulatePayload>(task.PayloadJson), progress)),
        Stages.Associate => StageJson.Write(Associate(StageJson.Read<AssociatePayload>(task.PayloadJson))),
        Stages.Fit => StageJson.Write(Fit(StageJson.Read<FitPayload>(task.PayloadJson), task.Key, progress)),
        Stages.FitDesign => StageJson.Write(FitDesign(StageJson.Read<FitDesignPayload>(task.PayloadJson))),
        Stages.TrainSegmenter => StageJson.Write(TrainSegmenter(StageJson.Read<TrainSegmenterPayload>(task.PayloadJson), progress)),
        _ => throw new ArgumentException($"unknown stage '{task.Stage}'"),
    };

    private SegmentResult Segment(SegmentPayload p)
    {
        var spacing = p.SpacingUm is { } s ? new Spacing(s[0], s[1], s[2]) : (Spacing?)null;
        var image = VolumeFiles.Read(p.Path, spacing);
        var polarity = p.Bright ? ForegroundPolarity.Bright : ForegroundPolarity.Dark;
        var seg = p.Method switch
        {
            "otsu" => ClassicalSegmentation.Run(image, new ClassicalSegmentationOptions(p.SigmaUm, polarity, p.Connectivity, p.MinVolumeUm3)),
            "watershed" => WatershedSegmentation.Run(image, new WatershedSegmentationOptions(p.SigmaUm, polarity, p.HUm, p.Connectivity,
                p.Compactness, p.MinVolumeUm3)),
            "rf" or "unet" => Learned(p, image),
            _ => throw new ArgumentException($"unknown segmentation method '{p.Method}'"),
        };
        var counts = LabelOps.VoxelCounts(seg.Labels);
        var objects = new List<SegmentedObject>(seg.ObjectCount);
        double voxelVolume = seg.Labels.Spacing.VoxelVolume;
        for (int label = 1; label <= seg.ObjectCount; label++)
            objects.Add(new SegmentedObject(label, counts[label], counts[label] * voxelVolume, store.Put(ArtifactCodecs.EncodeMask(LabelOps.CropObject(seg.Labels, label)), "mask")));
        SegmentationScore? quality = null;
        if (p.LabelsPath is not null)
        {
            var truth = VolumeFiles.Read(p.LabelsPath, image.Voxels.Spacing).Voxels;
            if (truth.Shape != seg.Labels.Shape)
                throw new InvalidDataException($"{p.LabelsPath}: ground-truth shape {truth.Shape} differs from the volume's {seg.Labels.Shape}");
            var q = SegmentationMetrics.Compute(SegmentationMetrics.LabelsFromSamples(truth), seg.Labels);
            quality = new SegmentationScore(q.ForegroundDice, q.ForegroundIoU, q.TruthObjects, q.PredictedObjects, q.MeanMatchedIoU,
                q.MatchedAtIoU05, q.ObjectCountError, q.AdaptedRandError, q.VoiSplit, q.VoiMerge);
        }
        var sp = seg.Labels.Spacing;
        return new SegmentResult(seg.Threshold, seg.ComponentsBeforeSizeFilter, new[] { sp.Z, sp.Y, sp.X }, image.DType, objects, quality,
            seg.MergeThreshold);
    }

    /// <summary>Saved model → boundary map → agglomeration; the threshold column is the interior threshold, "components" the supervoxels.</summary>
    private SegmentationResult Learned(SegmentPayload p, ImageVolume image)
    {
        var model = p.Learned ?? throw new ArgumentException($"segmentation method '{p.Method}' needs a model");
        if (model.Artifact is { } trained) return TrainedModelSegmentation(p, model, trained, image);
        var modelPath = model.Path ?? throw new ArgumentException($"segmentation method '{p.Method}' needs a model path");
        if (File.Exists(modelPath) && ContentHash.OfFile(modelPath) != model.Sha256)
            throw new InvalidDataException($"{modelPath}: the model file changed since the study was planned (sha256 {model.Sha256}); run the study again");
        var r = LearnedSegmentation.Run(p.Method, modelPath, image.Voxels,
            new BoundaryAgglomerationOptions(model.InteriorThreshold, p.HUm, LearnedSegmentation.DefaultMergeThreshold, 0, p.MinVolumeUm3).Validated(),
            model.MergeThreshold);
        return new SegmentationResult(r.Labels, r.Objects, model.InteriorThreshold, r.Supervoxels, r.MergeThreshold);
    }

    private LoadMeshResult LoadMesh(LoadMeshPayload p)
    {
        var input = ObjFormat.Read(p.Path);
        ConditioningResult conditioned;
        try { conditioned = SurfaceConditioning.Condition(input, Options(p.Conditioning)); }
        catch (MeshConditioningException e) { throw new InvalidDataException($"{p.Path}: {e.Message}", e); }
        var mesh = conditioned.Mesh;
        if (!conditioned.Quality.Watertight || !conditioned.Quality.Outward)
            throw new InvalidDataException($"{p.Path}: the surface could not be made watertight and outward ({string.Join("; ", conditioned.Repairs)}); a simulation domain needs a closed surface");
        double voxel = Voxelizer.SpacingForTargetVoxels(mesh, p.TargetVoxels);
        var mask = Voxelizer.Voxelize(mesh, voxel);
        long voxels = mask.Data.Count(v => v != 0);
        return new LoadMeshResult(store.Put(ArtifactCodecs.EncodeMesh(mesh), "mesh"), store.Put(ArtifactCodecs.EncodeMask(mask), "mask"),
            voxel, voxels, Quality(conditioned));
    }

    private SurfaceResult Surface(SurfacePayload p)
    {
        var extracted = MarchingCubes.Extract(ArtifactCodecs.DecodeMask(store.Get(p.Mask)));
        if (extracted.TriangleCount == 0) throw new InvalidDataException($"shape {p.ShapeId}: the mask is empty, so there is no surface to mesh");
        var conditioned = SurfaceConditioning.Condition(extracted, Options(p.Conditioning));
        return new SurfaceResult(store.Put(ArtifactCodecs.EncodeMesh(conditioned.Mesh), "mesh"), Quality(conditioned));
    }

    private static ConditioningOptions Options(MeshConditioning c) => new(
        c.Smoothing switch
        {
            "none" => Physics.Conditioning.SmoothingMethod.None,
            "taubin" => Physics.Conditioning.SmoothingMethod.Taubin,
            "feature" => Physics.Conditioning.SmoothingMethod.Feature,
            _ => throw new ArgumentException($"unknown smoothing '{c.Smoothing}'"),
        },
        c.SmoothingIterations, c.TargetEdgeUm, c.ImproveAngles);

    private DescriptorSet Describe(DescribePayload p)
    {
        var mesh = ArtifactCodecs.DecodeMesh(store.Get(p.Mesh));
        var d = p.FromMesh ? Descriptors.FromMesh(mesh) : Descriptors.FromMask(ArtifactCodecs.DecodeMask(store.Get(p.Mask)), mesh);
        return ToSet(d);
    }

    private ShapeModelResult ShapeModel(ShapeModelPayload p)
    {
        if (p.Harmonics is { } harmonics) return HarmonicShapeModel(p, harmonics);
        var rows = p.Descriptors.Select(d => DescriptorRow.From(FromSet(d))).ToArray();
        var model = DescriptorPca.Fit(rows, Math.Min(p.Modes, Math.Min(rows.Length - 1, DescriptorRow.Length)));
        var variants = new List<VariantPlan>();
        var realScores = new Dictionary<string, double[]>();
        for (int i = 0; i < p.CellIds.Count; i++)
        {
            realScores[p.CellIds[i]] = model.Scores(rows[i]);
            var rng = Seeds.Rng(Seeds.Child(p.Seed, p.CellIds[i]));
            var sampled = VariantSampler.Sample(model, rows[i], rng, p.VariantsPerCell);
            for (int k = 0; k < sampled.Count; k++)
                variants.Add(new VariantPlan(p.CellIds[i], k, sampled[k].Scores, sampled[k].ScaleMajor, sampled[k].ScaleMid, sampled[k].ScaleMinor));
        }
        return new ShapeModelResult(DescriptorRow.Names.ToArray(), model.ExplainedVarianceRatio, realScores, variants);
    }

    private VariantResult Variant(VariantPayload p)
    {
        if (p.Plan.Coefficients is not null) return HarmonicVariant(p);
        var parent = ArtifactCodecs.DecodeMask(store.Get(p.ParentMask));
        var warped = ShapeWarp.WarpMask(parent, FromSet(p.ParentDescriptors), p.Plan.ScaleMajor, p.Plan.ScaleMid, p.Plan.ScaleMinor);
        return new VariantResult(store.Put(ArtifactCodecs.EncodeMask(warped), "mask"));
    }

    private SimulateResult Simulate(SimulatePayload p, Action<string>? progress)
    {
        if (p.Model != "diffusion_decay") return SimulateFem(p, progress);
        var domain = MaskResampling.CoarsenToMaxVoxels(ArtifactCodecs.DecodeMask(store.Get(p.Mask)), p.MaxVoxels);
        var clock = Stopwatch.StartNew();
        var r = DiffusionDecaySimulator.Run(domain, ToModel(p.Parameters), new TimeGrid(p.DurationMs, p.DtMs));
        double seconds = clock.Elapsed.TotalSeconds;
        var phenotypes = r.CompartmentMeansUM.ToDictionary(kv => kv.Key, kv =>
        {
            var ph = Phenotypes.FromCurve(r.TimesMs, kv.Value);
            return new TransientValues(ph.Peak, ph.TimeToPeakMs, ph.DecayTimeMs, ph.AucUMms);
        });
        var series = store.Put(JsonSerializer.SerializeToUtf8Bytes(new TimeseriesArtifact(r.TimesMs, r.CompartmentMeansUM)), "timeseries");
        return new SimulateResult(phenotypes, r.Steps, r.TotalCgIterations, r.MaxResidual, r.DomainVoxels, r.DomainVolumeUm3,
            r.SourceAreaUm2, seconds, series);
    }

    private static DiffusionDecayParameters ToModel(Study.Manifest.ParameterSet p) =>
        new(p.DUm2PerMs, p.DecayPerMs, p.InfluxUmUmPerMs, p.PulseMs);

    private static MeshQuality Quality(ConditioningResult r)
    {
        var q = r.Quality;
        return new MeshQuality(q.Vertices, q.Triangles, q.Watertight, q.EulerCharacteristic, q.AreaUm2, q.VolumeUm3,
            q.MinAngleDeg, q.MaxAngleDeg, q.MeanEdgeUm, q.Components, q.Manifold, q.Outward, q.Genus, q.SelfIntersections,
            q.MeanMinAngleDeg, q.MeanAspectRatio, q.MaxAspectRatio, q.MinEdgeUm, q.MaxEdgeUm, q.AngleHistogram,
            r.InputQuality.MinAngleDeg, r.RelativeVolumeChange, r.Repairs);
    }

    /// <summary>Descriptor values by their table column names, with axes and centroid.</summary>
    public static DescriptorSet ToSet(ShapeDescriptors d) => new(
        new Dictionary<string, double>
        {
            ["volume_um3"] = d.VolumeUm3, ["surface_area_um2"] = d.SurfaceAreaUm2, ["sphericity"] = d.Sphericity,
            ["equivalent_diameter_um"] = d.EquivalentDiameterUm, ["major_axis_um"] = d.MajorAxisUm, ["mid_axis_um"] = d.MidAxisUm,
            ["minor_axis_um"] = d.MinorAxisUm, ["elongation"] = d.Elongation, ["flatness"] = d.Flatness,
        },
        new[] { d.MajorDirection.X, d.MajorDirection.Y, d.MajorDirection.Z, d.MidDirection.X, d.MidDirection.Y, d.MidDirection.Z,
                d.MinorDirection.X, d.MinorDirection.Y, d.MinorDirection.Z },
        new[] { d.CentroidXUm, d.CentroidYUm, d.CentroidZUm });

    public static ShapeDescriptors FromSet(DescriptorSet s)
    {
        var v = s.Values;
        var a = s.Axes;
        return new ShapeDescriptors(v["volume_um3"], v["surface_area_um2"], s.Centroid[0], s.Centroid[1], s.Centroid[2],
            v["major_axis_um"], v["mid_axis_um"], v["minor_axis_um"], v["sphericity"], v["equivalent_diameter_um"], v["elongation"],
            v["flatness"], new Direction3(a[0], a[1], a[2]), new Direction3(a[3], a[4], a[5]), new Direction3(a[6], a[7], a[8]));
    }
}

/// <summary>The stored form of a simulation's time series: times (ms) and mean concentration (µM) per compartment.</summary>
public sealed record TimeseriesArtifact(double[] TimesMs, IReadOnlyDictionary<string, double[]> Means);
