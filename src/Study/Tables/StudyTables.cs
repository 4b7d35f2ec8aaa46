using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Study.Tables;

/// <summary>
/// Builds the study's output tables (see docs/tables.md) from a completed <see cref="StudyPlan"/>, the task records
/// and the artifact store. Rows are sorted by their ids, so the same results always give the same tables.
/// </summary>
public static class StudyTables
{
    private static readonly string[] DescriptorColumns = KnownNames.Descriptors.ToArray();
    private static readonly string[] Compartments = { "whole", "source", "far", "head", "neck", "base" };

    /// <summary>Model-specific scalar outputs of the simulations table (calcium_spine), in column order.</summary>
    private static readonly string[] ModelOutputs = { "head_to_base_gradient_um", "spine_peak_ions", "spine_auc_ions_s", "spine_volume_um3" };

    public static IReadOnlyList<Table> Build(StudyManifest m, StudyPlan plan, IReadOnlyDictionary<string, TaskRecord> records,
        Func<Core.ArtifactRef, (double[] TimesMs, IReadOnlyDictionary<string, double[]> Means)> readTimeseries,
        Func<Core.ArtifactRef, double[][]> readDraws)
    {
        var study = m.Study.Id;
        return new[]
        {
            Cells(study, plan), SegmentationQuality(study, m, plan), Shapes(study, plan), Meshes(study, plan),
            Simulations(study, plan, StudyPlan.ModelName(m.Simulation.Model)), Timeseries(plan, readTimeseries), Fits(study, plan), PosteriorDraws(plan, readDraws),
            Associations(study, plan), Tasks(study, plan, records),
        };
    }

    private static Table Cells(string study, StudyPlan plan)
    {
        var t = new Table("cells").Column<string>("study_id").Column<string>("cell_id").Column<string>("input")
            .Column<string>("source_file").Column<int>("label").Column<string>("kind").Column<long>("voxels");
        foreach (var d in DescriptorColumns) t.Column<double?>(d);
        t.Column<double?>("centroid_x_um").Column<double?>("centroid_y_um").Column<double?>("centroid_z_um")
            .Column<string>("status").Column<string>("error");
        foreach (var c in plan.Cells.Values.OrderBy(c => c.CellId, StringComparer.Ordinal))
        {
            var shape = plan.Shapes[StudyPlan.RealShapeId(c.CellId)];
            var row = new List<(string, object?)>
            {
                ("study_id", study), ("cell_id", c.CellId), ("input", c.Input), ("source_file", Path.GetFileName(c.SourceFile)),
                ("label", c.Label), ("kind", c.Kind), ("voxels", c.Voxels),
                ("status", c.Status.ToString().ToLowerInvariant()), ("error", c.Error),
            };
            AddDescriptors(row, shape.Descriptors);
            t.Add(row.ToArray());
        }
        foreach (var (input, error) in plan.InputErrors.OrderBy(e => e.Key, StringComparer.Ordinal))
            t.Add(("study_id", study), ("cell_id", input + "/-"), ("input", input), ("source_file", ""), ("label", -1),
                ("kind", "volume_object"), ("voxels", 0L), ("status", "failed"), ("error", error));
        return t;
    }

    private static Table SegmentationQuality(string study, StudyManifest m, StudyPlan plan)
    {
        var t = new Table("segmentation_quality").Column<string>("study_id").Column<string>("input").Column<string>("method")
            .Column<double>("threshold").Column<double?>("merge_threshold").Column<int>("components_before_size_filter").Column<int>("objects")
            .Column<double?>("dice").Column<double?>("iou").Column<int>("ground_truth_objects")
            .Column<double?>("mean_matched_iou").Column<int>("matched_at_iou_0_5").Column<int>("object_count_error")
            .Column<double?>("adapted_rand_error").Column<double?>("voi_split").Column<double?>("voi_merge");
        var method = m.Segmentation.Method.ToString().ToLowerInvariant();
        foreach (var (input, r) in plan.Segmentations.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var q = r.Quality;
            t.Add(("study_id", study), ("input", input), ("method", method), ("threshold", r.Threshold), ("merge_threshold", r.MergeThreshold),
                ("components_before_size_filter", r.ComponentsBeforeFilter), ("objects", r.Objects.Count),
                ("dice", q?.Dice), ("iou", q?.Iou), ("ground_truth_objects", q?.GroundTruthObjects ?? 0),
                ("mean_matched_iou", q?.MeanMatchedIou), ("matched_at_iou_0_5", q?.MatchedAtIou05 ?? 0),
                ("object_count_error", q?.ObjectCountError ?? 0), ("adapted_rand_error", q?.AdaptedRandError),
                ("voi_split", q?.VoiSplit), ("voi_merge", q?.VoiMerge));
        }
        return t;
    }

    private static Table Shapes(string study, StudyPlan plan)
    {
        int modes = plan.ShapeModel?.ExplainedVarianceRatio.Length ?? 0;
        var t = new Table("shapes").Column<string>("study_id").Column<string>("shape_id").Column<string>("cell_id")
            .Column<string>("kind").Column<string>("sampling").Column<int>("variant_index")
            .Column<double?>("scale_major").Column<double?>("scale_mid").Column<double?>("scale_minor");
        for (int i = 0; i < modes; i++) t.Column<double?>($"pc_{i}");
        foreach (var d in DescriptorColumns) t.Column<double?>(d);
        t.Column<string>("status").Column<string>("error").Column<string>("sampling_recipe");
        foreach (var s in plan.Shapes.Values.OrderBy(s => s.ShapeId, StringComparer.Ordinal))
        {
            var row = new List<(string, object?)>
            {
                ("study_id", study), ("shape_id", s.ShapeId), ("cell_id", s.CellId), ("kind", s.Synthetic ? "synthetic" : "real"),
                ("sampling", !s.Synthetic ? "observed" : s.Variant?.Recipe is { } recipe ? SamplingName(recipe) : "pca_gaussian"),
                ("variant_index", s.Variant?.Index ?? -1), ("sampling_recipe", s.Variant?.Recipe),
                ("scale_major", s.Variant?.ScaleMajor), ("scale_mid", s.Variant?.ScaleMid), ("scale_minor", s.Variant?.ScaleMinor),
                ("status", s.Status.ToString().ToLowerInvariant()), ("error", s.Error),
            };
            double[]? scores = s.Variant?.Scores;
            if (scores is null && plan.ShapeModel is { } sm) sm.RealScores.TryGetValue(s.CellId, out scores);
            for (int i = 0; i < modes; i++) row.Add(($"pc_{i}", scores is not null && i < scores.Length ? scores[i] : null));
            AddDescriptors(row, s.Descriptors, centroid: false);
            t.Add(row.ToArray());
        }
        return t;
    }

    /// <summary>"sh_&lt;model&gt;_&lt;kind&gt;" from a spherical-harmonic sampling recipe's JSON, e.g. sh_vae_walk.</summary>
    private static string SamplingName(string recipeJson)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(recipeJson);
        var root = doc.RootElement;
        string model = root.GetProperty("model").GetString() ?? "";
        if (root.TryGetProperty("mixture_hash", out _)) model = "gmm";
        return $"sh_{model}_{(root.GetProperty("kind").GetString() ?? "").ToLowerInvariant()}";
    }

    private static Table Meshes(string study, StudyPlan plan)
    {
        var t = new Table("meshes").Column<string>("study_id").Column<string>("shape_id").Column<string>("mesh_sha256")
            .Column<int>("vertices").Column<int>("triangles").Column<int>("tetrahedra").Column<bool>("watertight")
            .Column<int>("euler_characteristic").Column<double>("min_angle_deg").Column<double>("max_angle_deg")
            .Column<double>("mean_edge_um").Column<double>("area_um2").Column<double>("volume_um3")
            .Column<int>("components").Column<bool>("manifold").Column<bool>("outward").Column<int>("genus")
            .Column<int>("self_intersections").Column<double>("mean_min_angle_deg").Column<double>("mean_aspect_ratio")
            .Column<double>("max_aspect_ratio").Column<double>("min_edge_um").Column<double>("max_edge_um")
            .Column<double>("input_min_angle_deg").Column<double>("relative_volume_change").Column<string>("repairs");
        for (int k = 0; k < AngleBins; k++) t.Column<int>($"angle_hist_{k:00}");
        foreach (var s in plan.Shapes.Values.Where(s => s.Quality is not null).OrderBy(s => s.ShapeId, StringComparer.Ordinal))
        {
            var q = s.Quality!;
            var row = new List<(string, object?)>
            {
                ("study_id", study), ("shape_id", s.ShapeId), ("mesh_sha256", s.Mesh?.Sha256), ("vertices", q.Vertices),
                ("triangles", q.Triangles), ("tetrahedra", 0), ("watertight", q.Watertight), ("euler_characteristic", q.EulerCharacteristic),
                ("min_angle_deg", q.MinAngleDeg), ("max_angle_deg", q.MaxAngleDeg), ("mean_edge_um", q.MeanEdgeUm),
                ("area_um2", q.AreaUm2), ("volume_um3", q.VolumeUm3), ("components", q.Components), ("manifold", q.Manifold),
                ("outward", q.Outward), ("genus", q.Genus), ("self_intersections", q.SelfIntersections),
                ("mean_min_angle_deg", q.MeanMinAngleDeg), ("mean_aspect_ratio", q.MeanAspectRatio), ("max_aspect_ratio", q.MaxAspectRatio),
                ("min_edge_um", q.MinEdgeUm), ("max_edge_um", q.MaxEdgeUm), ("input_min_angle_deg", q.InputMinAngleDeg),
                ("relative_volume_change", q.RelativeVolumeChange), ("repairs", string.Join("; ", q.Repairs)),
            };
            for (int k = 0; k < AngleBins; k++) row.Add(($"angle_hist_{k:00}", k < q.AngleHistogram.Length ? q.AngleHistogram[k] : 0));
            t.Add(row.ToArray());
        }
        return t;
    }

    /// <summary>Bins of the meshes table's angle histogram (10° each, 0°–180°).</summary>
    private const int AngleBins = 18;

    private static Table Simulations(string study, StudyPlan plan, string model)
    {
        var t = new Table("simulations").Column<string>("study_id").Column<string>("sim_id").Column<string>("shape_id")
            .Column<string>("model").Column<int>("parameter_set").Column<double>("d_um2_per_ms").Column<double>("decay_per_ms")
            .Column<double>("influx_um_um_per_ms").Column<double>("pulse_ms");
        foreach (var c in Compartments)
        {
            var prefix = c == "whole" ? "" : c + "_";
            t.Column<double?>(prefix + "peak_um").Column<double?>(prefix + "time_to_peak_ms").Column<double?>(prefix + "decay_time_ms")
                .Column<double?>(prefix + "auc_um_ms");
        }
        t.Column<int>("steps").Column<int>("cg_iterations").Column<double?>("max_residual").Column<int>("domain_voxels")
            .Column<double?>("domain_volume_um3").Column<double?>("source_area_um2").Column<string>("status").Column<string>("error")
            .Column<string>("model_parameters").Column<int>("rejected_steps").Column<int>("newton_iterations").Column<int>("linear_iterations")
            .Column<int>("dofs").Column<int>("tetrahedra").Column<int>("attempts");
        foreach (var o in ModelOutputs) t.Column<double?>(o);
        foreach (var s in plan.Simulations.Values.OrderBy(s => s.SimId, StringComparer.Ordinal))
        {
            var p = s.Parameters;
            var r = s.Result;
            var row = new List<(string, object?)>
            {
                ("study_id", study), ("sim_id", s.SimId), ("shape_id", s.ShapeId), ("model", model), ("parameter_set", p.Index),
                ("d_um2_per_ms", p.DUm2PerMs), ("decay_per_ms", p.DecayPerMs), ("influx_um_um_per_ms", p.InfluxUmUmPerMs), ("pulse_ms", p.PulseMs),
                ("steps", r?.Steps ?? 0), ("cg_iterations", r?.CgIterations ?? 0), ("max_residual", r?.MaxResidual),
                ("domain_voxels", r?.DomainVoxels ?? 0), ("domain_volume_um3", r?.DomainVolumeUm3), ("source_area_um2", r?.SourceAreaUm2),
                ("status", s.Status.ToString().ToLowerInvariant()), ("error", s.Error),
                ("model_parameters", p.ModelCanonical), ("rejected_steps", r?.Fem?.RejectedSteps ?? 0), ("newton_iterations", r?.Fem?.NewtonIterations ?? 0),
                ("linear_iterations", r?.Fem?.LinearIterations ?? 0), ("dofs", r?.Fem?.Dofs ?? 0), ("tetrahedra", r?.Fem?.Tetrahedra ?? 0),
                ("attempts", r?.Fem?.Attempts ?? 0),
            };
            foreach (var o in ModelOutputs) row.Add((o, r?.Outputs is { } outs && outs.TryGetValue(o, out var ov) ? NullIfNaN(ov) : null));
            foreach (var c in Compartments)
            {
                var prefix = c == "whole" ? "" : c + "_";
                TransientValues? v = r is not null && r.Phenotypes.TryGetValue(c, out var x) ? x : null;
                row.Add((prefix + "peak_um", v?.PeakUM)); row.Add((prefix + "time_to_peak_ms", v?.TimeToPeakMs));
                row.Add((prefix + "decay_time_ms", NullIfNaN(v?.DecayTimeMs))); row.Add((prefix + "auc_um_ms", v?.AucUMms));
            }
            t.Add(row.ToArray());
        }
        return t;
    }

    private static Table Timeseries(StudyPlan plan, Func<Core.ArtifactRef, (double[] TimesMs, IReadOnlyDictionary<string, double[]> Means)> read)
    {
        var t = new Table("timeseries").Column<string>("sim_id").Column<double>("t_ms").Column<string>("compartment").Column<double>("mean_um");
        foreach (var s in plan.Simulations.Values.Where(s => s.Result is not null).OrderBy(s => s.SimId, StringComparer.Ordinal))
        {
            var (times, means) = read(s.Result!.Timeseries);
            foreach (var c in Compartments)
            {
                if (!means.TryGetValue(c, out var values)) continue;
                for (int i = 0; i < times.Length; i++)
                    t.Add(("sim_id", s.SimId), ("t_ms", times[i]), ("compartment", c), ("mean_um", values[i]));
            }
        }
        return t;
    }

    private static Table Fits(string study, StudyPlan plan)
    {
        var t = new Table("fits").Column<string>("study_id").Column<string>("fit_id").Column<string>("cell_id")
            .Column<string>("parameter").Column<string>("observed").Column<double?>("true_value").Column<double>("mean")
            .Column<double>("sd").Column<double>("q05").Column<double>("q50").Column<double>("q95").Column<double>("hdi_low")
            .Column<double>("hdi_high").Column<double>("r_hat").Column<double>("ess").Column<double>("ess_tail")
            .Column<int>("chains").Column<int>("draws").Column<double>("acceptance_rate").Column<int>("simulator_calls")
            .Column<string>("method").Column<int>("design_points").Column<double>("surrogate_rel_rmse").Column<double>("surrogate_coverage95")
            .Column<double>("check_rmse_um").Column<double>("check_surrogate_error_um");
        if (plan.Fit is { } f)
        {
            var s = f.Summary;
            t.Add(("study_id", study), ("fit_id", FitId(f)), ("cell_id", f.CellId), ("parameter", s.Parameter), ("observed", f.Observed),
                ("true_value", f.TrueValue), ("mean", s.Mean), ("sd", s.Sd), ("q05", s.Q05), ("q50", s.Q50), ("q95", s.Q95),
                ("hdi_low", s.HdiLow), ("hdi_high", s.HdiHigh), ("r_hat", s.RHat), ("ess", s.EssBulk), ("ess_tail", s.EssTail),
                ("chains", f.Chains), ("draws", f.Draws), ("acceptance_rate", f.AcceptanceRate), ("simulator_calls", f.SimulatorCalls),
                ("method", f.Method), ("design_points", f.DesignPoints), ("surrogate_rel_rmse", f.SurrogateRelativeRmse),
                ("surrogate_coverage95", f.SurrogateCoverage95), ("check_rmse_um", f.CheckRmseUm), ("check_surrogate_error_um", f.CheckSurrogateErrorUm));
        }
        return t;
    }

    private static Table PosteriorDraws(StudyPlan plan, Func<Core.ArtifactRef, double[][]> readDraws)
    {
        var t = new Table("posterior_draws").Column<string>("fit_id").Column<int>("chain").Column<int>("draw").Column<string>("parameter")
            .Column<double>("value");
        if (plan.Fit is { } f)
        {
            var draws = readDraws(f.PosteriorDraws);
            for (int c = 0; c < draws.Length; c++)
                for (int i = 0; i < draws[c].Length; i++)
                    t.Add(("fit_id", FitId(f)), ("chain", c), ("draw", i), ("parameter", f.Summary.Parameter), ("value", draws[c][i]));
        }
        return t;
    }

    private static Table Associations(string study, StudyPlan plan)
    {
        var t = new Table("associations").Column<string>("study_id").Column<string>("descriptor").Column<string>("phenotype")
            .Column<string>("compartment").Column<string>("method").Column<int>("n").Column<double>("estimate").Column<double>("ci_low").Column<double>("ci_high")
            .Column<double>("p").Column<double>("q");
        foreach (var a in plan.Associations?.Rows ?? Array.Empty<AssociationRow>())
            t.Add(("study_id", study), ("descriptor", a.Descriptor), ("phenotype", a.Phenotype), ("compartment", a.Compartment), ("method", a.Method), ("n", a.N),
                ("estimate", a.Estimate), ("ci_low", a.CiLow), ("ci_high", a.CiHigh), ("p", a.P), ("q", a.Q));
        return t;
    }

    private static Table Tasks(string study, StudyPlan plan, IReadOnlyDictionary<string, TaskRecord> records)
    {
        var t = new Table("tasks").Column<string>("study_id").Column<string>("task_key").Column<string>("stage").Column<string>("subject")
            .Column<string>("node").Column<string>("started_utc").Column<string>("finished_utc").Column<double?>("duration_s")
            .Column<int>("attempts").Column<string>("status").Column<string>("error");
        foreach (var task in plan.Tasks.OrderBy(x => x.Stage, StringComparer.Ordinal).ThenBy(x => x.Subject, StringComparer.Ordinal))
        {
            records.TryGetValue(task.Key, out var r);
            t.Add(("study_id", study), ("task_key", task.Key), ("stage", task.Stage), ("subject", task.Subject), ("node", r?.Node),
                ("started_utc", r?.StartedUtc.ToString("O")), ("finished_utc", r?.FinishedUtc?.ToString("O")),
                ("duration_s", r?.FinishedUtc is { } fin ? (fin - r.StartedUtc).TotalSeconds : null), ("attempts", r?.Attempts ?? 0),
                ("status", r?.Status ?? "not_run"), ("error", r?.Error));
        }
        return t;
    }

    private static string FitId(FitResult f) => $"{f.CellId}/{f.Summary.Parameter}";

    private static double? NullIfNaN(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static void AddDescriptors(List<(string, object?)> row, DescriptorSet? d, bool centroid = true)
    {
        foreach (var name in DescriptorColumns)
            row.Add((name, d is not null && d.Values.TryGetValue(name, out var v) && double.IsFinite(v) ? v : null));
        if (!centroid) return;
        row.Add(("centroid_x_um", d?.Centroid[0])); row.Add(("centroid_y_um", d?.Centroid[1])); row.Add(("centroid_z_um", d?.Centroid[2]));
    }
}
