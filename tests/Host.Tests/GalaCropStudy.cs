using System.Globalization;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// A small study on the first 24 × 60 × 80 voxels (z, y, x) of the gala FIB-SEM test crop with its ground truth, for the
/// learned-segmentation study tests: writes the crop as raw.npy/labels.npy and a manifest with the given segmentation.
/// </summary>
internal static class GalaCropStudy
{
    /// <summary>Voxel spacing of the gala crops, µm.</summary>
    public static readonly Spacing Voxel = new(0.01, 0.01, 0.01);

    /// <summary>The first 24 × 60 × 80 voxels (z, y, x) of <paramref name="v"/>.</summary>
    public static Volume<float> Crop(Volume<float> v)
    {
        var c = new Volume<float>(24, 60, 80, v.Spacing);
        for (int z = 0; z < c.NZ; z++)
            for (int y = 0; y < c.NY; y++)
                for (int x = 0; x < c.NX; x++)
                    c[z, y, x] = v[z, y, x];
        return c;
    }

    /// <summary>Writes the cropped test volume and labels into <paramref name="dir"/> and a manifest using <paramref name="segmentation"/> (a YAML flow mapping); returns the manifest path.</summary>
    public static string WriteManifest(string dir, string studyId, int seed, string segmentation)
    {
        NpyFormat.Write(Path.Combine(dir, "raw.npy"), Crop(VolumeFiles.Read(RepoPaths.Data("gala", "test_raw.tif"), Voxel).Voxels));
        NpyFormat.Write(Path.Combine(dir, "labels.npy"), Crop(VolumeFiles.Read(RepoPaths.Data("gala", "test_labels.tif"), Voxel).Voxels));
        var path = Path.Combine(dir, "study.yaml");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: {{studyId}}, seed: {{seed}} }
            inputs:
              - volume: raw.npy
                spacing_um: [0.01, 0.01, 0.01]
                labels: labels.npy
                name: gala-test
            segmentation: {{segmentation}}
            shape_space: { modes: 2, variants_per_cell: 0 }
            simulation:
              duration_ms: 2
              dt_ms: 0.5
              max_voxels: 300
              parameters: { d_um2_per_ms: 0.22, decay_per_ms: 0.1, influx_um_um_per_ms: 5.0, pulse_ms: 1.0 }
            execution: { workers: 2 }
            outputs: { dir: out }
            """));
        return path;
    }

    /// <summary>Runs the study in-process with plain progress and no dashboard.</summary>
    public static Task<(int Code, string Out, string Err)> Run(string manifest) => CliCapture.Run("run", manifest, "--plain", "--no-dashboard");
}
