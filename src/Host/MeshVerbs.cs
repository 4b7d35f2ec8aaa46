using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Physics;
using ShapeStudy.Physics.Calcium;
using ShapeStudy.Physics.Conditioning;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Host;

/// <summary>
/// <c>shapestudy mesh</c>: one conditioned surface (and optionally a quality tetrahedral mesh) per object of a label
/// volume, or of one input surface mesh, plus a quality summary CSV. The options are those of the manifest's
/// <c>meshing</c> section.
/// </summary>
public static class MeshVerbs
{
    public static Command Mesh(TextWriter output, TextWriter errors)
    {
        var input = new Argument<string>("input") { Description = "A label volume (TIFF/OME-TIFF, MRC, .npy; 0 = background) or a surface mesh (OBJ, PLY, STL, OFF, VTK, VTU)." };
        var outDir = new Option<string>("--out") { Description = "Output directory (created).", Required = true };
        var format = new Option<string>("--format") { Description = "Surface file format: ply, obj, stl, off, vtk or vtu (tetrahedral meshes are written as VTU unless vtk is chosen).", DefaultValueFactory = _ => "ply" };
        format.AcceptOnlyFromAmong("ply", "obj", "stl", "off", "vtk", "vtu");
        var tetrahedral = new Option<bool>("--tetrahedral") { Description = "Also mesh each object's volume with quality tetrahedra (isosurface stuffing)." };
        var targetEdge = new Option<double?>("--target-edge-um") { Description = "Decimate the surface towards this edge length (µm)." };
        var smoothing = new Option<string>("--smoothing") { Description = "none, taubin or feature.", DefaultValueFactory = _ => "taubin" };
        smoothing.AcceptOnlyFromAmong("none", "taubin", "feature");
        var iterations = new Option<int>("--smoothing-iterations") { Description = "Smoothing rounds.", DefaultValueFactory = _ => 10 };
        var lattice = new Option<double?>("--lattice-um") { Description = "Tetrahedral lattice spacing (µm); default from each object's volume." };
        var spacing = new Option<string?>("--spacing-um") { Description = "Voxel size z,y,x in µm of a label volume (overrides the file's)." };
        var cmd = new Command("mesh", "Mesh every object of a label volume or an input surface: watertight conditioned surfaces, optional tetrahedral meshes, and quality.csv.")
            { input, outDir, format, tetrahedral, targetEdge, smoothing, iterations, lattice, spacing };
        cmd.SetAction(parse => ImagingVerbs.Guard(errors, () =>
        {
            var clock = Stopwatch.StartNew();
            string path = parse.GetValue(input)!, dir = parse.GetValue(outDir)!;
            if (parse.GetValue(iterations) < 0) throw new ArgumentException("--smoothing-iterations must be ≥ 0");
            if (parse.GetValue(targetEdge) is { } te && !(te > 0)) throw new ArgumentException($"--target-edge-um {te}: must be a positive length in µm");
            if (parse.GetValue(lattice) is { } lu && !(lu > 0)) throw new ArgumentException($"--lattice-um {lu}: must be a positive length in µm");
            var options = new ConditioningOptions(parse.GetValue(smoothing) switch
            {
                "none" => SmoothingMethod.None,
                "feature" => SmoothingMethod.Feature,
                _ => SmoothingMethod.Taubin,
            }, parse.GetValue(iterations), parse.GetValue(targetEdge), ImproveAngles: true);
            var objects = ReadObjects(path, ImagingVerbs.ParseSpacing(parse.GetValue(spacing)));
            Directory.CreateDirectory(dir);
            string stem = StemOf(path);
            string ext = parse.GetValue(format)!;
            var rows = new List<string>();
            int ok = 0;
            foreach (var o in objects)
            {
                string name = o.Label is { } label ? $"{stem}_{label}" : stem;
                rows.Add(MeshOne(o, name, dir, ext, options, parse.GetValue(tetrahedral), parse.GetValue(lattice), output, ref ok));
            }
            WriteSummary(Path.Combine(dir, "quality.csv"), rows);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ok} of {objects.Count} object(s) meshed → {dir} (quality.csv) in {clock.Elapsed.TotalSeconds:F1} s"));
            return ok == objects.Count ? 0 : 1;
        }));
        return cmd;
    }

    /// <summary>One object to mesh: a surface with optional face markers, or the reason there is none.</summary>
    private sealed record MeshObject(int? Label, TriangleMesh? Surface, int[]? Markers, double? VoxelVolumeUm3, string? Error);

    private static IReadOnlyList<MeshObject> ReadObjects(string path, Spacing? spacing)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        if (IsVolume(path))
        {
            var labels = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(path, spacing).Voxels);
            var surfaces = LabelSurfaces.Extract(labels);
            if (surfaces.Count == 0) throw new InvalidDataException($"{path}: no objects to mesh (every voxel is background, label 0)");
            return surfaces
                .Select(s => new MeshObject(s.Label, s.Mesh, null, s.VoxelVolume, s.Error ?? (s.IsValid ? null : "the extracted surface is not watertight")))
                .ToArray();
        }
        var content = MeshFiles.Read(path);
        var markers = content.FaceMarkers;
        string regions = Path.Combine(Path.GetDirectoryName(path) ?? ".", Path.GetFileNameWithoutExtension(path) + "_regions.json");
        if (markers is null && File.Exists(regions))
            markers = SpineRegions.FaceMarkers(SpineRegions.Read(regions, content.Surface.TriangleCount), content.Surface.TriangleCount);
        return [new MeshObject(null, content.Surface, markers, null, null)];
    }

    private static bool IsVolume(string path)
    {
        string name = Path.GetFileName(path).ToLowerInvariant();
        return name.EndsWith(".tif", StringComparison.Ordinal) || name.EndsWith(".tiff", StringComparison.Ordinal) || name.EndsWith(".npy", StringComparison.Ordinal)
               || name.EndsWith(".mrc", StringComparison.Ordinal) || name.EndsWith(".map", StringComparison.Ordinal) || name.EndsWith(".rec", StringComparison.Ordinal);
    }

    private static string StemOf(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var suffix in new[] { ".ome.tiff", ".ome.tif" })
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return name[..^suffix.Length];
        return Path.GetFileNameWithoutExtension(name);
    }

    private static readonly string[] Columns =
    [
        "object", "status", "error", "surface_file", "vertices", "triangles", "watertight", "manifold", "outward", "self_intersections",
        "genus", "euler_characteristic", "area_um2", "volume_um3", "voxel_volume_um3", "relative_volume_change", "input_min_angle_deg",
        "min_angle_deg", "max_angle_deg", "mean_aspect_ratio", "mean_edge_um", "repairs", "tet_file", "tetrahedra", "tet_volume_um3",
        "min_dihedral_deg", "max_dihedral_deg", "psd_faces",
    ];

    private static string MeshOne(MeshObject o, string name, string dir, string ext, ConditioningOptions options, bool tetrahedral, double? latticeUm,
        TextWriter output, ref int ok)
    {
        var cells = new Dictionary<string, string>();
        cells["object"] = name;
        try
        {
            if (o.Surface is null) throw new InvalidDataException(o.Error ?? "no surface");
            var conditioned = SurfaceConditioning.Condition(o.Surface, options);
            var q = conditioned.Quality;
            if (!q.Watertight || !q.Outward)
                throw new InvalidDataException($"the surface could not be made watertight and outward ({string.Join("; ", conditioned.Repairs)})");
            int[]? markers = o.Markers is null ? null : MarkerTransfer.Nearest(o.Surface, o.Markers, conditioned.Mesh);
            string surfaceFile = Path.Combine(dir, $"{name}.{ext}");
            MeshFiles.Write(surfaceFile, conditioned.Mesh, markers);
            cells["surface_file"] = Path.GetFileName(surfaceFile);
            cells["vertices"] = I(q.Vertices); cells["triangles"] = I(q.Triangles);
            cells["watertight"] = B(q.Watertight); cells["manifold"] = B(q.Manifold); cells["outward"] = B(q.Outward);
            cells["self_intersections"] = I(q.SelfIntersections); cells["genus"] = I(q.Genus); cells["euler_characteristic"] = I(q.EulerCharacteristic);
            cells["area_um2"] = D(q.AreaUm2); cells["volume_um3"] = D(q.VolumeUm3);
            cells["voxel_volume_um3"] = o.VoxelVolumeUm3 is { } vv ? D(vv) : "";
            cells["relative_volume_change"] = D(conditioned.RelativeVolumeChange);
            cells["input_min_angle_deg"] = D(conditioned.InputQuality.MinAngleDeg);
            cells["min_angle_deg"] = D(q.MinAngleDeg); cells["max_angle_deg"] = D(q.MaxAngleDeg);
            cells["mean_aspect_ratio"] = D(q.MeanAspectRatio); cells["mean_edge_um"] = D(q.MeanEdgeUm);
            cells["repairs"] = string.Join("; ", conditioned.Repairs);
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{name}: {q.Triangles} triangles, watertight {q.Watertight}, genus {q.Genus}, min angle {conditioned.InputQuality.MinAngleDeg:F1}° → {q.MinAngleDeg:F1}°, volume {q.VolumeUm3:G5} µm³");
            if (tetrahedral)
            {
                var tets = IsosurfaceStuffing.Mesh(conditioned.Mesh, markers, new StuffingOptions { LatticeSpacingUm = latticeUm });
                var tq = TetMeshQuality.Measure(tets);
                string tetFile = Path.Combine(dir, $"{name}_tet.{(ext == "vtk" ? "vtk" : "vtu")}");
                MeshFiles.Write(tetFile, tets);
                cells["tet_file"] = Path.GetFileName(tetFile);
                cells["tetrahedra"] = I(tq.TetCount); cells["tet_volume_um3"] = D(tq.VolumeUm3);
                cells["min_dihedral_deg"] = D(tq.MinDihedralDeg); cells["max_dihedral_deg"] = D(tq.MaxDihedralDeg);
                cells["psd_faces"] = I(tets.FaceMarkers.Count(m => m == BoundaryRegion.Psd));
                summary += string.Create(CultureInfo.InvariantCulture,
                    $"; {tq.TetCount} tetrahedra, dihedral {tq.MinDihedralDeg:F1}°–{tq.MaxDihedralDeg:F1}°");
            }
            cells["status"] = "ok";
            ok++;
            output.WriteLine(summary);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or MeshConditioningException)
        {
            cells["status"] = "failed";
            cells["error"] = e.Message;
            output.WriteLine($"{name}: failed: {e.Message}");
        }
        return string.Join(",", Columns.Select(c => Csv(cells.GetValueOrDefault(c, ""))));
    }

    private static void WriteSummary(string path, List<string> rows)
    {
        var text = new StringBuilder().AppendLine(string.Join(",", Columns));
        foreach (var r in rows) text.AppendLine(r);
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, text.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    private static string Csv(string v) => v.Contains(',') || v.Contains('"') ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string D(double v) => v.ToString("G9", CultureInfo.InvariantCulture);
    private static string B(bool v) => v ? "true" : "false";
}
