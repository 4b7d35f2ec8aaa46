using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;

namespace ShapeStudy.Bench;

/// <summary>
/// .NET side of `bench/run segmentation`: reads workdir/volume.npy (256³ float32, written by bench/segmentation.py)
/// and the shared markers workdir/markers.npy, times each step (median of <c>repeats</c> runs after one warm-up),
/// writes its outputs as workdir/ours_*.npy for the agreement checks and prints one JSON object.
/// </summary>
/// <remarks>
/// Steps: <c>gaussian</c> (σ = 1.5 voxels, truncate 4), <c>otsu</c> (of the smoothed volume), <c>components</c>
/// (26-connected labelling of smoothed &gt; t), <c>edt</c> (of that foreground), <c>hmaxima</c> (labelled h-maxima of
/// the distance, h = 2), <c>watershed</c> (−distance flooded from the shared markers inside the foreground,
/// 6-connected as skimage's default), <c>chain</c> (all of them from the raw volume, markers shared) and
/// <c>chain_hmaxima</c> (the chain with this side's own h-maxima markers).
/// </remarks>
internal static class SegmentationBench
{
    private const double Sigma = 1.5;
    private const double H = 2.0;

    public static int Run(string workdir, int repeats)
    {
        var raw = NpyFormat.Read(Path.Combine(workdir, "volume.npy"), Spacing.Isotropic(1)).Voxels;
        var markerValues = NpyFormat.Read(Path.Combine(workdir, "markers.npy"), Spacing.Isotropic(1)).Voxels;
        var markerData = new int[markerValues.Length];
        for (int i = 0; i < markerData.Length; i++) markerData[i] = (int)markerValues.Data[i];
        var markers = markerValues.WithData(markerData);

        // One pass for the outputs checked against the peer.
        var smooth = Gaussian.Smooth(raw, Sigma);
        double t = Otsu.Threshold(smooth, integerSamples: false);
        var mask = Foreground(smooth, t);
        var (labels, count) = ConnectedComponents.Label(mask, 26);
        var edt = DistanceTransform.Euclidean(mask);
        var (ownMarkers, markerCount) = HMaxima.Markers(edt, H, 26);
        var negated = Negate(edt);
        var ws = Watershed.Run(negated, markers, mask, 6);
        NpyFormat.Write(Path.Combine(workdir, "ours_smooth.npy"), smooth);
        NpyFormat.Write(Path.Combine(workdir, "ours_labels.npy"), AsFloat(labels));
        NpyFormat.Write(Path.Combine(workdir, "ours_edt.npy"), edt);
        NpyFormat.Write(Path.Combine(workdir, "ours_markers.npy"), AsFloat(ownMarkers));
        NpyFormat.Write(Path.Combine(workdir, "ours_ws.npy"), AsFloat(ws));
        float edtMax = 0;
        foreach (float d in edt.Data) if (d > edtMax) edtMax = d;

        var times = new Dictionary<string, double>
        {
            ["gaussian"] = Program.Median(repeats, () => Gaussian.Smooth(raw, Sigma)),
            ["otsu"] = Program.Median(repeats, () => Otsu.Threshold(smooth, integerSamples: false)),
            ["components"] = Program.Median(repeats, () => ConnectedComponents.Label(mask, 26)),
            ["edt"] = Program.Median(repeats, () => DistanceTransform.Euclidean(mask)),
            ["hmaxima"] = Program.Median(repeats, () => HMaxima.Markers(edt, H, 26)),
            ["watershed"] = Program.Median(repeats, () => Watershed.Run(negated, markers, mask, 6)),
            ["chain"] = Program.Median(repeats, () => Chain(raw, markers)),
            ["chain_hmaxima"] = Program.Median(repeats, () => Chain(raw, null)),
        };
        // Where the chain's time goes: one instrumented run (after the timed ones, so everything is warm).
        var chainSplit = ChainSplit(raw, markers);

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = $"ShapeStudy.Imaging (.NET {Environment.Version}, {Environment.ProcessorCount} cores)",
            size = $"{raw.NZ}x{raw.NY}x{raw.NX}",
            times,
            chain_split_s = chainSplit,
            threshold = t,
            components = count,
            markers = markerCount,
            edt_max = edtMax,
        }));
        return 0;
    }

    /// <summary>Raw volume → watershed labels; <paramref name="markers"/> null = this side's own h-maxima markers.</summary>
    private static Volume<int> Chain(Volume<float> raw, Volume<int>? markers)
    {
        var smooth = Gaussian.Smooth(raw, Sigma);
        double t = Otsu.Threshold(smooth, integerSamples: false);
        var mask = Foreground(smooth, t);
        ConnectedComponents.Label(mask, 26);
        var edt = DistanceTransform.Euclidean(mask);
        markers ??= HMaxima.Markers(edt, H, 26).Labels;
        return Watershed.Run(Negate(edt), markers, mask, 6);
    }

    private static Dictionary<string, double> ChainSplit(Volume<float> raw, Volume<int> markers)
    {
        var split = new Dictionary<string, double>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double Lap() { double s = sw.Elapsed.TotalSeconds; sw.Restart(); return s; }
        var smooth = Gaussian.Smooth(raw, Sigma); split["gaussian"] = Lap();
        double t = Otsu.Threshold(smooth, integerSamples: false); split["otsu"] = Lap();
        var mask = Foreground(smooth, t); split["mask"] = Lap();
        ConnectedComponents.Label(mask, 26); split["components"] = Lap();
        var edt = DistanceTransform.Euclidean(mask); split["edt"] = Lap();
        var negated = Negate(edt); split["negate"] = Lap();
        Watershed.Run(negated, markers, mask, 6); split["watershed"] = Lap();
        return split;
    }

    /// <summary>
    /// `ShapeStudy.Bench segmentation-profile &lt;workdir&gt; [repeats]`: where the slow steps spend their time, using
    /// only the public kernels on variants of the bench input (median seconds; prints one JSON object).
    /// </summary>
    public static int Profile(string workdir, int repeats)
    {
        var raw = NpyFormat.Read(Path.Combine(workdir, "volume.npy"), Spacing.Isotropic(1)).Voxels;
        var markerValues = NpyFormat.Read(Path.Combine(workdir, "markers.npy"), Spacing.Isotropic(1)).Voxels;
        var markerData = new int[markerValues.Length];
        for (int i = 0; i < markerData.Length; i++) markerData[i] = (int)markerValues.Data[i];
        var markers = markerValues.WithData(markerData);
        var smooth = Gaussian.Smooth(raw, Sigma);
        double t = Otsu.Threshold(smooth, integerSamples: false);
        var mask = Foreground(smooth, t);
        var edt = DistanceTransform.Euclidean(mask);
        var negated = Negate(edt);

        // Single-voxel markers (the first voxel of each marker in raster order): distinct marker values, so the
        // watershed can take its bucket-queue path instead of the exact heap replay used for tied marker values.
        var single = new int[markerData.Length];
        var seen = new HashSet<int>();
        for (int i = 0; i < markerData.Length; i++)
            if (markerData[i] > 0 && seen.Add(markerData[i])) single[i] = markerData[i];
        var singleValues = new HashSet<float>();
        bool singleDistinct = true;
        for (int i = 0; i < single.Length; i++) if (single[i] > 0) singleDistinct &= singleValues.Add(negated.Data[i]);
        // The same flood with the single marker voxels nudged to distinct values (k · 1e−3 deeper for the k-th), so the
        // bucket-queue path runs: the difference to watershed_single_voxel_markers is the cost of the heap replay.
        var nudged = (float[])negated.Data.Clone();
        int nth = 0;
        for (int i = 0; i < single.Length; i++) if (single[i] > 0) nudged[i] -= ++nth * 1e-3f;
        var emptyMask = mask.WithData(new byte[mask.Length]);
        int markerVoxels = 0, foreground = 0;
        foreach (int l in markerData) if (l > 0) markerVoxels++;
        foreach (byte b in mask.Data) if (b != 0) foreground++;

        var times = new Dictionary<string, double>
        {
            ["gaussian_all_axes"] = Program.Median(repeats, () => Gaussian.SmoothVoxels(raw, Sigma, Sigma, Sigma)),
            ["gaussian_y_x_only"] = Program.Median(repeats, () => Gaussian.SmoothVoxels(raw, 0, Sigma, Sigma)),
            ["gaussian_z_only"] = Program.Median(repeats, () => Gaussian.SmoothVoxels(raw, Sigma, 0, 0)),
            ["gaussian_no_axis"] = Program.Median(repeats, () => Gaussian.SmoothVoxels(raw, 0, 0, 0)),
            ["otsu"] = Program.Median(repeats, () => Otsu.Threshold(smooth, integerSamples: false)),
            ["minmax_scan_floor"] = Program.Median(repeats, () => MinMax(smooth.Data)),
            ["watershed_shared_markers"] = Program.Median(repeats, () => Watershed.Run(negated, markers, mask, 6)),
            ["watershed_single_voxel_markers"] = Program.Median(repeats, () => Watershed.Run(negated, markers.WithData(single), mask, 6)),
            ["watershed_single_voxel_markers_distinct_values"] = Program.Median(repeats, () => Watershed.Run(negated.WithData(nudged), markers.WithData(single), mask, 6)),
            ["watershed_empty_mask"] = Program.Median(repeats, () => Watershed.Run(negated, markers, emptyMask, 6)),
            ["alloc_touch_int32_volume"] = Program.Median(repeats, () => { var a = new int[raw.Length]; a[^1] = 1; }),
        };
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            size = $"{raw.NZ}x{raw.NY}x{raw.NX}",
            foreground_voxels = foreground,
            marker_voxels = markerVoxels,
            markers = seen.Count,
            single_voxel_marker_values_distinct = singleDistinct,
            times,
        }));
        return 0;
    }

    private static (float, float) MinMax(float[] data)
    {
        var lo = new float[2]; var hi = new float[2];
        int half = data.Length / 2;
        Parallel.For(0, 2, c =>
        {
            float a = float.PositiveInfinity, b = float.NegativeInfinity;
            var span = data.AsSpan(c * half, c == 0 ? half : data.Length - half);
            foreach (float v in span) { if (v < a) a = v; if (v > b) b = v; }
            lo[c] = a; hi[c] = b;
        });
        return (Math.Min(lo[0], lo[1]), Math.Max(hi[0], hi[1]));
    }

    private static Volume<byte> Foreground(Volume<float> v, double t)
    {
        var data = v.Data;
        var m = new byte[data.Length];
        int plane = v.NY * v.NX;
        Parallel.For(0, v.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++) m[i] = (byte)(data[i] > t ? 1 : 0);
        });
        return v.WithData(m);
    }

    private static Volume<float> Negate(Volume<float> v)
    {
        var data = v.Data;
        var n = GC.AllocateUninitializedArray<float>(data.Length);
        int plane = v.NY * v.NX;
        Parallel.For(0, v.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++) n[i] = -data[i];
        });
        return v.WithData(n);
    }

    /// <summary>Labels as float32 (exact below 2²⁴) so that NpyFormat can write them.</summary>
    private static Volume<float> AsFloat(Volume<int> labels)
    {
        var f = new float[labels.Length];
        for (int i = 0; i < f.Length; i++) f[i] = labels.Data[i];
        return labels.WithData(f);
    }
}
