using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;

namespace ShapeStudy.Bench;

/// <summary>
/// Benchmark driver.
/// `ShapeStudy.Bench otsu-components &lt;raw.tif&gt; [repeats]` times Gaussian smoothing (σ = 1 voxel),
/// Otsu on the smoothed volume and 26-connected labelling of (smoothed &gt; t) on the volume as read and tiled 2×2×2,
/// and prints one JSON object: per size, the median seconds of each step, the threshold and the component count.
/// `ShapeStudy.Bench segmentation &lt;workdir&gt; [repeats]` runs the segmentation steps on workdir/volume.npy with the
/// shared markers workdir/markers.npy (see <see cref="SegmentationBench"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "scheduling") return SchedulingBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10000, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4);
        if (args.Length >= 1 && args[0] == "marching-cubes") return MarchingCubesBench.Run(args);
        if (args.Length >= 1 && args[0] == "unet-inference") return UnetInferenceBench.Run(args);
        if (args.Length >= 2 && args[0] == "fem") return FemBench.Run(args);
        if (args.Length >= 2 && args[0] == "segmentation")
            return SegmentationBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 2 && args[0] == "segmentation-profile")
            return SegmentationBench.Profile(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
        if (args.Length < 2 || args[0] != "otsu-components")
        {
            Console.Error.WriteLine("usage: ShapeStudy.Bench otsu-components <raw.tif> [repeats=5]\n       ShapeStudy.Bench segmentation <workdir> [repeats=3]\n       ShapeStudy.Bench segmentation-profile <workdir> [repeats=5]");
            return 2;
        }
        int repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var raw = TiffReader.Read(args[1], Spacing.Isotropic(1)).Voxels;
        var sizes = new List<object>();
        foreach (int tile in new[] { 1, 2 })
        {
            var v = tile == 1 ? raw : Tile(raw, tile);
            sizes.Add(RunSize(v, repeats));
        }
        Console.WriteLine(JsonSerializer.Serialize(new { tool = $"ShapeStudy.Imaging (.NET {Environment.Version}, {Environment.ProcessorCount} cores)", sizes }));
        return 0;
    }

    private static object RunSize(Volume<float> v, int repeats)
    {
        Volume<float> smooth = Gaussian.Smooth(v, 1.0);
        double t = Otsu.Threshold(smooth, integerSamples: false);
        var mask = Mask(smooth, t);
        int count = ConnectedComponents.Label(mask, 26).Count;

        double gaussian = Median(repeats, () => smooth = Gaussian.Smooth(v, 1.0));
        double otsu = Median(repeats, () => t = Otsu.Threshold(smooth, integerSamples: false));
        double label = Median(repeats, () => count = ConnectedComponents.Label(mask, 26).Count);
        return new
        {
            size = $"{v.NZ}x{v.NY}x{v.NX}",
            gaussian_s = gaussian,
            otsu_s = otsu,
            label26_s = label,
            threshold = t,
            components = count,
        };
    }

    private static Volume<byte> Mask(Volume<float> v, double t)
    {
        var m = new byte[v.Length];
        for (int i = 0; i < m.Length; i++) m[i] = (byte)(v.Data[i] > t ? 1 : 0);
        return v.WithData(m);
    }

    /// <summary>Median wall time in seconds of <paramref name="repeats"/> runs after one warm-up run.</summary>
    internal static double Median(int repeats, Action run)
    {
        run();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    }

    /// <summary>numpy.tile(v, (k, k, k)).</summary>
    private static Volume<float> Tile(Volume<float> v, int k)
    {
        int nz = v.NZ * k, ny = v.NY * k, nx = v.NX * k;
        var data = new float[(long)nz * ny * nx];
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    data[((long)z * ny + y) * nx + x] = v[z % v.NZ, y % v.NY, x % v.NX];
        return new Volume<float>(nz, ny, nx, v.Spacing, data);
    }
}
