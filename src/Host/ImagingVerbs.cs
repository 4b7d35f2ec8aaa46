using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;

namespace ShapeStudy.Host;

/// <summary>Headless segmentation verbs: <c>segment</c> a volume into a label volume, <c>evaluate</c> labels against ground truth.</summary>
public static class ImagingVerbs
{
    /// <summary>Exit code for bad input files or options.</summary>
    public const int BadInput = 2;

    public static Command Segment(TextWriter output, TextWriter errors)
    {
        var volume = new Argument<string>("volume") { Description = "Input volume: TIFF/OME-TIFF, MRC or .npy." };
        var method = new Option<string>("--method") { Description = "otsu (threshold + connected components), watershed (distance-transform watershed), rf or unet (learned boundary map from --model, then agglomeration), boundary (the volume is a boundary-probability map: agglomeration only).", DefaultValueFactory = _ => "otsu" };
        method.AcceptOnlyFromAmong("otsu", "watershed", "rf", "unet", "boundary");
        var sigma = new Option<double>("--sigma-um") { Description = "Gaussian smoothing σ in µm (0 = none).", DefaultValueFactory = _ => 0 };
        var spacing = new Option<string?>("--spacing-um") { Description = "Voxel size z,y,x in µm (overrides the file's)." };
        var minVolume = new Option<double>("--min-volume-um3") { Description = "Drop objects smaller than this (µm³).", DefaultValueFactory = _ => 0 };
        var foreground = new Option<string>("--foreground") { Description = "bright or dark objects.", DefaultValueFactory = _ => "bright" };
        foreground.AcceptOnlyFromAmong("bright", "dark");
        var connectivity = new Option<int>("--connectivity") { Description = "6, 18 or 26.", DefaultValueFactory = _ => 26 };
        var h = new Option<double?>("--h-um") { Description = "Watershed: h-maxima height of the distance transform in µm (default: the smallest voxel size)." };
        var compactness = new Option<double>("--compactness") { Description = "Watershed compactness (0 = classic).", DefaultValueFactory = _ => 0 };
        var outPath = new Option<string>("--out") { Description = "Output label volume (.tif, .mrc or .npy; .npy int32 with --out-of-core).", Required = true };
        var outOfCore = new Option<bool>("--out-of-core") { Description = "Process the volume in z-slabs within --memory-gib (labels identical to the in-memory path); for volumes larger than memory." };
        var memory = new Option<double>("--memory-gib") { Description = "Working-memory budget in GiB for --out-of-core.", DefaultValueFactory = _ => 2.0 };
        var cmd = new Command("segment", "Segment a volume into a label volume (0 = background).")
            { volume, method, sigma, spacing, minVolume, foreground, connectivity, h, compactness, outPath, outOfCore, memory };
        var learned = new LearnedSegmentationVerbs.SegmentOptions();
        learned.AddTo(cmd);
        cmd.SetAction(parse => Guard(errors, () =>
        {
            if (parse.GetValue(method) is "rf" or "unet" or "boundary")
                return learned.Run(parse, parse.GetValue(volume)!, parse.GetValue(method)!, parse.GetValue(outPath)!, ParseSpacing(parse.GetValue(spacing)),
                    parse.GetValue(h), parse.GetValue(minVolume), output);
            var clock = Stopwatch.StartNew();
            if (parse.GetValue(outOfCore))
                return SegmentOutOfCore(parse.GetValue(volume)!, parse.GetValue(outPath)!, parse.GetValue(method) == "watershed",
                    parse.GetValue(sigma), ParseSpacing(parse.GetValue(spacing)), parse.GetValue(foreground) == "dark" ? ForegroundPolarity.Dark : ForegroundPolarity.Bright,
                    parse.GetValue(connectivity), parse.GetValue(h), parse.GetValue(compactness), parse.GetValue(minVolume), parse.GetValue(memory), output);
            var image = VolumeFiles.Read(parse.GetValue(volume)!, ParseSpacing(parse.GetValue(spacing)));
            var polarity = parse.GetValue(foreground) == "dark" ? ForegroundPolarity.Dark : ForegroundPolarity.Bright;
            var result = parse.GetValue(method) == "watershed"
                ? WatershedSegmentation.Run(image, new WatershedSegmentationOptions(parse.GetValue(sigma), polarity, parse.GetValue(h),
                    parse.GetValue(connectivity), parse.GetValue(compactness), parse.GetValue(minVolume)))
                : ClassicalSegmentation.Run(image, new ClassicalSegmentationOptions(parse.GetValue(sigma), polarity, parse.GetValue(connectivity),
                    parse.GetValue(minVolume)));
            var path = parse.GetValue(outPath)!;
            WriteLabels(path, result.Labels, result.ObjectCount);
            var sp = image.Voxels.Spacing;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{parse.GetValue(volume)} {image.Voxels.NZ}×{image.Voxels.NY}×{image.Voxels.NX} {image.DType}, spacing {sp}: threshold {result.Threshold:G6}, {result.ObjectCount} objects ({result.ComponentsBeforeSizeFilter} before the size filter) → {path} in {clock.Elapsed.TotalSeconds:F2} s"));
            return 0;
        }));
        return cmd;
    }

    private static int SegmentOutOfCore(string input, string outPath, bool watershed, double sigmaUm, Spacing? spacing, ForegroundPolarity polarity,
        int connectivity, double? hUm, double compactness, double minVolumeUm3, double memoryGib, TextWriter output)
    {
        if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--out {outPath}: out-of-core segmentation writes int32 labels as NumPy .npy; name the output *.npy");
        if (!(memoryGib > 0) || !double.IsFinite(memoryGib))
            throw new ArgumentException($"--memory-gib {memoryGib}: the budget must be a positive number of GiB");
        var clock = Stopwatch.StartNew();
        long budget = (long)(memoryGib * (1L << 30));
        string summary;
        if (watershed)
        {
            var r = OutOfCoreWatershed.Run(input, outPath, new WatershedSegmentationOptions(sigmaUm, polarity, hUm, connectivity, compactness, minVolumeUm3), budget,
                spacingOverride: spacing);
            summary = string.Create(CultureInfo.InvariantCulture,
                $"{input} {r.Shape.Z}×{r.Shape.Y}×{r.Shape.X}: threshold {r.Threshold:G6}, {r.ObjectCount} objects from {r.Basins} basins, {r.Slabs} slabs of {r.SlabPlanes} planes (halo {r.HaloPlanes})");
        }
        else
        {
            var r = OutOfCoreSegmentation.Run(input, outPath, new ClassicalSegmentationOptions(sigmaUm, polarity, connectivity, minVolumeUm3), budget, spacing);
            summary = string.Create(CultureInfo.InvariantCulture,
                $"{input} {r.Shape.Z}×{r.Shape.Y}×{r.Shape.X}: threshold {r.Threshold:G6}, {r.ObjectCount} objects ({r.ComponentsBeforeSizeFilter} before the size filter), {r.Slabs} slabs of {r.SlabPlanes} planes");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{summary} → {outPath} in {clock.Elapsed.TotalSeconds:F2} s (out of core, budget {memoryGib} GiB)"));
        return 0;
    }

    public static Command Evaluate(TextWriter output, TextWriter errors)
    {
        var truth = new Option<string>("--truth") { Description = "Ground-truth label volume.", Required = true };
        var pred = new Option<string>("--pred") { Description = "Predicted label volume.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the metrics as one JSON object." };
        var cmd = new Command("evaluate", "Compare a label volume with ground truth: Dice/IoU, matched objects, adapted Rand error, VOI split/merge.")
            { truth, pred, json };
        cmd.SetAction(parse => Guard(errors, () =>
        {
            var t = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(parse.GetValue(truth)!).Voxels);
            var p = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(parse.GetValue(pred)!).Voxels);
            if (t.Shape != p.Shape)
                throw new InvalidDataException($"{parse.GetValue(pred)}: shape {p.Shape} differs from the truth's {t.Shape}");
            var q = SegmentationMetrics.Compute(t, p);
            if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(q));
            else
                foreach (var prop in typeof(SegmentationQuality).GetProperties())
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prop.Name,-26} {prop.GetValue(q)}"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Labels as uint16 when they fit, otherwise float32 (exact up to 2²⁴ labels).</summary>
    internal static void WriteLabels(string path, Volume<int> labels, int count)
    {
        if (count <= ushort.MaxValue) VolumeFiles.Write(path, labels.WithData(Array.ConvertAll(labels.Data, v => (ushort)v)));
        else if (count < 1 << 24) VolumeFiles.Write(path, labels.WithData(Array.ConvertAll(labels.Data, v => (float)v)));
        else throw new InvalidDataException($"{count} objects cannot be stored exactly in a uint16 or float32 label volume");
    }

    internal static Spacing? ParseSpacing(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',');
        if (parts.Length != 3 || !parts.All(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            throw new ArgumentException($"--spacing-um: expected three numbers z,y,x in µm, got '{text}'");
        var v = parts.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new Spacing(v[0], v[1], v[2]).Validated();
    }

    /// <summary>Turns bad files and options into one clear error line and a non-zero exit code.</summary>
    internal static int Guard(TextWriter errors, Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or IOException or HaloTooSmallException)
        {
            errors.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }
}
