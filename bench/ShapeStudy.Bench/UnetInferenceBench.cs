using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning;
using ShapeStudy.Learning.Segmentation;
using TorchSharp;

namespace ShapeStudy.Bench;

/// <summary>
/// .NET side of `bench/run unet-inference`: the boundary U-Net (a trained <c>.ssun</c> model when given, else the default
/// architecture — 3 levels, 12 base channels — untrained with seed 1) exported as a PyTorch state dict to
/// <c>workdir/weights.pt</c>, the volume written to <c>workdir/volume.npy</c> for the peer, and
/// <see cref="TiledInference"/> timed on it (2 libtorch threads, median of <c>repeats</c> runs after one warm-up); the
/// boundary probabilities go to <c>workdir/ours.npy</c>. Prints one JSON object.
/// </summary>
internal static class UnetInferenceBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: ShapeStudy.Bench unet-inference <workdir> <volume> <tile z,y,x> [repeats=5] [model.ssun]");
            return 2;
        }
        string work = args[1];
        Directory.CreateDirectory(work);
        var volume = VolumeFiles.Read(args[2], Spacing.Isotropic(1)).Voxels;
        var t = args[3].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        int repeats = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 5;
        using var model = args.Length > 5 ? UNetSegmenter.Load(args[5]) : UNetSegmenter.CreateUntrained(new UNetArchitecture(3, 12, 1), ZeroLabel.Boundary, 1);
        torch.set_num_threads(2);
        model.ExportPyTorch(Path.Combine(work, "weights.pt"));
        VolumeFiles.Write(Path.Combine(work, "volume.npy"), volume);
        var tiling = new TilingOptions(t[0], t[1], t[2]);
        var p = model.Predict(volume, tiling);
        double seconds = Program.Median(repeats, () => p = model.Predict(volume, tiling));
        VolumeFiles.Write(Path.Combine(work, "ours.npy"), p[0]);
        var a = model.Architecture;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = $"ShapeStudy.Learning TiledInference ({TorchRuntime.Describe()})",
            size = $"{volume.NZ}x{volume.NY}x{volume.NX}",
            seconds,
            levels = a.Levels,
            base_channels = a.BaseChannels,
            out_channels = a.OutputChannels,
            model = args.Length > 5 ? $"{args[5]} sha256 {model.ContentHash}" : $"untrained, seed 1, sha256 {model.ContentHash}",
        }));
        return 0;
    }
}
