using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;

// .NET side of `bench/run out-of-core`. Each verb runs in its own process so that its peak resident memory (VmHWM)
// is its own. Last stdout line of each verb: one JSON object.
//   generate OUT.npy N            N³ uint8 noisy blobs, written slab by slab (the generator holds one slab)
//   segment IN.npy OUT.npy BUDGET_BYTES SIGMA_UM MIN_VOLUME_UM3   out-of-core segmentation
//   crop-check IN.npy DIR Z0 Y0 X0 SIZE SIGMA_UM MIN_VOLUME_UM3   SIZE³ crop segmented in memory and out of core
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string verb = args.Length > 0 ? args[0] : "";
int I(int k) => int.Parse(args[k], CultureInfo.InvariantCulture);
double D(int k) => double.Parse(args[k], CultureInfo.InvariantCulture);
switch (verb)
{
    case "generate": Generate(args[1], I(2)); break;
    case "segment": Segment(args[1], args[2], long.Parse(args[3], CultureInfo.InvariantCulture), D(4), D(5)); break;
    case "crop-check": CropCheck(args[1], args[2], I(3), I(4), I(5), I(6), D(7), D(8)); break;
    default: Console.Error.WriteLine("usage: ShapeStudy.OutOfCoreBench generate|segment|crop-check ..."); return 2;
}
return 0;

static double PeakRssGiB()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / (1024.0 * 1024.0);
    return double.NaN;
}

static void WriteNpyHeader(Stream s, string descr, int nz, int ny, int nx) => s.Write(NpyFormat.Header(descr, nz, ny, nx));

// Noisy blobs: background 50, spheres (radius 4–24 voxels, fixed seed) +110, plus uniform noise in [−40, 40) from a
// hash of the voxel index, clamped to uint8. Deterministic for a given N.
static void Generate(string path, int n)
{
    var sw = Stopwatch.StartNew();
    var rng = new Random(20261125);
    int count = (int)(3000L * n / 1024 * n / 1024 * n / 1024) + 20;
    var spheres = new (double Z, double Y, double X, double R)[count];
    for (int i = 0; i < count; i++) spheres[i] = (rng.NextDouble() * n, rng.NextDouble() * n, rng.NextDouble() * n, 4 + 20 * rng.NextDouble());
    int plane = n * n;
    const int slab = 16;
    var buffer = new byte[slab * plane];
    using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
    {
        WriteNpyHeader(fs, "|u1", n, n, n);
        for (int z0 = 0; z0 < n; z0 += slab)
        {
            int planes = Math.Min(slab, n - z0);
            Parallel.For(0, planes, p =>
            {
                int z = z0 + p;
                var inside = new bool[plane];
                foreach (var s in spheres)
                {
                    double dz = z - s.Z, r2 = s.R * s.R - dz * dz;
                    if (r2 <= 0) continue;
                    double r = Math.Sqrt(r2);
                    int y0 = Math.Max(0, (int)Math.Ceiling(s.Y - r)), y1 = Math.Min(n - 1, (int)Math.Floor(s.Y + r));
                    for (int y = y0; y <= y1; y++)
                    {
                        double dy = y - s.Y, w2 = r2 - dy * dy;
                        if (w2 < 0) continue;
                        double w = Math.Sqrt(w2);
                        int x0 = Math.Max(0, (int)Math.Ceiling(s.X - w)), x1 = Math.Min(n - 1, (int)Math.Floor(s.X + w));
                        if (x0 <= x1) inside.AsSpan(y * n + x0, x1 - x0 + 1).Fill(true);
                    }
                }
                var dst = buffer.AsSpan(p * plane, plane);
                ulong baseIndex = (ulong)z * (ulong)plane;
                for (int i = 0; i < plane; i++)
                {
                    ulong h = baseIndex + (ulong)i + 0x9E3779B97F4A7C15UL;
                    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
                    h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
                    h ^= h >> 31;
                    int v = (inside[i] ? 160 : 50) + (int)(h % 80) - 40;
                    dst[i] = (byte)Math.Clamp(v, 0, 255);
                }
            });
            fs.Write(buffer.AsSpan(0, planes * plane));
        }
    }
    Console.WriteLine(JsonSerializer.Serialize(new { verb = "generate", size = $"{n}x{n}x{n}", spheres = count, seconds = sw.Elapsed.TotalSeconds, bytes = new FileInfo(path).Length, peak_rss_gib = PeakRssGiB() }));
}

static void Segment(string input, string output, long budget, double sigma, double minVolume)
{
    var options = new ClassicalSegmentationOptions(sigma, ForegroundPolarity.Bright, 26, minVolume);
    var sw = Stopwatch.StartNew();
    var r = OutOfCoreSegmentation.Run(input, output, options, budget);
    double seconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        verb = "segment", size = $"{r.Shape.Z}x{r.Shape.Y}x{r.Shape.X}", seconds, threshold = r.Threshold, objects = r.ObjectCount,
        components = r.ComponentsBeforeSizeFilter, slab_planes = r.SlabPlanes, slabs = r.Slabs, halo_planes = r.HaloPlanes,
        provisional_labels = r.ProvisionalLabels, budget_gib = budget / (1024.0 * 1024 * 1024), peak_rss_gib = PeakRssGiB(),
    }));
}

static void CropCheck(string input, string dir, int z0, int y0, int x0, int size, double sigma, double minVolume)
{
    Directory.CreateDirectory(dir);
    string cropPath = Path.Combine(dir, "crop.npy"), labelsPath = Path.Combine(dir, "crop_labels.npy");
    using (var source = ChunkedVolume.Open(input))
    {
        var slab = source.ReadSlab(z0, z0 + size);
        var crop = new Volume<byte>(size, size, size, source.Spacing);
        for (int z = 0; z < size; z++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    crop[z, y, x] = (byte)slab[z, y0 + y, x0 + x];
        NpyFormat.Write(cropPath, crop);
    }
    var options = new ClassicalSegmentationOptions(sigma, ForegroundPolarity.Bright, 26, minVolume);
    var sw = Stopwatch.StartNew();
    var inMemory = ClassicalSegmentation.Run(NpyFormat.Read(cropPath), options);
    double inMemoryS = sw.Elapsed.TotalSeconds;
    // A budget of 16 planes per slab (plus halo): many slab borders inside the crop.
    long budget = (16L + 2 * 4) * size * size * OutOfCoreSegmentation.BytesPerSlabVoxel;
    sw.Restart();
    var ooc = OutOfCoreSegmentation.Run(cropPath, labelsPath, options, budget);
    double oocS = sw.Elapsed.TotalSeconds;
    var written = NpyFormat.Read(labelsPath).Voxels.Data;
    var expected = inMemory.Labels.Data;
    long differing = 0;
    for (int i = 0; i < expected.Length; i++) if (expected[i] != written[i]) differing++;
    bool identical = differing == 0 && inMemory.Threshold == ooc.Threshold && inMemory.ObjectCount == ooc.ObjectCount;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        verb = "crop-check", size = $"{size}x{size}x{size}", offset = new[] { z0, y0, x0 }, in_memory_s = inMemoryS, out_of_core_s = oocS,
        threshold_in_memory = inMemory.Threshold, threshold_out_of_core = ooc.Threshold, objects_in_memory = inMemory.ObjectCount,
        objects_out_of_core = ooc.ObjectCount, slabs = ooc.Slabs, differing_voxels = differing, identical,
    }));
}
