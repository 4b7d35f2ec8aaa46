using ShapeStudy.Core;
using ShapeStudy.Physics.Calcium;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Calcium;

public class CalciumSpineTests(ITestOutputHelper output)
{
    /// <summary>Tet mesh of a bundled Rangamani spine (PSD and dendrite ends marked) with its head/neck/base compartments.</summary>
    internal static (TetMesh Mesh, int[] Compartments) Spine(string name, double latticeUm, bool withSa)
    {
        string dir = RepoPaths.Data("rangamani-spine");
        var surface = ObjFormat.Read(Path.Combine(dir, name + ".obj"));
        var regions = SpineRegions.Read(Path.Combine(dir, name + "_regions.json"), surface.TriangleCount);
        var options = new StuffingOptions { LatticeSpacingUm = latticeUm };
        if (withSa) options = options with { Organelle = ObjFormat.Read(Path.Combine(dir, "ideal_SA.obj")) };
        var mesh = IsosurfaceStuffing.Mesh(surface, SpineRegions.FaceMarkers(regions, surface.TriangleCount), options);
        var comps = SpineCompartments.FromSurfaceLabels(mesh, surface, SpineRegions.FaceCompartments(regions, surface.TriangleCount)!);
        return (mesh, comps);
    }

    [Theory]
    [InlineData("real_Mushroom_dendrite", false, 0.08)]   // its neck needs a finer lattice to stay connected
    [InlineData("ideal_Mushroom_dendrite", true, 0.12)]
    public void Spine_run_balances_mass_conserves_buffers_and_peaks_in_the_head(string name, bool withSa, double latticeUm)
    {
        var (mesh, comps) = Spine(name, latticeUm, withSa);
        Assert.Equal(1, SpineCompartments.ConnectedComponents(mesh)); // the neck must not be pinched off
        var p = new CalciumSpineParameters();
        var r = CalciumSpineSimulation.Run(mesh, comps, p, new CalciumRunOptions { DurationMs = 2, OutputIntervalMs = 0.5, TrackFluxes = true });
        output.WriteLine($"{name}: {mesh.VertexCount} vertices, {mesh.TetCount} tets, {r.Unknowns} unknowns, steps {r.Statistics.Steps}, rejected {r.Statistics.RejectedSteps}, newton {r.Statistics.NewtonIterations}, linear {r.Statistics.LinearIterations}, {r.Statistics.WallSeconds:F1} s");
        var total = r.TotalCaAmount();
        double scale = total.Max();
        for (int i = 0; i < r.TimesMs.Length; i++)
        {
            double inflow = r.InfluxAmount![i] - r.ExtrusionAmount![i];
            double change = total[i] - total[0];
            output.WriteLine($"t={r.TimesMs[i],5:F2} ms head {r.MeanCaUM["head"][i]:F4} neck {r.MeanCaUM["neck"][i]:F4} base {r.MeanCaUM["base"][i]:F4} µM; influx {r.InfluxAmount[i]:F5} extr {r.ExtrusionAmount[i]:E3} uptake {(r.UptakeAmount?[i] ?? 0):E3}; ΔCa {change:F5} µM·µm³");
            // mass balance: influx − extrusion (− uptake into the SA, which stays in the total) = Δ(free + buffered + SA)
            Assert.Equal(inflow, change, 1e-7 * scale + 1e-9);
            // buffers are conserved
            Assert.Equal(r.MobileBufferTotalAmount[0], r.MobileBufferTotalAmount[i], 1e-8 * r.MobileBufferTotalAmount[0]);
            Assert.Equal(r.ImmobileBufferTotalAmount[0], r.ImmobileBufferTotalAmount[i], 1e-8 * r.ImmobileBufferTotalAmount[0]);
        }
        // the discrete influx equals the analytic integral of J(t) over the PSD area up to the time-integration error (rtol 1e-3)
        double psdArea = P1Space.Create(mesh).BoundaryArea(BoundaryRegion.Psd);
        double analytic = psdArea * CalciumSpineModel.InfluxIntegral(p, r.TimesMs[^1]);
        Assert.Equal(analytic, r.InfluxAmount![^1], 1e-2 * analytic);
        if (withSa) Assert.True(r.UptakeAmount![^1] > 0, "SERCA takes Ca²⁺ into the spine apparatus");
        Assert.True(r.Phenotypes["head"].PeakUM > r.Phenotypes["neck"].PeakUM, "head peak above neck");
        Assert.True(r.Phenotypes["neck"].PeakUM > r.Phenotypes["base"].PeakUM, "neck peak above base");
        Assert.True(r.HeadToBaseGradientUM > 0);
        Assert.True(r.Statistics.MostNegativeUM > -1e-3, $"undershoot {r.Statistics.MostNegativeUM}");
    }

    [Fact]
    public void Impossible_parameters_are_rejected_naming_the_key()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CalciumSpineParameters { CaDiffusionUm2PerMs = -0.1 }.Validate());
        Assert.Contains("d_ca_um2_per_ms", e.Message);
        var u = Assert.Throws<ArgumentException>(() => CalciumSpineParameters.FromValues(new Dictionary<string, double> { ["pmca_speed"] = 1 }));
        Assert.Contains("pmca_speed", u.Message);
        var ok = CalciumSpineParameters.FromValues(new Dictionary<string, double> { ["pmca_vmax_um_um_per_ms"] = 0.02 });
        Assert.Equal(0.02, ok.PmcaVmaxUmUmPerMs);
    }

    [Fact]
    public void Resting_state_is_steady_with_the_default_leak()
    {
        var (mesh, comps) = Spine("real_Mushroom_dendrite", 0.12, false);
        var p = new CalciumSpineParameters { InfluxPeakUmUmPerMs = 0 };
        var r = CalciumSpineSimulation.Run(mesh, comps, p, new CalciumRunOptions { DurationMs = 5, OutputIntervalMs = 5 });
        foreach (var c in SpineCompartments.Names)
            Assert.Equal(p.CaRestUM, r.MeanCaUM[c][^1], 1e-7);
    }

    [Fact]
    public void Influx_integral_matches_quadrature_and_peak_is_normalised()
    {
        var p = new CalciumSpineParameters { InfluxOnsetMs = 1 };
        double peak = 0, sum = 0, dt = 1e-4;
        for (double t = 0; t < 40; t += dt) { double j = CalciumSpineModel.Influx(p, t + dt / 2); peak = Math.Max(peak, j); sum += j * dt; }
        Assert.Equal(p.InfluxPeakUmUmPerMs, peak, 1e-6);
        Assert.Equal(CalciumSpineModel.InfluxIntegral(p, 40), sum, 1e-6);
        Assert.Equal(0, CalciumSpineModel.Influx(p, 0.5));
    }
}
