using ScottPlot;

namespace ShapeStudy.Host;

/// <summary>
/// The report's figures, drawn with ScottPlot and returned as PNG bytes. Every method takes plain arrays; NaN values
/// are left out. Sizes are in pixels.
/// </summary>
public static class ReportFigures
{
    /// <summary>Width × height of a report figure (px).</summary>
    public const int Width = 640, Height = 420;

    private static readonly Color[] Palette =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189), new(140, 86, 75),
        new(227, 119, 194), new(127, 127, 127),
    ];

    /// <summary>A colour of the report's palette (cycled).</summary>
    public static Color PaletteColor(int i) => Palette[((i % Palette.Length) + Palette.Length) % Palette.Length];

    private static byte[] Png(Plot plot, int width = Width, int height = Height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    private static (double[] X, double[] Y) Finite(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i])) { xs.Add(x[i]); ys.Add(y[i]); }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>Scatter of groups of points (e.g. real and synthetic shapes), one colour and legend entry per group.</summary>
    public static byte[] GroupScatter(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, double[] X, double[] Y)> groups)
    {
        var plot = new Plot();
        int i = 0;
        foreach (var (name, gx, gy) in groups)
        {
            var (x, y) = Finite(gx, gy);
            var s = plot.Add.ScatterPoints(x, y, PaletteColor(i++));
            s.MarkerSize = 7;
            s.LegendText = $"{name} (n = {x.Length})";
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return Png(plot);
    }

    /// <summary>Histogram of one or more <paramref name="series"/> in <paramref name="bins"/> equal bins over their common range, with optional vertical <paramref name="markers"/>.</summary>
    public static byte[] Histogram(string title, string xLabel, IReadOnlyList<(string Name, double[] Values)> series, int bins = 20,
        IReadOnlyList<(string Name, double X)>? markers = null)
    {
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
        var plot = new Plot();
        if (all.Length > 0)
        {
            double lo = all.Min(), hi = all.Max();
            if (hi <= lo) { lo -= 0.5; hi += 0.5; }
            double width = (hi - lo) / bins;
            int k = 0;
            foreach (var (name, values) in series)
            {
                var counts = new double[bins];
                foreach (var v in values.Where(double.IsFinite))
                    counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
                var positions = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
                var bars = plot.Add.Bars(positions, counts);
                var color = PaletteColor(k++).WithAlpha(series.Count > 1 ? 0.55 : 0.9);
                foreach (var bar in bars.Bars)
                {
                    bar.Size = width;
                    bar.FillColor = color;
                    bar.LineWidth = 0;
                }
                bars.LegendText = series.Count > 1 ? name : "";
            }
            plot.Axes.Margins(bottom: 0);
        }
        var labelled = new HashSet<string>(StringComparer.Ordinal);
        int m = 0;
        foreach (var (name, x) in markers ?? [])
        {
            if (!double.IsFinite(x)) continue;
            var line = plot.Add.VerticalLine(x);
            // the first marker solid black, later ones dashed in their own colour; a repeated name (an interval's two ends) shares one legend entry
            line.Color = m == 0 ? Colors.Black : PaletteColor(2 + m);
            line.LinePattern = m == 0 ? LinePattern.Solid : LinePattern.Dashed;
            line.LineWidth = 2;
            if (labelled.Add(name)) { line.LegendText = name; m++; }
            else line.Color = PaletteColor(1 + m);
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("count");
        if (series.Count > 1 || markers is { Count: > 0 }) plot.ShowLegend();
        return Png(plot);
    }

    /// <summary>Bars of pre-binned <paramref name="counts"/>: bin i spans [<paramref name="firstEdge"/> + i·<paramref name="width"/>, … + width).</summary>
    public static byte[] BinnedHistogram(string title, string xLabel, string yLabel, double firstEdge, double width, IReadOnlyList<double> counts)
    {
        var plot = new Plot();
        var positions = Enumerable.Range(0, counts.Count).Select(i => firstEdge + (i + 0.5) * width).ToArray();
        var bars = plot.Add.Bars(positions, counts.ToArray());
        foreach (var bar in bars.Bars)
        {
            bar.Size = width;
            bar.FillColor = PaletteColor(0).WithAlpha(0.9);
            bar.LineWidth = 0;
        }
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return Png(plot);
    }

    /// <summary>Ordinary least-squares line y = a + b x with its 95 % confidence band for the mean response.</summary>
    public sealed record LineFit(double Intercept, double Slope, int N, double[] BandX, double[] BandLow, double[] BandHigh);

    /// <summary>
    /// Fits y = a + b x by least squares; the band is a + b x ± t(0.975, n − 2) · s · √(1/n + (x − x̄)² / Sxx) on 50 points
    /// across the x range. Null when fewer than 3 finite pairs or x is constant.
    /// </summary>
    public static LineFit? FitLine(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var (xs, ys) = Finite(x, y);
        int n = xs.Length;
        if (n < 3) return null;
        double mx = xs.Average(), my = ys.Average();
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) { sxx += (xs[i] - mx) * (xs[i] - mx); sxy += (xs[i] - mx) * (ys[i] - my); }
        if (!(sxx > 0)) return null;
        double b = sxy / sxx, a = my - b * mx;
        double sse = 0;
        for (int i = 0; i < n; i++) { double r = ys[i] - a - b * xs[i]; sse += r * r; }
        double s = Math.Sqrt(sse / (n - 2));
        double t = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, n - 2, 0.975);
        double lo = xs.Min(), hi = xs.Max();
        var bx = Enumerable.Range(0, 50).Select(i => lo + (hi - lo) * i / 49.0).ToArray();
        var half = bx.Select(v => t * s * Math.Sqrt(1.0 / n + (v - mx) * (v - mx) / sxx)).ToArray();
        return new LineFit(a, b, n, bx, bx.Select((v, i) => a + b * v - half[i]).ToArray(), bx.Select((v, i) => a + b * v + half[i]).ToArray());
    }

    /// <summary>Scatter of a phenotype against a descriptor with the least-squares line and its 95 % confidence band.</summary>
    public static byte[] Regression(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, double[] X, double[] Y)> groups)
    {
        var plot = new Plot();
        var fit = FitLine(groups.SelectMany(g => g.X).ToArray(), groups.SelectMany(g => g.Y).ToArray());
        if (fit is not null)
        {
            var band = plot.Add.FillY(fit.BandX, fit.BandLow, fit.BandHigh);
            band.FillColor = Colors.Gray.WithAlpha(0.3);
            band.LineWidth = 0;
            band.LegendText = "95 % CI of the mean";
            var line = plot.Add.ScatterLine(fit.BandX, fit.BandX.Select(v => fit.Intercept + fit.Slope * v).ToArray(), Colors.Black);
            line.LineWidth = 2;
            line.LegendText = $"least squares (n = {fit.N})";
        }
        int i = 0;
        foreach (var (name, gx, gy) in groups)
        {
            var (x, y) = Finite(gx, gy);
            var s = plot.Add.ScatterPoints(x, y, PaletteColor(i++));
            s.MarkerSize = 7;
            s.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return Png(plot);
    }

    /// <summary>
    /// A raw image slice (grey; the vertical axis is the array's row index y) with label boundaries drawn over it: <paramref name="predicted"/>
    /// boundaries in red, <paramref name="truth"/> boundaries (optional) in cyan. Arrays are (Y, X) of one z-plane.
    /// </summary>
    public static byte[] Overlay(string title, float[,] raw, int[,] predicted, int[,]? truth)
    {
        int ny = raw.GetLength(0), nx = raw.GetLength(1);
        var grey = new double[ny, nx];
        for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) grey[y, x] = raw[y, x];
        var plot = new Plot();
        var image = plot.Add.Heatmap(grey);
        image.Colormap = new ScottPlot.Colormaps.Grayscale();
        var edges = new double[ny, nx];
        for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) edges[y, x] = double.NaN;
        if (truth is not null) Mark(truth, edges, 0.0);
        Mark(predicted, edges, 1.0);
        var boundaries = plot.Add.Heatmap(edges);
        boundaries.Colormap = new TwoColors(new Color(0, 220, 255), new Color(255, 40, 40));
        boundaries.ManualRange = new ScottPlot.Range(0, 1);
        plot.Title(title);
        plot.Axes.SquareUnits();
        plot.HideGrid();
        double aspect = (double)ny / nx;
        int width = Width, height = (int)Math.Clamp(Width * aspect + 80, 240, 900);
        return Png(plot, width, height);
    }

    /// <summary>Sets <paramref name="value"/> where a pixel's label differs from a 4-neighbour's and is not background.</summary>
    private static void Mark(int[,] labels, double[,] edges, double value)
    {
        int ny = labels.GetLength(0), nx = labels.GetLength(1);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
            {
                int l = labels[y, x];
                if (l == 0) continue;
                bool edge = (x == 0 || labels[y, x - 1] != l) || (x == nx - 1 || labels[y, x + 1] != l)
                    || (y == 0 || labels[y - 1, x] != l) || (y == ny - 1 || labels[y + 1, x] != l);
                if (edge) edges[y, x] = value;
            }
    }

    /// <summary>A colormap with one colour below 0.5 and another from 0.5 up.</summary>
    private sealed class TwoColors(Color low, Color high) : IColormap
    {
        public string Name => "two colours";
        public Color GetColor(double position) => position < 0.5 ? low : high;
    }
}
