using System.Text.RegularExpressions;
using SkiaSharp;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// <c>report</c> on a real study's outputs writes one self-contained HTML page whose every embedded image is a real PNG
/// (decodes, has a size, is not one flat colour), with a figure in every section; with tables missing it still writes
/// the page and says what is missing. The least-squares line and its band are checked against exact values.
/// </summary>
[Collection(StudyResultsCollection.Name)]
public sealed class ReportTests(StudyResultsFixture study)
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes every data-URI image of the page and checks it renders; returns how many there are.</summary>
    private static int AssertImagesRender(string html)
    {
        var images = Regex.Matches(html, "<img [^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");
        Assert.Equal(Regex.Matches(html, "<img ").Count, images.Count);   // no image is linked from outside the page
        foreach (Match m in images)
        {
            var bytes = Convert.FromBase64String(m.Groups[1].Value);
            Assert.True(bytes.AsSpan(0, 8).SequenceEqual(PngSignature), "not a PNG");
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 0 && bitmap.Height > 0);
            var colours = new HashSet<uint>();
            for (int y = 0; y < bitmap.Height; y += 3)
                for (int x = 0; x < bitmap.Width; x += 3)
                    colours.Add((uint)bitmap.GetPixel(x, y));
            Assert.True(colours.Count > 2, $"an image of {bitmap.Width}×{bitmap.Height} has {colours.Count} colour(s)");
        }
        return images.Count;
    }

    [Fact]
    public async Task ReportEmbedsRenderingFiguresOfEverySection()
    {
        var path = Path.Combine(study.Dir, "report.html");
        var r = await CliRunner.Run("report", study.OutDir, "--out", path);
        Assert.True(r.Code == 0, r.Out + r.Err);
        var html = File.ReadAllText(path);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("<script", html);
        int images = AssertImagesRender(html);

        var sections = await ReportVerb.WriteAsync(study.OutDir, Path.Combine(study.Dir, "report2.html"));
        var figures = sections.ToDictionary(s => s.Title, s => s.Figures);
        Assert.Equal(images, figures.Values.Sum());
        Assert.True(figures["Shape modes"] >= 2);               // PC scatter + descriptor scatters
        Assert.Equal(4, figures["Mesh quality"]);               // all angles (angle_hist_*), min angle, max angle, mean edge
        Assert.True(figures["Phenotype versus descriptor"] >= 1);
        Assert.Equal(1, figures["Posterior marginals"]);        // one fit, one parameter
        Assert.Equal(1, figures["Segmentation overlays"]);      // the one volume input, loaded through the manifest path in provenance
        Assert.All(sections, s => Assert.Empty(s.Notes));
        Assert.Contains("Spearman ρ =", html);
        Assert.Contains("ground-truth boundaries in cyan", html);
        Assert.Contains("report-e2e", html);
    }

    [Fact]
    public async Task MissingTablesAreNamedAndThePageIsStillWritten()
    {
        var partial = Path.Combine(study.Dir, "partial");
        Directory.CreateDirectory(partial);
        foreach (var t in new[] { "shapes", "simulations" })
            File.Copy(Path.Combine(study.OutDir, t + ".parquet"), Path.Combine(partial, t + ".parquet"), overwrite: true);
        var path = Path.Combine(study.Dir, "partial.html");
        var sections = await ReportVerb.WriteAsync(partial, path);
        var html = File.ReadAllText(path);
        AssertImagesRender(html);
        var notes = sections.ToDictionary(s => s.Title, s => string.Join("; ", s.Notes));
        Assert.Equal("the meshes table is missing", notes["Mesh quality"]);
        Assert.Equal("the posterior_draws table is missing", notes["Posterior marginals"]);
        Assert.Contains("the associations table is missing", notes["Phenotype versus descriptor"]);
        Assert.True(sections.Single(s => s.Title == "Phenotype versus descriptor").Figures == 1);   // volume against peak without a test
        Assert.True(sections.Single(s => s.Title == "Shape modes").Figures >= 2);
        Assert.Contains("Missing tables: cells, segmentation_quality, meshes, timeseries, fits, posterior_draws, associations, tasks.", html);
    }

    [Fact]
    public async Task AFolderWithoutTablesIsAClearError()
    {
        var r = await CliRunner.Run("report", Path.Combine(study.Dir, "spines"), "--out", Path.Combine(study.Dir, "none.html"));
        Assert.Equal(ReportVerb.Failed, r.Code);
        Assert.Contains("holds no .parquet tables", r.Err);
        Assert.False(File.Exists(Path.Combine(study.Dir, "none.html")));
    }

    [Fact]
    public void LeastSquaresLineAndBandMatchTheirClosedForm()
    {
        // exact line: recovered, band of zero width
        var x = new double[] { 0, 1, 2, 3, 4 };
        var exact = ReportFigures.FitLine(x, x.Select(v => 2 + 3 * v).ToArray())!;
        Assert.Equal(2.0, exact.Intercept, 12);
        Assert.Equal(3.0, exact.Slope, 12);
        Assert.All(exact.BandHigh.Zip(exact.BandLow), p => Assert.Equal(p.First, p.Second, 9));

        // y = 1, 3, 2, 5, 4: slope 0.8, intercept 1.4, residual s² = 3.6 / 3, half-width t(0.975, 3) · s · √(1/n + (x − x̄)²/Sxx)
        // with t(0.975, 3) = 3.182446305284263 (scipy.stats.t.ppf(0.975, 3))
        var fit = ReportFigures.FitLine(x, [1, 3, 2, 5, 4])!;
        Assert.Equal(0.8, fit.Slope, 12);
        Assert.Equal(1.4, fit.Intercept, 12);
        // the band is sampled at 50 points over [0, 4]; compare at the ends, where √(1/n + (x − x̄)²/Sxx) = √(1/5 + 4/10)
        double end = 3.182446305284263 * Math.Sqrt(1.2) * Math.Sqrt(1.0 / 5 + 4.0 / 10);
        Assert.Equal(1.4 - end, fit.BandLow[0], 9);
        Assert.Equal(1.4 + 0.8 * 4 + end, fit.BandHigh[^1], 9);
        Assert.Null(ReportFigures.FitLine([1, 1, 1], [1, 2, 3]));   // x constant: no line
        Assert.Null(ReportFigures.FitLine([1, 2], [1, 2]));         // too few points
    }
}
