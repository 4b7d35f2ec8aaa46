using System.Globalization;

namespace ShapeStudy.Physics.Calcium;

/// <summary>
/// Parameters of the <c>calcium_spine</c> model (units: µM, ms, µm; flux densities in µM·µm/ms = amount per membrane area
/// and time). Defaults are the values of Bell, Bartol, Sejnowski &amp; Rangamani (2019, J Gen Physiol 151:1017, "Dendritic
/// spine geometry and spine apparatus organization govern the spatiotemporal dynamics of calcium"), converted from s to ms,
/// as transcribed in SMART's dendritic-spine example (Laughlin et al. 2023); pump maximal rates fold Bell's β scale factors and
/// volume-to-area ratios n into one flux density (V = β·Vmax·n). See docs/calcium-spine.md for the table.
/// Each property's manifest key (<see cref="Keys"/>) is its snake_case name with the unit suffix.
/// </summary>
public sealed record CalciumSpineParameters
{
    /// <summary>Free cytosolic Ca²⁺ diffusion coefficient (µm²/ms): 220 µm²/s (Bell 2019; Allbritton et al. 1992).</summary>
    public double CaDiffusionUm2PerMs { get; init; } = 0.22;
    /// <summary>Resting cytosolic Ca²⁺ (µM): 0.1 µM (Bell 2019).</summary>
    public double CaRestUM { get; init; } = 0.1;

    /// <summary>Total mobile buffer (calbindin-like), µM: 20 µM (Bell 2019).</summary>
    public double MobileBufferTotalUM { get; init; } = 20;
    /// <summary>Mobile buffer diffusion coefficient (free and Ca-bound), µm²/ms: 20 µm²/s (Bell 2019).</summary>
    public double MobileBufferDiffusionUm2PerMs { get; init; } = 0.02;
    /// <summary>Mobile buffer on-rate, 1/(µM·ms): 1 µM⁻¹s⁻¹ (Bell 2019).</summary>
    public double MobileBufferKonPerUMPerMs { get; init; } = 1e-3;
    /// <summary>Mobile buffer off-rate, 1/ms: 1 s⁻¹ (Bell 2019; K_D = 1 µM).</summary>
    public double MobileBufferKoffPerMs { get; init; } = 1e-3;

    /// <summary>Total immobile buffer, µM: 78.7 µM (Bell 2019's fixed-buffer level, here spread through the cytosol instead of
    /// on the membrane).</summary>
    public double ImmobileBufferTotalUM { get; init; } = 78.7;
    /// <summary>Immobile buffer on-rate, 1/(µM·ms): 1 µM⁻¹s⁻¹ (Bell 2019).</summary>
    public double ImmobileBufferKonPerUMPerMs { get; init; } = 1e-3;
    /// <summary>Immobile buffer off-rate, 1/ms: 2 s⁻¹ (Bell 2019; K_D = 2 µM).</summary>
    public double ImmobileBufferKoffPerMs { get; init; } = 2e-3;

    /// <summary>Peak Ca²⁺ influx density at the PSD (µM·µm/ms). Default 0.35: Bell 2019's NMDAR influx (peak ≈ 57,000 ions/s,
    /// ≈ 354 ions in total) spread over a 0.27 µm² PSD (mean of the bundled real and idealized spines' PSDs).</summary>
    public double InfluxPeakUmUmPerMs { get; init; } = 0.35;
    /// <summary>Rise time constant of the bi-exponential influx (ms).</summary>
    public double InfluxRiseMs { get; init; } = 0.3;
    /// <summary>Decay time constant of the bi-exponential influx (ms): 5.2 ms gives Bell's NMDAR charge (integral/peak ≈ 6.2 ms).</summary>
    public double InfluxDecayMs { get; init; } = 5.2;
    /// <summary>Influx onset (ms, ≥ 0).</summary>
    public double InfluxOnsetMs { get; init; }

    /// <summary>PMCA maximal flux density (µM·µm/ms): β_PMCA·(V_low + V_high)·n_PM = 100·(0.113 + 0.59) µM/s·0.1011 µm (Bell 2019).</summary>
    public double PmcaVmaxUmUmPerMs { get; init; } = 7.107e-3;
    /// <summary>PMCA half-activation (µM): 0.442 µM for both Hill terms (n = 2 and n = 5; Bell 2019).</summary>
    public double PmcaKUM { get; init; } = 0.442;
    /// <summary>NCX maximal flux density (µM·µm/ms): β_NCX·Vmax·n_PM = 1000·0.1 µM/s·0.1011 µm (Bell 2019).</summary>
    public double NcxVmaxUmUmPerMs { get; init; } = 1.011e-2;
    /// <summary>NCX Michaelis constant (µM): 1 µM (Bell 2019).</summary>
    public double NcxKUM { get; init; } = 1.0;
    /// <summary>Constant membrane leak influx (µM·µm/ms); null = the value that balances PMCA + NCX at rest, so the resting state is steady.</summary>
    public double? LeakUmUmPerMs { get; init; }

    /// <summary>SERCA maximal flux density into the spine apparatus (µM·µm/ms): β_SERCA·Vmax·n_SA = 100·114 µM/s·0.0113 µm (Bell 2019).</summary>
    public double SercaVmaxUmUmPerMs { get; init; } = 0.12882;
    /// <summary>SERCA half-activation (µM), Hill coefficient 2: 0.2 µM (Bell 2019).</summary>
    public double SercaKUM { get; init; } = 0.2;
    /// <summary>Spine-apparatus leak permeability (µm/ms): k_leak·n_SA = 0.1608 s⁻¹·0.0113 µm (Bell 2019).</summary>
    public double SaLeakUmPerMs { get; init; } = 1.817e-6;
    /// <summary>Resting free Ca²⁺ in the spine apparatus (µM): 60 µM (SMART's transcription of Bell 2019).</summary>
    public double SaCaRestUM { get; init; } = 60;
    /// <summary>Effective Ca²⁺ diffusion in the buffered spine-apparatus lumen (µm²/ms): 45 µm²/s (SMART).</summary>
    public double SaCaDiffusionUm2PerMs { get; init; } = 0.045;
    /// <summary>Fraction of Ca²⁺ entering the spine apparatus that stays free (rapid lumenal buffer): 1/6 (SMART).</summary>
    public double SaFreeFraction { get; init; } = 1.0 / 6.0;

    /// <summary>Manifest keys of the sweepable parameters, with their getters and setters.</summary>
    public static IReadOnlyList<(string Key, Func<CalciumSpineParameters, double> Get, Func<CalciumSpineParameters, double, CalciumSpineParameters> Set, ValueRule Rule)> Keys { get; } =
    [
        ("d_ca_um2_per_ms", p => p.CaDiffusionUm2PerMs, (p, v) => p with { CaDiffusionUm2PerMs = v }, ValueRule.Positive),
        ("ca_rest_um", p => p.CaRestUM, (p, v) => p with { CaRestUM = v }, ValueRule.NonNegative),
        ("mobile_buffer_total_um", p => p.MobileBufferTotalUM, (p, v) => p with { MobileBufferTotalUM = v }, ValueRule.NonNegative),
        ("d_mobile_buffer_um2_per_ms", p => p.MobileBufferDiffusionUm2PerMs, (p, v) => p with { MobileBufferDiffusionUm2PerMs = v }, ValueRule.NonNegative),
        ("mobile_buffer_kon_per_um_per_ms", p => p.MobileBufferKonPerUMPerMs, (p, v) => p with { MobileBufferKonPerUMPerMs = v }, ValueRule.NonNegative),
        ("mobile_buffer_koff_per_ms", p => p.MobileBufferKoffPerMs, (p, v) => p with { MobileBufferKoffPerMs = v }, ValueRule.NonNegative),
        ("immobile_buffer_total_um", p => p.ImmobileBufferTotalUM, (p, v) => p with { ImmobileBufferTotalUM = v }, ValueRule.NonNegative),
        ("immobile_buffer_kon_per_um_per_ms", p => p.ImmobileBufferKonPerUMPerMs, (p, v) => p with { ImmobileBufferKonPerUMPerMs = v }, ValueRule.NonNegative),
        ("immobile_buffer_koff_per_ms", p => p.ImmobileBufferKoffPerMs, (p, v) => p with { ImmobileBufferKoffPerMs = v }, ValueRule.NonNegative),
        ("influx_peak_um_um_per_ms", p => p.InfluxPeakUmUmPerMs, (p, v) => p with { InfluxPeakUmUmPerMs = v }, ValueRule.NonNegative),
        ("influx_rise_ms", p => p.InfluxRiseMs, (p, v) => p with { InfluxRiseMs = v }, ValueRule.Positive),
        ("influx_decay_ms", p => p.InfluxDecayMs, (p, v) => p with { InfluxDecayMs = v }, ValueRule.Positive),
        ("influx_onset_ms", p => p.InfluxOnsetMs, (p, v) => p with { InfluxOnsetMs = v }, ValueRule.NonNegative),
        ("pmca_vmax_um_um_per_ms", p => p.PmcaVmaxUmUmPerMs, (p, v) => p with { PmcaVmaxUmUmPerMs = v }, ValueRule.NonNegative),
        ("pmca_k_um", p => p.PmcaKUM, (p, v) => p with { PmcaKUM = v }, ValueRule.Positive),
        ("ncx_vmax_um_um_per_ms", p => p.NcxVmaxUmUmPerMs, (p, v) => p with { NcxVmaxUmUmPerMs = v }, ValueRule.NonNegative),
        ("ncx_k_um", p => p.NcxKUM, (p, v) => p with { NcxKUM = v }, ValueRule.Positive),
        ("serca_vmax_um_um_per_ms", p => p.SercaVmaxUmUmPerMs, (p, v) => p with { SercaVmaxUmUmPerMs = v }, ValueRule.NonNegative),
        ("serca_k_um", p => p.SercaKUM, (p, v) => p with { SercaKUM = v }, ValueRule.Positive),
        ("sa_leak_um_per_ms", p => p.SaLeakUmPerMs, (p, v) => p with { SaLeakUmPerMs = v }, ValueRule.NonNegative),
        ("sa_ca_rest_um", p => p.SaCaRestUM, (p, v) => p with { SaCaRestUM = v }, ValueRule.NonNegative),
        ("d_sa_ca_um2_per_ms", p => p.SaCaDiffusionUm2PerMs, (p, v) => p with { SaCaDiffusionUm2PerMs = v }, ValueRule.NonNegative),
    ];

    /// <summary>Value constraints of <see cref="Keys"/>.</summary>
    public enum ValueRule
    {
        /// <summary>&gt; 0 and finite.</summary>
        Positive,
        /// <summary>≥ 0 and finite.</summary>
        NonNegative,
    }

    /// <summary>True when <paramref name="value"/> satisfies <paramref name="rule"/>.</summary>
    public static bool Satisfies(ValueRule rule, double value) =>
        double.IsFinite(value) && (rule == ValueRule.Positive ? value > 0 : value >= 0);

    /// <summary>The defaults with the given keyed values applied (keys from <see cref="Keys"/>).</summary>
    /// <exception cref="ArgumentException">Unknown key, or a value breaking its rule (message names the key).</exception>
    public static CalciumSpineParameters FromValues(IReadOnlyDictionary<string, double> values)
    {
        var p = new CalciumSpineParameters();
        foreach (var (key, value) in values)
        {
            int i = IndexOf(key);
            if (i < 0) throw new ArgumentException($"unknown calcium_spine parameter '{key}' (known: {string.Join(", ", Keys.Select(k => k.Key))})");
            p = Keys[i].Set(p, value);
        }
        p.Validate();
        return p;
    }

    /// <summary>Index of <paramref name="key"/> in <see cref="Keys"/>, or −1.</summary>
    public static int IndexOf(string key)
    {
        for (int i = 0; i < Keys.Count; i++) if (Keys[i].Key == key) return i;
        return -1;
    }

    /// <summary>Checks every value; throws naming the offending key and its constraint.</summary>
    public void Validate()
    {
        foreach (var (key, get, _, rule) in Keys)
        {
            double v = get(this);
            if (!Satisfies(rule, v))
                throw new ArgumentOutOfRangeException(key, v, string.Create(CultureInfo.InvariantCulture,
                    $"calcium_spine parameter '{key}' must be {(rule == ValueRule.Positive ? "> 0" : ">= 0")} and finite, got {v}"));
        }
        if (LeakUmUmPerMs is { } leak && !(leak >= 0 && double.IsFinite(leak)))
            throw new ArgumentOutOfRangeException("leak_um_um_per_ms", leak, "calcium_spine leak must be >= 0 µM·µm/ms");
        if (!(SaFreeFraction > 0 && SaFreeFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(SaFreeFraction), SaFreeFraction, "spine-apparatus free fraction must be in (0, 1]");
        if (InfluxRiseMs == InfluxDecayMs)
            throw new ArgumentException("calcium_spine parameters 'influx_rise_ms' and 'influx_decay_ms' must differ (bi-exponential influx)");
    }
}
