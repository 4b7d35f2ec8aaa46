using System.Globalization;
using System.Xml.Linq;
using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Tests.Fem;

public class VtuTimeSeriesWriterTests
{
    [Fact]
    public void WritesOneVtuPerOutputTimeWithTheFieldsAndAPvdCollection()
    {
        var mesh = BoxTetMesher.Box(2, 2, 1);
        var model = new ReactionDiffusionModel([new Species("ca", 0.5, 0) { InitialProfile = (x, y, _) => x + 2 * y }, new Species("b", 0, 3)]);
        var result = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions { RecordFields = true }, [0, 0.1]);
        string dir = Path.Combine(Path.GetTempPath(), "shapestudy-vtu-" + Guid.NewGuid().ToString("N"));
        try
        {
            string pvd = VtuTimeSeriesWriter.Write(dir, "run", mesh, result);
            var sets = XDocument.Load(pvd).Descendants("DataSet").ToArray();
            Assert.Equal(["0", "0.1"], sets.Select(s => (string)s.Attribute("timestep")!));
            var first = XDocument.Load(Path.Combine(dir, (string)sets[0].Attribute("file")!));
            var piece = first.Descendants("Piece").Single();
            Assert.Equal(mesh.VertexCount, (int)piece.Attribute("NumberOfPoints")!);
            Assert.Equal(mesh.TetCount, (int)piece.Attribute("NumberOfCells")!);
            double[] Values(XDocument d, string name) => d.Descendants("DataArray").Single(a => (string?)a.Attribute("Name") == name).Value
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var ca = Values(first, "ca");
            for (int v = 0; v < mesh.VertexCount; v++) Assert.Equal(mesh.Vertices[3 * v] + 2 * mesh.Vertices[3 * v + 1], ca[v], 14);
            Assert.All(Values(first, "b"), b => Assert.Equal(3.0, b));
            Assert.Equal(4 * mesh.TetCount, Values(first, "connectivity").Length);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
