using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Host;

/// <summary>One section of the report: its title, how many figures it drew, and notes (why something is absent).</summary>
public sealed record ReportSection(string Title, int Figures, IReadOnlyList<string> Notes);

/// <summary>
/// <c>shapestudy report &lt;results&gt; --out report.html</c>: one self-contained HTML page (figures embedded as base64
/// PNG, drawn with ScottPlot) with the study's provenance and tables, shape modes, mesh-quality histograms, phenotype
/// versus descriptor with a least-squares line and 95 % band, posterior marginals, and segmentation overlays on the raw
/// slices. A section whose tables (or raw volumes) are missing says so; the page is still written.
/// </summary>
public static class ReportVerb
{
    /// <summary>Exit code when the results folder cannot be read or the report cannot be written.</summary>
    public const int Failed = 2;

    /// <summary>Associations plotted at most (the strongest by q, then |ρ|).</summary>
    public const int MaxAssociationFigures = 4;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var dir = new Argument<string>("results") { Description = "A study's results folder (its outputs.dir)." };
        var outPath = new Option<string>("--out") { Description = "The HTML file to write.", DefaultValueFactory = _ => "report.html" };
        var cmd = new Command("report", "Write one self-contained HTML report (embedded figures) of a study's results.") { dir, outPath };
        cmd.SetAction(async (parse, ct) =>
        {
            try
            {
                var sections = await WriteAsync(parse.GetValue(dir)!, parse.GetValue(outPath)!, ct);
                output.WriteLine($"report → {Path.GetFullPath(parse.GetValue(outPath)!)}: {sections.Sum(s => s.Figures)} figure(s)");
                foreach (var s in sections)
                    output.WriteLine($"  {s.Title}: {s.Figures} figure(s){(s.Notes.Count > 0 ? "; " + string.Join("; ", s.Notes) : "")}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyNotFoundException)
            {
                // KeyNotFoundException: a table without a column its section needs (the message names file and column)
                errors.WriteLine($"error: {e.Message}");
                return Failed;
            }
        });
        return cmd;
    }

    /// <summary>Writes the report of <paramref name="resultsDir"/> to <paramref name="outPath"/> (atomically) and returns its sections.</summary>
    public static async Task<IReadOnlyList<ReportSection>> WriteAsync(string resultsDir, string outPath, CancellationToken ct = default)
    {
        var tables = await ResultTables.ReadAllAsync(resultsDir, ct);
        if (tables.Count == 0)
            throw new IOException($"{Path.GetFullPath(resultsDir)} holds no .parquet tables (is it a study's outputs.dir, and has the study finished?)");
        var page = new Page();
        var meta = tables[0].Metadata;
        string Meta(string key) => meta.TryGetValue("shapestudy." + key, out var v) ? v : "(not recorded)";
        var studyId = Meta("study_id");

        page.Raw($"<h1>ShapeStudy report: {Html(studyId)}</h1>");
        page.Raw("<table class=\"kv\">");
        foreach (var (k, v) in new[] { ("results", Path.GetFullPath(resultsDir)), ("manifest", Meta("manifest_path")), ("manifest sha256", Meta("manifest_sha256")),
                     ("seed", Meta("seed")), ("code version", Meta("code_version")), ("results as of", Meta("created_utc")) })
            page.Raw($"<tr><th>{Html(k)}</th><td>{Html(v)}</td></tr>");
        page.Raw("</table><h2>Tables</h2><table class=\"grid\"><tr><th>table</th><th>rows</th><th>columns</th></tr>");
        foreach (var t in tables)
            page.Raw($"<tr><td>{Html(t.Name)}</td><td class=\"num\">{t.RowCount}</td><td>{t.Columns.Count}</td></tr>");
        page.Raw("</table>");
        var missing = ResultTables.Known.Where(k => tables.Find(k) is null).ToList();
        if (missing.Count > 0) page.Note($"Missing tables: {string.Join(", ", missing)}.");
        var failures = InspectVerb.Failures(tables.Find("tasks"));
        if (failures.Count > 0)
        {
            page.Raw($"<h2>Failed tasks ({failures.Count})</h2><table class=\"grid\"><tr><th>stage</th><th>subject</th><th>status</th><th>reason</th></tr>");
            foreach (var f in failures)
                page.Raw($"<tr><td>{Html(f.Stage)}</td><td>{Html(f.Subject)}</td><td>{Html(f.Status)}</td><td>{Html(f.Error)}</td></tr>");
            page.Raw("</table>");
        }

        var sections = new List<ReportSection>
        {
            ShapeModes(page, tables),
            MeshQuality(page, tables),
            PhenotypeVersusDescriptor(page, tables),
            PosteriorMarginals(page, tables),
            SegmentationOverlays(page, tables, resultsDir, meta),
        };

        var html = page.Render($"ShapeStudy report: {studyId}");
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, Encoding.UTF8.GetBytes(html));
        return sections;
    }

    // ───────────────────────────── sections ─────────────────────────────

    private static ReportSection ShapeModes(Page page, IReadOnlyList<ResultTable> tables)
    {
        const string title = "Shape modes";
        var s = page.Section(title);
        var shapes = tables.Find("shapes");
        if (shapes is null) return s.Done("the shapes table is missing");
        if (shapes.RowCount == 0) return s.Done("the shapes table has no rows");
        var kind = shapes.Has("kind") ? shapes.Strings("kind") : new string?[shapes.RowCount];
        var groups = kind.Select(k => k ?? "shape").Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        List<(string, double[], double[])> By(string xCol, string yCol)
        {
            var x = shapes.Doubles(xCol);
            var y = shapes.Doubles(yCol);
            return groups.Select(g => (g, x.Where((_, i) => (kind[i] ?? "shape") == g).ToArray(), y.Where((_, i) => (kind[i] ?? "shape") == g).ToArray())).ToList();
        }
        var pcs = shapes.Columns.Select(c => c.Name).Where(n => n.StartsWith("pc_", StringComparison.Ordinal) && int.TryParse(n[3..], out _))
            .OrderBy(n => int.Parse(n[3..], CultureInfo.InvariantCulture)).ToList();
        if (pcs.Count >= 2)
            s.Figure(ReportFigures.GroupScatter("Shape space: first two modes", "pc_0 (standardized score)", "pc_1 (standardized score)", By(pcs[0], pcs[1])),
                $"Shape-model scores of every real shape (its projection) and synthetic variant (its sampled scores); {pcs.Count} modes in the table.");
        else
            s.Note(pcs.Count == 1 ? "the shape model has one mode only; no mode scatter" : "no shape model was fitted (no pc_* columns)");
        if (shapes.Has("volume_um3") && shapes.Has("sphericity"))
            s.Figure(ReportFigures.GroupScatter("Descriptors: volume and sphericity", "volume_um3 (µm³)", "sphericity", By("volume_um3", "sphericity")),
                "Descriptor space of the real and synthetic shapes (synthetic descriptors are measured on the warped shape).");
        if (shapes.Has("elongation") && shapes.Has("flatness"))
            s.Figure(ReportFigures.GroupScatter("Descriptors: elongation and flatness", "elongation (major / mid)", "flatness (mid / minor)", By("elongation", "flatness")),
                "Axis ratios of the solid ellipsoid with the same second moments.");
        return s.Done();
    }

    private static ReportSection MeshQuality(Page page, IReadOnlyList<ResultTable> tables)
    {
        var s = page.Section("Mesh quality");
        var meshes = tables.Find("meshes");
        if (meshes is null) return s.Done("the meshes table is missing");
        if (meshes.RowCount == 0) return s.Done("the meshes table has no rows");
        if (meshes.Has("watertight"))
        {
            int watertight = meshes.Doubles("watertight").Count(v => v > 0);
            s.Text($"{meshes.RowCount} surface meshes, {watertight} watertight.");
        }
        var bins = Enumerable.Range(0, 18).Select(b => $"angle_hist_{b:D2}").ToList();
        if (bins.All(meshes.Has))
        {
            var counts = bins.Select(b => meshes.Doubles(b).Where(double.IsFinite).Sum()).ToArray();
            double total = counts.Sum();
            double below30 = total > 0 ? (counts[0] + counts[1] + counts[2]) / total : double.NaN;
            s.Figure(ReportFigures.BinnedHistogram("Triangle angles of all meshes", "interior angle (°)", "triangle corners", 0, 10, counts),
                string.Create(CultureInfo.InvariantCulture,
                    $"Every interior angle of every surface mesh in 10° bins (angle_hist_00 … angle_hist_17, summed over {meshes.RowCount} meshes); {below30:P1} of the angles are below 30°."));
        }
        foreach (var (col, label, caption) in new[]
                 {
                     ("min_angle_deg", "smallest triangle angle per mesh (°)", "Smallest interior angle of each mesh: slivers (small angles) slow and destabilise the solvers."),
                     ("max_angle_deg", "largest triangle angle per mesh (°)", "Largest interior angle of each mesh (180° would be a degenerate triangle)."),
                     ("mean_edge_um", "mean edge length per mesh (µm)", "Mean edge length: the mesh's resolution."),
                 })
        {
            if (!meshes.Has(col)) { s.Note($"meshes has no column {col}"); continue; }
            var v = meshes.Doubles(col);
            s.Figure(ReportFigures.Histogram(col, label, [(col, v)]), $"{caption} Median {Median(v):G4}, range {Min(v):G4} – {Max(v):G4}.");
        }
        return s.Done();
    }

    private static ReportSection PhenotypeVersusDescriptor(Page page, IReadOnlyList<ResultTable> tables)
    {
        var s = page.Section("Phenotype versus descriptor");
        var shapes = tables.Find("shapes");
        var sims = tables.Find("simulations");
        if (shapes is null || sims is null)
            return s.Done($"the {(shapes is null ? "shapes" : "simulations")} table is missing");
        var assoc = tables.Find("associations");
        var pairs = new List<(string Descriptor, string Phenotype, string Compartment, string Caption)>();
        if (assoc is null) s.Note("the associations table is missing; showing volume against peak concentration without a test");
        else if (assoc.RowCount > 0)
        {
            var d = assoc.Strings("descriptor");
            var p = assoc.Strings("phenotype");
            var c = assoc.Strings("compartment");
            var est = assoc.Doubles("estimate");
            var lo = assoc.Doubles("ci_low");
            var hi = assoc.Doubles("ci_high");
            var pv = assoc.Doubles("p");
            var q = assoc.Doubles("q");
            var n = assoc.Doubles("n");
            foreach (int i in Enumerable.Range(0, (int)assoc.RowCount).Where(i => double.IsFinite(est[i]))
                         .OrderBy(i => double.IsFinite(q[i]) ? q[i] : 1).ThenByDescending(i => Math.Abs(est[i])).Take(MaxAssociationFigures))
                pairs.Add((d[i]!, p[i]!, c[i] ?? "whole", string.Create(CultureInfo.InvariantCulture,
                    $"Spearman ρ = {est[i]:F3} (95 % bootstrap CI {lo[i]:F3} – {hi[i]:F3}), p = {pv[i]:G3}, q (BH) = {q[i]:G3}, n = {n[i]:F0} shapes.")));
            if (pairs.Count == 0) s.Note("every association is undefined (constant variables); showing volume against peak concentration");
        }
        else s.Note("the associations table has no rows; showing volume against peak concentration");
        if (pairs.Count == 0) pairs.Add(("volume_um3", "peak_um", "whole", "No association test; the line and band are least squares on the points shown."));

        var shapeIds = shapes.Strings("shape_id");
        var kinds = shapes.Has("kind") ? shapes.Strings("kind") : new string?[shapes.RowCount];
        var shapeRow = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < shapeIds.Length; i++) if (shapeIds[i] is { } id) shapeRow[id] = i;
        var simShape = sims.Strings("shape_id");
        var simSet = sims.Has("parameter_set") ? sims.Doubles("parameter_set") : new double[sims.RowCount];
        var simStatus = sims.Has("status") ? sims.Strings("status") : new string?[sims.RowCount];
        foreach (var (descriptor, phenotype, compartment, caption) in pairs)
        {
            var column = compartment == "whole" ? phenotype : $"{compartment}_{phenotype}";
            if (!shapes.Has(descriptor) || !sims.Has(column)) { s.Note($"no columns for {descriptor} against {column}"); continue; }
            var x = shapes.Doubles(descriptor);
            var y = sims.Doubles(column);
            var groups = new Dictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
            for (int i = 0; i < simShape.Length; i++)
            {
                if (simSet[i] != 0 || simStatus[i] is not (null or "done") || simShape[i] is null || !shapeRow.TryGetValue(simShape[i]!, out var row)) continue;
                var g = kinds[row] ?? "shape";
                if (!groups.TryGetValue(g, out var lists)) groups[g] = lists = (new List<double>(), new List<double>());
                lists.X.Add(x[row]);
                lists.Y.Add(y[i]);
            }
            var series = groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Value.X.ToArray(), g.Value.Y.ToArray())).ToList();
            if (series.Sum(g => g.Item2.Length) == 0) { s.Note($"no completed simulations to plot {column} against {descriptor}"); continue; }
            s.Figure(ReportFigures.Regression($"{column} vs {descriptor}", descriptor, column, series),
                $"{column} of each shape's simulation with parameter set 0 against the shape's {descriptor}. {caption} "
                + "Line: least-squares fit over all points; band: its 95 % confidence interval for the mean.");
        }
        return s.Done();
    }

    private static ReportSection PosteriorMarginals(Page page, IReadOnlyList<ResultTable> tables)
    {
        var s = page.Section("Posterior marginals");
        var draws = tables.Find("posterior_draws");
        if (draws is null) return s.Done("the posterior_draws table is missing");
        if (draws.RowCount == 0) return s.Done("the study has no fit (posterior_draws has no rows)");
        var fitId = draws.Strings("fit_id");
        var parameter = draws.Strings("parameter");
        var chain = draws.Doubles("chain");
        var value = draws.Doubles("value");
        var fits = tables.Find("fits");
        foreach (var key in Enumerable.Range(0, fitId.Length).Select(i => (Fit: fitId[i] ?? "", Parameter: parameter[i] ?? "")).Distinct()
                     .OrderBy(k => k.Fit, StringComparer.Ordinal).ThenBy(k => k.Parameter, StringComparer.Ordinal))
        {
            var rows = Enumerable.Range(0, fitId.Length).Where(i => fitId[i] == key.Fit && parameter[i] == key.Parameter).ToList();
            var series = rows.GroupBy(i => chain[i]).OrderBy(g => g.Key)
                .Select(g => ($"chain {g.Key:F0}", g.Select(i => value[i]).ToArray())).ToList();
            var markers = new List<(string, double)>();
            string summary = "";
            if (fits is not null && fits.RowCount > 0)
            {
                var ids = fits.Strings("fit_id");
                var ps = fits.Strings("parameter");
                int r = Enumerable.Range(0, ids.Length).Where(i => ids[i] == key.Fit && ps[i] == key.Parameter).DefaultIfEmpty(-1).First();
                if (r >= 0)
                {
                    double F(string c) => fits.Has(c) ? fits.Doubles(c)[r] : double.NaN;
                    markers.Add(("posterior mean", F("mean")));
                    markers.Add(("94 % HDI", F("hdi_low")));
                    markers.Add(("94 % HDI", F("hdi_high")));
                    if (double.IsFinite(F("true_value"))) markers.Add(("true value", F("true_value")));
                    var truth = double.IsFinite(F("true_value")) ? string.Create(CultureInfo.InvariantCulture, $", true value {F("true_value"):G4}.") : ".";
                    summary = string.Create(CultureInfo.InvariantCulture,
                        $" Posterior mean {F("mean"):G4} ± {F("sd"):G3} (sd), 94 % HDI {F("hdi_low"):G4} – {F("hdi_high"):G4}, R̂ = {F("r_hat"):F3}, bulk ESS = {F("ess"):F0}{truth}");
                }
            }
            s.Figure(ReportFigures.Histogram($"{key.Fit}", key.Parameter, series, 30, markers),
                $"Marginal posterior of {key.Parameter} ({rows.Count} draws, {series.Count} chain(s), one colour per chain).{summary}");
        }
        return s.Done();
    }

    private static ReportSection SegmentationOverlays(Page page, IReadOnlyList<ResultTable> tables, string resultsDir, IReadOnlyDictionary<string, string> meta)
    {
        var s = page.Section("Segmentation overlays");
        var quality = tables.Find("segmentation_quality");
        if (!meta.TryGetValue("shapestudy.manifest_path", out var manifestPath))
            return s.Done("the tables do not record the manifest path (written by an older version), so the raw volumes cannot be found");
        var loaded = ManifestLoader.Load(manifestPath);
        if (loaded.Manifest is not { } manifest)
            return s.Done($"the study's manifest cannot be read now, so the raw volumes cannot be found: {loaded.Errors.FirstOrDefault()}");
        var volumes = manifest.VolumeInputs.ToList();
        if (volumes.Count == 0) return s.Done("the study has no volume inputs (surface meshes only), so there is nothing to overlay");
        StudyState state;
        try { state = StudyState.Open(resultsDir); }
        catch (IOException e) { return s.Done(e.Message); }
        foreach (var input in volumes)
        {
            var record = state.Records.Values.FirstOrDefault(r => r.Stage == Stages.Segment && r.Subject == input.Name && r.Status == Study.Storage.TaskStatus.Committed);
            if (record?.ResultJson is null) { s.Note($"input {input.Name}: no committed segmentation in the study state"); continue; }
            try
            {
                var result = StageJson.Read<SegmentResult>(record.ResultJson);
                var raw = VolumeFiles.Read(input.Path, input.SpacingUm).Voxels;
                var labels = new int[raw.Length];
                foreach (var o in result.Objects)
                {
                    var path = state.ArtifactPath(o.Mask.Sha256);
                    if (!File.Exists(path)) throw new FileNotFoundException($"mask artifact of object {o.Label} is missing: {path}");
                    Paint(labels, raw, ArtifactCodecs.DecodeMask(File.ReadAllBytes(path)), o.Label);
                }
                int[]? truth = null;
                if (input.LabelsPath is not null)
                {
                    var t = VolumeFiles.Read(input.LabelsPath, raw.Spacing).Voxels;
                    if (t.Shape == raw.Shape) truth = t.Data.Select(v => (int)MathF.Round(v)).ToArray();
                }
                int z = BusiestPlane(labels, raw.NZ, raw.NY * raw.NX);
                var (rawSlice, predSlice, truthSlice) = Slices(raw, labels, truth, z);
                string scores = "";
                if (quality is not null && quality.Has("input"))
                {
                    var names = quality.Strings("input");
                    int r = Array.IndexOf(names, input.Name);
                    if (r >= 0 && quality.Has("dice") && double.IsFinite(quality.Doubles("dice")[r]))
                        scores = string.Create(CultureInfo.InvariantCulture,
                            $" Against the ground truth: foreground Dice {quality.Doubles("dice")[r]:F3}, IoU {quality.Doubles("iou")[r]:F3}, adapted Rand error {quality.Doubles("adapted_rand_error")[r]:F3}.");
                }
                s.Figure(ReportFigures.Overlay($"{input.Name}, z = {z}", rawSlice, predSlice, truthSlice),
                    $"Raw plane z = {z} of {Path.GetFileName(input.Path)} ({raw.NZ}×{raw.NY}×{raw.NX} voxels; the plane with the most segmented voxels) "
                    + $"with the boundaries of the {result.Objects.Count} segmented objects in red"
                    + (truthSlice is null ? "." : " and the ground-truth boundaries in cyan.") + scores);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
            {
                s.Note($"input {input.Name}: {e.Message}");
            }
        }
        return s.Done();
    }

    /// <summary>Writes <paramref name="label"/> into the full-size label array where the cropped mask is set (mask origin in µm → voxel offset).</summary>
    private static void Paint(int[] labels, Volume<float> raw, Volume<byte> mask, int label)
    {
        int oz = (int)Math.Round(mask.Origin.Z / raw.Spacing.Z - raw.Origin.Z / raw.Spacing.Z);
        int oy = (int)Math.Round(mask.Origin.Y / raw.Spacing.Y - raw.Origin.Y / raw.Spacing.Y);
        int ox = (int)Math.Round(mask.Origin.X / raw.Spacing.X - raw.Origin.X / raw.Spacing.X);
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
                for (int x = 0; x < mask.NX; x++)
                {
                    if (mask[z, y, x] == 0) continue;
                    int gz = z + oz, gy = y + oy, gx = x + ox;
                    if (raw.Contains(gz, gy, gx)) labels[raw.Index(gz, gy, gx)] = label;
                }
    }

    private static int BusiestPlane(int[] labels, int nz, int plane)
    {
        int best = nz / 2, most = -1;
        for (int z = 0; z < nz; z++)
        {
            int count = 0;
            for (int i = z * plane; i < (z + 1) * plane; i++) if (labels[i] != 0) count++;
            if (count > most) { most = count; best = z; }
        }
        return best;
    }

    private static (float[,] Raw, int[,] Predicted, int[,]? Truth) Slices(Volume<float> raw, int[] labels, int[]? truth, int z)
    {
        var r = new float[raw.NY, raw.NX];
        var p = new int[raw.NY, raw.NX];
        var t = truth is null ? null : new int[raw.NY, raw.NX];
        for (int y = 0; y < raw.NY; y++)
            for (int x = 0; x < raw.NX; x++)
            {
                int i = raw.Index(z, y, x);
                r[y, x] = raw.Data[i];
                p[y, x] = labels[i];
                if (t is not null) t[y, x] = truth![i];
            }
        return (r, p, t);
    }

    private static double Median(double[] v)
    {
        var f = v.Where(double.IsFinite).OrderBy(x => x).ToArray();
        return f.Length == 0 ? double.NaN : f.Length % 2 == 1 ? f[f.Length / 2] : 0.5 * (f[f.Length / 2 - 1] + f[f.Length / 2]);
    }

    private static double Min(double[] v) => v.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
    private static double Max(double[] v) => v.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();

    private static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    // ───────────────────────────── page ─────────────────────────────

    /// <summary>The HTML page being built: sections of text and embedded PNG figures.</summary>
    private sealed class Page
    {
        private readonly StringBuilder _body = new();
        private int _figures;

        public void Raw(string html) => _body.Append(html).Append('\n');

        public void Note(string text) => Raw($"<p class=\"note\">{Html(text)}</p>");

        public SectionBuilder Section(string title)
        {
            Raw($"<section><h2>{Html(title)}</h2>");
            return new SectionBuilder(this, title);
        }

        public void Figure(byte[] png, string caption)
        {
            _figures++;
            Raw($"<figure><img alt=\"figure {_figures}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"/>"
                + $"<figcaption>Figure {_figures}. {Html(caption)}</figcaption></figure>");
        }

        public string Render(string title) => $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>{{Html(title)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 1400px; margin: 2em auto; padding: 0 1em; color: #222; }
            h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
            table { border-collapse: collapse; margin: .5em 0; } th, td { padding: .2em .7em; text-align: left; vertical-align: top; }
            table.grid th, table.grid td { border: 1px solid #ddd; } td.num { text-align: right; }
            table.kv th { color: #555; font-weight: normal; } table.kv td { font-family: monospace; word-break: break-all; }
            figure { display: inline-block; margin: .5em 1em 1em 0; max-width: 660px; vertical-align: top; }
            figure img { max-width: 100%; border: 1px solid #eee; } figcaption { font-size: .9em; color: #444; }
            .note { color: #8a5a00; background: #fff6e0; padding: .3em .6em; border-radius: 3px; }
            </style></head><body>
            {{_body}}
            </body></html>
            """;
    }

    private sealed class SectionBuilder(Page page, string title)
    {
        private readonly List<string> _notes = new();
        private int _figures;

        public void Figure(byte[] png, string caption) { page.Figure(png, caption); _figures++; }

        public void Note(string text) { _notes.Add(text); page.Note(char.ToUpperInvariant(text[0]) + text[1..] + "."); }

        public void Text(string text) => page.Raw($"<p>{Html(text)}</p>");

        public ReportSection Done(string? note = null)
        {
            if (note is not null) Note(note);
            page.Raw("</section>");
            return new ReportSection(title, _figures, _notes);
        }
    }
}
