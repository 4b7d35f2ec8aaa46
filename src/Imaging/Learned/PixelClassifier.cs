using System.Text;
using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Training summary of a <see cref="PixelClassifier"/>: labelled voxels per class and the samples used.</summary>
public sealed record PixelClassifierTraining(long[] LabelledVoxelsPerClass, int SamplesUsed, int Features, int Trees);

/// <summary>
/// ilastik's pixel-classification workflow, headless: a <see cref="FeatureBank"/> of the raw volume and a
/// <see cref="RandomForest"/> trained from sparse annotations (a label volume with 0 = unlabelled and 1..K = classes,
/// e.g. a few annotated slices or scribbles), giving a probability map per class. Saved models record the filter-bank
/// scales (µm) and class count; a model applies to volumes of any size and spacing (scales are physical).
/// </summary>
public sealed class PixelClassifier
{
    private const string Magic = "SSPC1";

    /// <summary>Filter-bank settings (scales in µm).</summary>
    public FeatureBankOptions Bank { get; }

    /// <summary>The trained forest; class c of the forest is annotation label c + 1.</summary>
    public RandomForest Forest { get; }

    /// <summary>Number of classes K (annotation labels 1..K).</summary>
    public int Classes => Forest.Classes;

    private PixelClassifier(FeatureBankOptions bank, RandomForest forest)
    {
        Bank = bank; Forest = forest;
    }

    /// <summary>
    /// Trains on <paramref name="raw"/> and the sparse annotation <paramref name="annotation"/> (same shape; 0 =
    /// unlabelled, 1..K = class). At most <paramref name="maxSamples"/> labelled voxels are used, drawn per class in
    /// proportion with a deterministic stride, so the result depends only on the inputs and the forest seed.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, fewer than two classes are annotated, or a label is negative.</exception>
    public static (PixelClassifier Model, PixelClassifierTraining Training) Train(Volume<float> raw, Volume<int> annotation,
        FeatureBankOptions bank, RandomForestOptions forest, int maxSamples = 200_000)
    {
        if (raw.Shape != annotation.Shape) throw new ArgumentException($"annotation shape {annotation.Shape} differs from the raw volume's {raw.Shape}");
        if (maxSamples < 2) throw new ArgumentOutOfRangeException(nameof(maxSamples), maxSamples, "at least 2 samples are required");
        int classes = 0;
        foreach (var l in annotation.Data)
        {
            if (l < 0) throw new ArgumentException($"annotation label {l} is negative; use 0 for unlabelled and 1..K for classes");
            classes = Math.Max(classes, l);
        }
        var perClass = new long[classes];
        foreach (var l in annotation.Data) if (l > 0) perClass[l - 1]++;
        int present = perClass.Count(c => c > 0);
        if (present < 2) throw new ArgumentException($"the annotation labels {present} class(es); annotate at least two classes (1..K, 0 = unlabelled)");
        long labelled = perClass.Sum();
        // Deterministic thinning: keep every k-th labelled voxel of each class so the total stays within maxSamples.
        double keep = Math.Min(1.0, (double)maxSamples / labelled);
        var samples = new List<int>();
        var labels = new List<int>();
        var seen = new long[classes];
        var taken = new long[classes];
        for (int i = 0; i < annotation.Data.Length; i++)
        {
            int l = annotation.Data[i];
            if (l == 0) continue;
            seen[l - 1]++;
            if (taken[l - 1] < (long)Math.Ceiling(seen[l - 1] * keep))
            {
                taken[l - 1]++;
                samples.Add(i);
                labels.Add(l - 1);
            }
        }
        var features = FeatureBank.Compute(raw, bank);
        var model = RandomForest.Train(features, samples.ToArray(), labels.ToArray(), classes, forest);
        return (new PixelClassifier(bank, model), new PixelClassifierTraining(perClass, samples.Count, features.Length, model.TreeCount));
    }

    /// <summary>Probability maps of classes 1..K for <paramref name="raw"/>: element c − 1 is class c, shape (Z, Y, X), values in [0, 1].</summary>
    public Volume<float>[] Predict(Volume<float> raw)
    {
        var features = FeatureBank.Compute(raw, Bank);
        var p = Forest.PredictProbabilities(features, raw.Length);
        return p.Select(raw.WithData).ToArray();
    }

    /// <summary>Writes the model: magic, a JSON header (scales µm, raw flag, classes), then the forest.</summary>
    public void Save(string path)
    {
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            using (var w = new BinaryWriter(fs, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(JsonSerializer.Serialize(new Header(Bank.ScalesUm, Bank.IncludeRaw, Classes)));
            }
            Forest.Write(fs);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a pixel classifier or is corrupt; the message names it.</exception>
    public static PixelClassifier Load(string path)
    {
        using var fs = File.OpenRead(path);
        Header header;
        try
        {
            using var r = new BinaryReader(fs, Encoding.UTF8, leaveOpen: true);
            if (r.ReadString() != Magic) throw new InvalidDataException($"{path}: not a ShapeStudy pixel classifier (bad magic)");
            header = JsonSerializer.Deserialize<Header>(r.ReadString()) ?? throw new InvalidDataException($"{path}: empty model header");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: corrupt pixel-classifier header ({e.Message})");
        }
        var bank = new FeatureBankOptions(header.ScalesUm ?? [], header.IncludeRaw);
        try { bank.Validated(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        var forest = RandomForest.Read(fs, path);
        if (forest.Classes != header.Classes || forest.Features != FeatureBank.Names(bank).Length)
            throw new InvalidDataException($"{path}: the forest ({forest.Classes} classes, {forest.Features} features) does not match its header");
        return new PixelClassifier(bank, forest);
    }

    private sealed record Header(double[]? ScalesUm, bool IncludeRaw, int Classes);
}
