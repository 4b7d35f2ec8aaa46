using System.Globalization;
using ShapeStudy.Core;

namespace ShapeStudy.Study.Manifest;

/// <summary>How one simulation parameter is specified: a fixed value, an explicit grid, or log-uniform samples.</summary>
public abstract record ParameterSpec
{
    private ParameterSpec() { }

    /// <summary>A single value.</summary>
    public sealed record Fixed(double Value) : ParameterSpec;

    /// <summary>An explicit list of values (non-empty), swept in the given order.</summary>
    public sealed record Grid(IReadOnlyList<double> Values) : ParameterSpec;

    /// <summary><paramref name="Samples"/> values drawn log-uniformly from [<paramref name="Low"/>, <paramref name="High"/>), 0 &lt; Low &lt; High.</summary>
    public sealed record LogUniform(double Low, double High, int Samples) : ParameterSpec;

    /// <summary>Number of values this specification contributes to the sweep.</summary>
    public int Count => this switch
    {
        Fixed => 1,
        Grid g => g.Values.Count,
        LogUniform l => l.Samples,
        _ => throw new InvalidOperationException("unknown parameter specification"),
    };

    /// <summary>
    /// The values of this parameter's sweep axis. Log-uniform samples are drawn, in order, from a generator seeded by
    /// <paramref name="axisSeed"/> (same seed, same values); fixed and grid values ignore the seed.
    /// </summary>
    public IReadOnlyList<double> AxisValues(ulong axisSeed)
    {
        switch (this)
        {
            case Fixed f:
                return new[] { f.Value };
            case Grid g:
                return g.Values.ToArray();
            case LogUniform l:
                if (!(l.Low > 0 && l.Low < l.High && double.IsFinite(l.High)) || l.Samples < 1)
                    throw new InvalidOperationException(
                        $"log-uniform needs 0 < low < high and samples >= 1, got [{l.Low}, {l.High}] with {l.Samples} samples");
                var rng = Seeds.Rng(axisSeed);
                double lnLo = Math.Log(l.Low), lnHi = Math.Log(l.High);
                var values = new double[l.Samples];
                for (int i = 0; i < values.Length; i++)
                {
                    double v = Math.Exp(lnLo + rng.NextDouble() * (lnHi - lnLo));
                    values[i] = Math.Clamp(v, l.Low, l.High);
                }
                return values;
            default:
                throw new InvalidOperationException("unknown parameter specification");
        }
    }
}

/// <summary>
/// The <c>diffusion_decay</c> model's parameters, each a <see cref="ParameterSpec"/>:
/// diffusion coefficient D (µm²/ms, &gt; 0), first-order decay rate k (1/ms, ≥ 0), boundary influx flux density
/// J (µM·µm/ms, ≥ 0) and influx pulse duration (ms, &gt; 0).
/// </summary>
public sealed record SimulationParameters(
    ParameterSpec DUm2PerMs,
    ParameterSpec DecayPerMs,
    ParameterSpec InfluxUmUmPerMs,
    ParameterSpec PulseMs)
{
    /// <summary>Manifest key of the diffusion coefficient (µm²/ms).</summary>
    public const string DName = "d_um2_per_ms";
    /// <summary>Manifest key of the decay rate (1/ms).</summary>
    public const string DecayName = "decay_per_ms";
    /// <summary>Manifest key of the boundary influx flux density (µM·µm/ms).</summary>
    public const string InfluxName = "influx_um_um_per_ms";
    /// <summary>Manifest key of the influx pulse duration (ms).</summary>
    public const string PulseName = "pulse_ms";

    /// <summary>Parameter names in sweep order (the last varies fastest).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(new[] { DName, DecayName, InfluxName, PulseName });

    /// <summary>
    /// Default diffusion coefficient, 0.22 µm²/ms (= 220 µm²/s): the diffusion coefficient of free Ca²⁺ in cytoplasm,
    /// ≈ 223 µm²/s (Allbritton, Meyer &amp; Stryer 1992, Science 258:1812), the value commonly used for Ca²⁺ in
    /// dendritic-spine models. Buffering lowers the effective value (13–65 µm²/s in the same study); sweep or fit D
    /// to explore that range.
    /// </summary>
    public const double DefaultDUm2PerMs = 0.22;
    /// <summary>Default first-order decay rate, 0.1 /ms (10 ms time constant).</summary>
    public const double DefaultDecayPerMs = 0.1;
    /// <summary>Default boundary influx flux density, 5 µM·µm/ms.</summary>
    public const double DefaultInfluxUmUmPerMs = 5.0;
    /// <summary>Default influx pulse duration, 2 ms.</summary>
    public const double DefaultPulseMs = 2.0;

    /// <summary>All parameters at their defaults (a single parameter set).</summary>
    public static SimulationParameters Default { get; } = new(
        new ParameterSpec.Fixed(DefaultDUm2PerMs),
        new ParameterSpec.Fixed(DefaultDecayPerMs),
        new ParameterSpec.Fixed(DefaultInfluxUmUmPerMs),
        new ParameterSpec.Fixed(DefaultPulseMs));

    /// <summary>Each parameter's name with its specification, in sweep order.</summary>
    public IReadOnlyList<(string Name, ParameterSpec Spec)> All =>
        new[] { (DName, DUm2PerMs), (DecayName, DecayPerMs), (InfluxName, InfluxUmUmPerMs), (PulseName, PulseMs) };

    /// <summary>Model-specific parameters (e.g. the <c>calcium_spine</c> keys of <see cref="CalciumSpineKeys"/>), by manifest key;
    /// swept after the four common axes, in ordinal key order.</summary>
    public IReadOnlyDictionary<string, ParameterSpec> ModelParameters { get; init; } = new SortedDictionary<string, ParameterSpec>(StringComparer.Ordinal);

    /// <summary>Number of parameter sets the sweep expands to (product of the axis sizes).</summary>
    public long Count => ModelParameters.Values.Aggregate((long)DUm2PerMs.Count * DecayPerMs.Count * InfluxUmUmPerMs.Count * PulseMs.Count, (n, s) => n * s.Count);

    /// <summary>
    /// Expands the sweep into the Cartesian product of all axes, ordered with <see cref="Names"/>[0] varying slowest
    /// and the last varying fastest; <see cref="ParameterSet.Index"/> is the position in that order. Each log-uniform
    /// axis draws from its own seed, <c>Seeds.Child(seed, "simulation.parameters." + name)</c>, so changing one
    /// parameter's specification never changes another's samples.
    /// </summary>
    public IReadOnlyList<ParameterSet> Expand(ulong seed)
    {
        var d = DUm2PerMs.AxisValues(Seeds.Child(seed, "simulation.parameters." + DName));
        var k = DecayPerMs.AxisValues(Seeds.Child(seed, "simulation.parameters." + DecayName));
        var j = InfluxUmUmPerMs.AxisValues(Seeds.Child(seed, "simulation.parameters." + InfluxName));
        var p = PulseMs.AxisValues(Seeds.Child(seed, "simulation.parameters." + PulseName));
        var extraKeys = ModelParameters.Keys.Order(StringComparer.Ordinal).ToArray();
        var extraAxes = extraKeys.Select(key => ModelParameters[key].AxisValues(Seeds.Child(seed, "simulation.parameters." + key))).ToArray();
        long extraCount = extraAxes.Aggregate(1L, (n, a) => n * a.Count);
        long total = (long)d.Count * k.Count * j.Count * p.Count * extraCount;
        if (total > Array.MaxLength)
            throw new InvalidOperationException($"the sweep expands to {total} parameter sets, more than an array can hold");
        var sets = new ParameterSet[total];
        int index = 0;
        foreach (var dv in d)
            foreach (var kv in k)
                foreach (var jv in j)
                    foreach (var pv in p)
                        for (long e = 0; e < extraCount; e++)
                        {
                            var model = new SortedDictionary<string, double>(StringComparer.Ordinal);
                            long rest = e;
                            for (int a = extraAxes.Length - 1; a >= 0; a--)
                            {
                                model[extraKeys[a]] = extraAxes[a][(int)(rest % extraAxes[a].Count)];
                                rest /= extraAxes[a].Count;
                            }
                            sets[index] = new ParameterSet(index, dv, kv, jv, pv) { Model = model };
                            index++;
                        }
        return Array.AsReadOnly(sets);
    }
}

/// <summary>
/// One concrete parameter set of the sweep: D (µm²/ms), decay rate (1/ms), boundary influx flux density (µM·µm/ms)
/// and pulse duration (ms). <paramref name="Index"/> is its position in the expanded sweep.
/// </summary>
public sealed record ParameterSet(int Index, double DUm2PerMs, double DecayPerMs, double InfluxUmUmPerMs, double PulseMs)
{
    /// <summary>Model-specific values by manifest key (e.g. <c>pmca_vmax_um_um_per_ms</c>); empty for <c>diffusion_decay</c>.</summary>
    public IReadOnlyDictionary<string, double> Model { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Canonical text of the values (not the index), e.g. <c>d_um2_per_ms=0.22;decay_per_ms=0.1;influx_um_um_per_ms=5;pulse_ms=2</c>,
    /// followed by the model-specific values in ordinal key order, with round-trip invariant number formatting; suitable for task keys.
    /// </summary>
    public string Canonical => string.Create(CultureInfo.InvariantCulture,
        $"{SimulationParameters.DName}={DUm2PerMs:R};{SimulationParameters.DecayName}={DecayPerMs:R};{SimulationParameters.InfluxName}={InfluxUmUmPerMs:R};{SimulationParameters.PulseName}={PulseMs:R}")
        + string.Concat(Model.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $";{kv.Key}={kv.Value:R}")));

    /// <summary>The model-specific values as canonical text (empty when none).</summary>
    public string ModelCanonical => string.Join(";", Model.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:R}")));
}

/// <summary>
/// Manifest keys of the <c>calcium_spine</c> model's parameters (units in the suffix; the same names as
/// ShapeStudy.Physics.Calcium.CalciumSpineParameters.Keys) and whether each must be positive (true) or only non-negative.
/// Unset keys keep the model's literature defaults (Bell et al. 2019; see docs/calcium-spine.md).
/// </summary>
public static class CalciumSpineKeys
{
    /// <summary>(key, must be &gt; 0) pairs.</summary>
    public static IReadOnlyList<(string Key, bool Positive)> All { get; } =
    [
        ("d_ca_um2_per_ms", true), ("ca_rest_um", false), ("mobile_buffer_total_um", false), ("d_mobile_buffer_um2_per_ms", false),
        ("mobile_buffer_kon_per_um_per_ms", false), ("mobile_buffer_koff_per_ms", false), ("immobile_buffer_total_um", false),
        ("immobile_buffer_kon_per_um_per_ms", false), ("immobile_buffer_koff_per_ms", false), ("influx_peak_um_um_per_ms", false),
        ("influx_rise_ms", true), ("influx_decay_ms", true), ("influx_onset_ms", false), ("pmca_vmax_um_um_per_ms", false),
        ("pmca_k_um", true), ("ncx_vmax_um_um_per_ms", false), ("ncx_k_um", true), ("serca_vmax_um_um_per_ms", false),
        ("serca_k_um", true), ("sa_leak_um_per_ms", false), ("sa_ca_rest_um", false), ("d_sa_ca_um2_per_ms", false),
    ];
}

/// <summary>Names the manifest accepts for shape descriptors and simulation phenotypes.</summary>
public static class KnownNames
{
    /// <summary>Shape descriptor names (units in the suffix; the others are dimensionless).</summary>
    public static IReadOnlyList<string> Descriptors { get; } = Array.AsReadOnly(new[]
    {
        "volume_um3", "surface_area_um2", "sphericity", "equivalent_diameter_um", "major_axis_um", "mid_axis_um",
        "minor_axis_um", "elongation", "flatness",
    });

    /// <summary>Simulation phenotype names: peak concentration (µM), time to peak (ms), decay time (ms), area under the curve (µM·ms).</summary>
    public static IReadOnlyList<string> Phenotypes { get; } = Array.AsReadOnly(new[]
    {
        "peak_um", "time_to_peak_ms", "decay_time_ms", "auc_um_ms",
    });
}
