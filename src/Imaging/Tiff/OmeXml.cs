using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// The parts of OME-XML (stored in an OME-TIFF's first ImageDescription) that a single-channel volume needs: plane
/// counts and the physical voxel size.
/// </summary>
internal sealed record OmeInfo(long SizeZ, long SizeC, long SizeT, double? PhysicalX, double? PhysicalY, double? PhysicalZ)
{
    /// <summary>Planes of the first image (Z·C·T).</summary>
    public long Planes => SizeZ * SizeC * SizeT;

    /// <summary>The voxel size in µm when any physical size is given (missing axes take 1 µm), otherwise null.</summary>
    public Spacing? Spacing => PhysicalX is null && PhysicalY is null && PhysicalZ is null
        ? null
        : new Spacing(PhysicalZ ?? 1.0, PhysicalY ?? 1.0, PhysicalX ?? 1.0);
}

internal static class OmeXml
{
    /// <summary>
    /// Parses <paramref name="description"/> when it is OME-XML (root element OME with a Pixels element); returns null
    /// for any other description. Malformed OME-XML or invalid sizes throw an <see cref="InvalidDataException"/>
    /// naming <paramref name="path"/>.
    /// </summary>
    public static OmeInfo? Parse(string path, string? description)
    {
        if (description is null) return null;
        var trimmed = description.AsSpan().TrimStart();
        if (!(trimmed.StartsWith("<?xml", StringComparison.Ordinal) || trimmed.StartsWith("<OME", StringComparison.Ordinal))
            || description.IndexOf("OME", StringComparison.Ordinal) < 0)
            return null;
        XDocument doc;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 64L << 20 };
            using var reader = XmlReader.Create(new StringReader(description), settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw FormatGuards.Error(path, $"the OME-XML in the ImageDescription is not well-formed: {e.Message}");
        }
        var root = doc.Root;
        if (root is null || root.Name.LocalName != "OME") return null;
        XElement? pixels = null;
        foreach (var image in root.Elements())
        {
            if (image.Name.LocalName != "Image") continue;
            foreach (var p in image.Elements())
                if (p.Name.LocalName == "Pixels") { pixels = p; break; }
            break;
        }
        if (pixels is null) return null;

        long Size(string name)
        {
            var a = pixels.Attribute(name);
            if (a is null) return 1;
            if (!long.TryParse(a.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) || v <= 0 || v > int.MaxValue)
                throw FormatGuards.Error(path, $"OME-XML Pixels {name}=\"{a.Value}\" is not a positive integer");
            return v;
        }
        double? Physical(string axis)
        {
            var a = pixels.Attribute("PhysicalSize" + axis);
            if (a is null) return null;
            if (!double.TryParse(a.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
                throw FormatGuards.Error(path, $"OME-XML PhysicalSize{axis}=\"{a.Value}\" is not a positive number");
            string unit = pixels.Attribute("PhysicalSize" + axis + "Unit")?.Value ?? "µm";
            double? factor = UnitInMicrons(unit);
            if (factor is null)
                throw FormatGuards.Error(path, $"OME-XML PhysicalSize{axis}Unit=\"{unit}\" is not a supported length unit (pm, Å, nm, µm, mm, cm, m)");
            double um = v * factor.Value;
            if (!(um > 0) || !double.IsFinite(um))
                throw FormatGuards.Error(path, $"OME-XML PhysicalSize{axis}={v} {unit} is out of range");
            return um;
        }
        long sizeZ = Size("SizeZ"), sizeC = Size("SizeC"), sizeT = Size("SizeT");
        return new OmeInfo(sizeZ, sizeC, sizeT, Physical("X"), Physical("Y"), Physical("Z"));
    }

    private static double? UnitInMicrons(string unit) => unit.Replace('μ', 'µ') switch
    {
        "pm" => 1e-6,
        "Å" or "\u212B" => 1e-4,
        "nm" => 1e-3,
        "µm" or "um" => 1.0,
        "mm" => 1e3,
        "cm" => 1e4,
        "m" => 1e6,
        _ => null,
    };

    /// <summary>
    /// OME-XML (2016-06 schema) for one single-channel image of shape (Z, Y, X) stored as consecutive IFDs from IFD 0,
    /// with the physical sizes in µm. ASCII only, ending in "OME&gt;" as readers such as tifffile expect.
    /// </summary>
    public static string Build((int Z, int Y, int X) shape, Spacing spacing, string omeType)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        sb.Append("<OME xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\" ");
        sb.Append("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ");
        sb.Append("xsi:schemaLocation=\"http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd\" ");
        sb.Append("Creator=\"ShapeStudy\">");
        sb.Append("<Image ID=\"Image:0\" Name=\"Image0\">");
        sb.Append(ci, $"<Pixels ID=\"Pixels:0\" DimensionOrder=\"XYZCT\" Type=\"{omeType}\" SizeX=\"{shape.X}\" SizeY=\"{shape.Y}\" SizeZ=\"{shape.Z}\" SizeC=\"1\" SizeT=\"1\" ");
        sb.Append(ci, $"PhysicalSizeX=\"{spacing.X:R}\" PhysicalSizeXUnit=\"&#181;m\" PhysicalSizeY=\"{spacing.Y:R}\" PhysicalSizeYUnit=\"&#181;m\" PhysicalSizeZ=\"{spacing.Z:R}\" PhysicalSizeZUnit=\"&#181;m\" BigEndian=\"false\">");
        sb.Append("<Channel ID=\"Channel:0:0\" SamplesPerPixel=\"1\"><LightPath/></Channel>");
        sb.Append(ci, $"<TiffData IFD=\"0\" PlaneCount=\"{shape.Z}\"/>");
        sb.Append("</Pixels></Image></OME>");
        return sb.ToString();
    }
}
