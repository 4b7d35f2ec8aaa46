using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// Writes reaction–diffusion fields for ParaView: one ASCII VTU file per output time (tetrahedra, point data = one array per
/// species in µM, cell data "region" = <see cref="TetMesh.TetRegions"/>) and a PVD collection listing them with their times
/// (ms). Files are written to a temporary name and renamed, so a crash never leaves a truncated file.
/// </summary>
public static class VtuTimeSeriesWriter
{
    /// <summary>
    /// Writes <paramref name="directory"/>/<paramref name="baseName"/>_NNNN.vtu for every output time of
    /// <paramref name="result"/> (which must have been run with <see cref="TimeIntegrationOptions.RecordFields"/>) and
    /// <paramref name="baseName"/>.pvd; returns the PVD path. Values where a species does not live are written as 0.
    /// </summary>
    /// <exception cref="ArgumentException">The result holds no fields, or they do not match the mesh.</exception>
    public static string Write(string directory, string baseName, TetMesh mesh, ReactionDiffusionResult result)
    {
        if (result.Fields is null) throw new ArgumentException("the run did not record fields (set TimeIntegrationOptions.RecordFields)", nameof(result));
        Directory.CreateDirectory(directory);
        var pvd = new StringBuilder();
        pvd.Append("<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n<Collection>\n");
        for (int k = 0; k < result.TimesMs.Length; k++)
        {
            string name = $"{baseName}_{k:D4}.vtu";
            WriteVtu(Path.Combine(directory, name), mesh, result.Species, result.Fields[k]);
            pvd.Append(string.Format(CultureInfo.InvariantCulture, "<DataSet timestep=\"{0:R}\" group=\"\" part=\"0\" file=\"{1}\"/>\n", result.TimesMs[k], name));
        }
        pvd.Append("</Collection>\n</VTKFile>\n");
        string path = Path.Combine(directory, baseName + ".pvd");
        Atomic(path, w => w.Write(pvd.ToString()));
        return path;
    }

    /// <summary>Writes one ASCII VTU of <paramref name="mesh"/> with the named vertex fields (one value per vertex each).</summary>
    public static void WriteVtu(string path, TetMesh mesh, IReadOnlyList<string> names, IReadOnlyList<double[]> fields)
    {
        if (names.Count != fields.Count) throw new ArgumentException("one name per field is required", nameof(names));
        foreach (var f in fields) if (f.Length != mesh.VertexCount) throw new ArgumentException($"a field has {f.Length} values for {mesh.VertexCount} vertices", nameof(fields));
        var ci = CultureInfo.InvariantCulture;
        Atomic(path, w =>
        {
            w.Write("<?xml version=\"1.0\"?>\n<!-- ShapeStudy reaction-diffusion fields; lengths in micrometres, concentrations in micromolar -->\n");
            w.Write("<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n<UnstructuredGrid>\n");
            w.Write($"<Piece NumberOfPoints=\"{mesh.VertexCount}\" NumberOfCells=\"{mesh.TetCount}\">\n");
            w.Write("<PointData>\n");
            for (int s = 0; s < names.Count; s++)
            {
                w.Write($"<DataArray type=\"Float64\" Name=\"{System.Security.SecurityElement.Escape(names[s])}\" format=\"ascii\">\n");
                foreach (var v in fields[s]) { w.Write((double.IsNaN(v) ? 0.0 : v).ToString("R", ci)); w.Write(' '); }
                w.Write("\n</DataArray>\n");
            }
            w.Write("</PointData>\n<CellData>\n<DataArray type=\"Int32\" Name=\"region\" format=\"ascii\">\n");
            foreach (var r in mesh.TetRegions) { w.Write(r.ToString(ci)); w.Write(' '); }
            w.Write("\n</DataArray>\n</CellData>\n<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n");
            foreach (var v in mesh.Vertices) { w.Write(v.ToString("R", ci)); w.Write(' '); }
            w.Write("\n</DataArray>\n</Points>\n<Cells>\n<DataArray type=\"Int32\" Name=\"connectivity\" format=\"ascii\">\n");
            foreach (var v in mesh.Tetrahedra) { w.Write(v.ToString(ci)); w.Write(' '); }
            w.Write("\n</DataArray>\n<DataArray type=\"Int32\" Name=\"offsets\" format=\"ascii\">\n");
            for (int c = 1; c <= mesh.TetCount; c++) { w.Write((4 * c).ToString(ci)); w.Write(' '); }
            w.Write("\n</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n");
            for (int c = 0; c < mesh.TetCount; c++) w.Write("10 ");
            w.Write("\n</DataArray>\n</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n");
        });
    }

    private static void Atomic(string path, Action<StreamWriter> write)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 16)) write(w);
        File.Move(tmp, path, overwrite: true);
    }
}
