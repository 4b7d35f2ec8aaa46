using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Calcium;

/// <summary>
/// The <c>calcium_spine</c> reaction–diffusion model after Bell et al. (2019, J Gen Physiol 151:1017), on a tetrahedral
/// mesh of a dendritic spine (µm) whose boundary faces carry <see cref="BoundaryRegion"/> markers:
/// <list type="bullet">
/// <item>Cytosol (tet region 0): free Ca²⁺ <c>ca</c> (D = 0.22 µm²/ms), a mobile buffer <c>bm</c>/<c>ca_bm</c> (D = 0.02 µm²/ms)
/// and an immobile buffer <c>bf</c>/<c>ca_bf</c> (D = 0), each binding by mass action Ca + B ⇌ CaB.</item>
/// <item>PSD faces (<see cref="BoundaryRegion.Psd"/>): influx J(t) = J_peak·(e^{−s/τd} − e^{−s/τr})/max, s = t − onset ≥ 0.</item>
/// <item>Plasma membrane (<see cref="BoundaryRegion.Membrane"/> and PSD faces): PMCA extrusion
/// V·β(c)·[f·c²/(K²+c²) + (1−f)·c⁵/(K⁵+c⁵)] (f = 0.113/0.703), NCX extrusion V·β(c)·c/(K+c), and a constant leak influx that
/// balances both at rest. β(c) = 1/(1 + 191·2.43/(2.43+c)² + 8.77·0.139/(0.139+c)²) is Bell's rapid-buffer factor of the pump models.
/// <see cref="BoundaryRegion.Cut"/> faces (dendrite ends) carry no flux.</item>
/// <item>Optional spine apparatus (tet region 1, interface faces <see cref="BoundaryRegion.Organelle"/>): lumenal Ca²⁺
/// <c>ca_sa</c> (D = 0.045 µm²/ms); SERCA uptake V·β(c)·c²/(K²+c²) and a leak k·(c_SA − c) across the interface; a fraction
/// ξ = 1/6 of the Ca²⁺ entering the lumen stays free (rapid lumenal buffer), so the lumen's total Ca²⁺ is c_SA/ξ.</item>
/// </list>
/// </summary>
public static class CalciumSpineModel
{
    /// <summary>Species names.</summary>
    public const string Ca = "ca", MobileBuffer = "bm", CaMobileBuffer = "ca_bm", ImmobileBuffer = "bf", CaImmobileBuffer = "ca_bf", CaSa = "ca_sa";
    /// <summary>Flux-tracking species (µM·µm³ accumulated in immobile counters, present when requested): influx, membrane
    /// extrusion (PMCA + NCX − leak), net uptake into the spine apparatus (SERCA − SA leak).</summary>
    public const string InfluxCounter = "track_influx", ExtrusionCounter = "track_extrusion", UptakeCounter = "track_uptake";

    /// <summary>Tet region marker of the cytosol and of the spine-apparatus lumen.</summary>
    public const int CytosolRegion = 0, SpineApparatusRegion = 1;

    /// <summary>
    /// Builds the model. <paramref name="withSpineApparatus"/> adds the lumen species and SERCA/leak on the organelle
    /// interface (the mesh must then have tet region 1 and faces marked <see cref="BoundaryRegion.Organelle"/>);
    /// <paramref name="trackFluxes"/> adds immobile counter species whose amounts are the time integrals of the influx,
    /// extrusion and uptake (exact in the discrete scheme, for mass-balance checks).
    /// </summary>
    public static ReactionDiffusionModel Build(CalciumSpineParameters p, bool withSpineApparatus, bool trackFluxes = false, bool hasPsd = true)
    {
        p.Validate();
        int[] cyto = [CytosolRegion];
        double c0 = p.CaRestUM;
        double bm0 = p.MobileBufferTotalUM * KdFraction(p.MobileBufferKonPerUMPerMs, p.MobileBufferKoffPerMs, c0);
        double bf0 = p.ImmobileBufferTotalUM * KdFraction(p.ImmobileBufferKonPerUMPerMs, p.ImmobileBufferKoffPerMs, c0);
        var species = new List<Species>
        {
            new(Ca, p.CaDiffusionUm2PerMs, c0) { Subdomains = cyto },
            new(MobileBuffer, p.MobileBufferDiffusionUm2PerMs, p.MobileBufferTotalUM - bm0) { Subdomains = cyto },
            new(CaMobileBuffer, p.MobileBufferDiffusionUm2PerMs, bm0) { Subdomains = cyto },
            new(ImmobileBuffer, 0, p.ImmobileBufferTotalUM - bf0) { Subdomains = cyto },
            new(CaImmobileBuffer, 0, bf0) { Subdomains = cyto },
        };
        if (withSpineApparatus) species.Add(new(CaSa, p.SaCaDiffusionUm2PerMs, p.SaCaRestUM) { Subdomains = [SpineApparatusRegion] });
        if (trackFluxes)
        {
            species.Add(new(InfluxCounter, 0, 0) { Subdomains = cyto });
            species.Add(new(ExtrusionCounter, 0, 0) { Subdomains = cyto });
            if (withSpineApparatus) species.Add(new(UptakeCounter, 0, 0) { Subdomains = cyto });
        }

        var reactions = new List<VolumeReaction>
        {
            new("mobile_buffer", Rates.MassAction(p.MobileBufferKonPerUMPerMs, [Ca, MobileBuffer], p.MobileBufferKoffPerMs, [CaMobileBuffer]),
                new Dictionary<string, double> { [Ca] = -1, [MobileBuffer] = -1, [CaMobileBuffer] = 1 }) { Subdomains = cyto },
            new("immobile_buffer", Rates.MassAction(p.ImmobileBufferKonPerUMPerMs, [Ca, ImmobileBuffer], p.ImmobileBufferKoffPerMs, [CaImmobileBuffer]),
                new Dictionary<string, double> { [Ca] = -1, [ImmobileBuffer] = -1, [CaImmobileBuffer] = 1 }) { Subdomains = cyto },
        };

        var pmca = new BufferedPumpLaw(Ca, BufferedPumpLaw.Kind.Pmca, p.PmcaVmaxUmUmPerMs, p.PmcaKUM);
        var ncx = new BufferedPumpLaw(Ca, BufferedPumpLaw.Kind.MichaelisMenten, p.NcxVmaxUmUmPerMs, p.NcxKUM);
        double leak = p.LeakUmUmPerMs ?? RestingExtrusion(p);
        Dictionary<string, double> Out(string? counter) => counter is null ? new() { [Ca] = -1 } : new() { [Ca] = -1, [counter] = 1 };
        Dictionary<string, double> In(string? counter, double sign = 1) => counter is null ? new() { [Ca] = 1 } : new() { [Ca] = 1, [counter] = -sign };
        string? ext = trackFluxes ? ExtrusionCounter : null;
        var fluxes = new List<BoundaryFlux>();
        int[] membranes = hasPsd ? [BoundaryRegion.Membrane, BoundaryRegion.Psd] : [BoundaryRegion.Membrane];
        foreach (int marker in membranes)
        {
            string tag = marker == BoundaryRegion.Psd ? "psd" : "pm";
            fluxes.Add(new($"pmca_{tag}", marker, pmca, Out(ext)));
            fluxes.Add(new($"ncx_{tag}", marker, ncx, Out(ext)));
            if (leak > 0) fluxes.Add(new($"leak_{tag}", marker, Rates.Constant(leak), In(ext)));
        }
        if (hasPsd)
        {
            var influx = Rates.OfTime(t => Influx(p, t));
            fluxes.Add(new("influx", BoundaryRegion.Psd, influx,
                trackFluxes ? new Dictionary<string, double> { [Ca] = 1, [InfluxCounter] = 1 } : new Dictionary<string, double> { [Ca] = 1 }));
        }
        if (withSpineApparatus)
        {
            string? up = trackFluxes ? UptakeCounter : null;
            var serca = new BufferedPumpLaw(Ca, BufferedPumpLaw.Kind.Hill2, p.SercaVmaxUmUmPerMs, p.SercaKUM);
            var sercaStoich = Out(up); sercaStoich[CaSa] = p.SaFreeFraction;
            fluxes.Add(new("serca", BoundaryRegion.Organelle, serca, sercaStoich));
            if (p.SaLeakUmPerMs > 0)
            {
                var saLeak = Rates.MassAction(p.SaLeakUmPerMs, [CaSa], p.SaLeakUmPerMs, [Ca]); // k·(c_SA − c)
                var leakStoich = In(up); leakStoich[CaSa] = -p.SaFreeFraction;
                fluxes.Add(new("sa_leak", BoundaryRegion.Organelle, saLeak, leakStoich));
            }
        }
        return new ReactionDiffusionModel(species, reactions, fluxes);
    }

    /// <summary>Influx density J(t) at the PSD (µM·µm/ms) at time <paramref name="tMs"/> (ms): a bi-exponential normalised to peak
    /// <see cref="CalciumSpineParameters.InfluxPeakUmUmPerMs"/>.</summary>
    public static double Influx(CalciumSpineParameters p, double tMs)
    {
        double s = tMs - p.InfluxOnsetMs;
        if (s < 0) return 0;
        return p.InfluxPeakUmUmPerMs * (Math.Exp(-s / p.InfluxDecayMs) - Math.Exp(-s / p.InfluxRiseMs)) / BiExpPeak(p.InfluxRiseMs, p.InfluxDecayMs);
    }

    /// <summary>∫₀^T J(t) dt (µM·µm) of the influx density up to <paramref name="tMs"/>.</summary>
    public static double InfluxIntegral(CalciumSpineParameters p, double tMs)
    {
        double s = tMs - p.InfluxOnsetMs;
        if (s <= 0) return 0;
        double r = p.InfluxRiseMs, d = p.InfluxDecayMs;
        return p.InfluxPeakUmUmPerMs * (d * (1 - Math.Exp(-s / d)) - r * (1 - Math.Exp(-s / r))) / BiExpPeak(r, d);
    }

    /// <summary>PMCA + NCX flux density (µM·µm/ms) at the resting Ca²⁺ level: the default leak.</summary>
    public static double RestingExtrusion(CalciumSpineParameters p)
    {
        double c = p.CaRestUM;
        return new BufferedPumpLaw(Ca, BufferedPumpLaw.Kind.Pmca, p.PmcaVmaxUmUmPerMs, p.PmcaKUM).Value(c)
             + new BufferedPumpLaw(Ca, BufferedPumpLaw.Kind.MichaelisMenten, p.NcxVmaxUmUmPerMs, p.NcxKUM).Value(c);
    }

    private static double KdFraction(double kon, double koff, double c) => kon * c + koff > 0 ? kon * c / (kon * c + koff) : 0;

    private static double BiExpPeak(double r, double d)
    {
        double tp = r * d / (d - r) * Math.Log(d / r);
        return Math.Exp(-tp / d) - Math.Exp(-tp / r);
    }

    /// <summary>Bell et al.'s pump laws: V·β(c)·g(c) with the rapid-buffer factor β(c) (c &lt; 0 counts as 0).</summary>
    private sealed class BufferedPumpLaw(string species, BufferedPumpLaw.Kind kind, double vmax, double k) : RateLaw(species)
    {
        public enum Kind { Pmca, MichaelisMenten, Hill2 }

        private const double Pe = 191, Ke = 2.43, Px = 8.77, Kx = 0.139, PmcaLowFraction = 0.113 / (0.113 + 0.59);

        public double Value(double c)
        {
            c = Math.Max(c, 0);
            return vmax * Beta(c) * G(c);
        }

        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => Value(c[0]);

        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate)
        {
            double x = Math.Max(c[0], 0);
            double b = Beta(x);
            double db = b * b * (2 * Pe * Ke / Math.Pow(Ke + x, 3) + 2 * Px * Kx / Math.Pow(Kx + x, 3));
            dRate[0] = vmax * (db * G(x) + b * DG(x));
        }

        private static double Beta(double c) => 1 / (1 + Pe * Ke / ((Ke + c) * (Ke + c)) + Px * Kx / ((Kx + c) * (Kx + c)));

        private double G(double c) => kind switch
        {
            Kind.Pmca => PmcaLowFraction * Hill(c, 2) + (1 - PmcaLowFraction) * Hill(c, 5),
            Kind.MichaelisMenten => c / (k + c),
            _ => Hill(c, 2),
        };

        private double DG(double c) => kind switch
        {
            Kind.Pmca => PmcaLowFraction * DHill(c, 2) + (1 - PmcaLowFraction) * DHill(c, 5),
            Kind.MichaelisMenten => k / ((k + c) * (k + c)),
            _ => DHill(c, 2),
        };

        private double Hill(double c, int n) { double cn = Math.Pow(c, n), kn = Math.Pow(k, n); return cn / (kn + cn); }

        private double DHill(double c, int n)
        {
            if (c <= 0) return 0;
            double cn = Math.Pow(c, n), kn = Math.Pow(k, n), den = kn + cn;
            return n * Math.Pow(c, n - 1) * kn / (den * den);
        }
    }
}
