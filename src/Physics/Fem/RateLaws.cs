namespace ShapeStudy.Physics.Fem;

/// <summary>Where and when a rate is evaluated: time (ms) and position (µm) of a mesh vertex.</summary>
public readonly record struct RatePoint(double TMs, double X, double Y, double Z);

/// <summary>
/// A scalar rate law r(t, x, c) of the local concentrations c (µM) of the species named in <see cref="Inputs"/>
/// (in that order), with its partial derivatives ∂r/∂c. Units are those of the term that uses it: µM/ms for a
/// <see cref="VolumeReaction"/>, µM·µm/ms (flux density) for a <see cref="BoundaryFlux"/>. Implementations must be
/// thread-safe (rates are evaluated in parallel over vertices).
/// </summary>
public abstract class RateLaw
{
    /// <summary>A law of the named species' concentrations.</summary>
    protected RateLaw(params string[] inputs) { Inputs = inputs; }

    /// <summary>Species whose local concentrations (µM) the law reads, in the order of the c argument.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The rate at <paramref name="at"/> for concentrations <paramref name="c"/> (µM, one per input).</summary>
    public abstract double Rate(RatePoint at, ReadOnlySpan<double> c);

    /// <summary>Writes ∂r/∂c_k (one per input) into <paramref name="dRate"/>.</summary>
    public abstract void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate);

    /// <summary>
    /// True when the derivatives are constants (independent of time, position and concentrations), i.e. the law is
    /// affine in c: the Jacobian is then assembled once and reused while the step size is unchanged.
    /// </summary>
    public virtual bool HasConstantDerivatives => false;
}

/// <summary>Common rate laws.</summary>
public static class Rates
{
    /// <summary>A constant rate (no inputs).</summary>
    public static RateLaw Constant(double value) => new TimeLaw(_ => value, $"{value}");

    /// <summary>A prescribed function of time (ms), e.g. an influx J(t) in µM·µm/ms (no inputs).</summary>
    public static RateLaw OfTime(Func<double, double> rate) => new TimeLaw(rate, "f(t)");

    /// <summary>A prescribed function of time (ms) and position (µm), e.g. a manufactured source (no inputs).</summary>
    public static RateLaw OfTimeAndPosition(Func<RatePoint, double> rate) => new PointLaw(rate);

    /// <summary>A rectangular pulse: <paramref name="amplitude"/> for start ≤ t &lt; start + duration (ms), 0 otherwise.</summary>
    public static RateLaw Pulse(double amplitude, double startMs, double durationMs)
    {
        if (!(durationMs >= 0)) throw new ArgumentOutOfRangeException(nameof(durationMs), durationMs, "pulse duration must be ≥ 0 ms");
        return new TimeLaw(t => t >= startMs && t < startMs + durationMs ? amplitude : 0.0, "pulse");
    }

    /// <summary>First order: r = k·c (k ≥ 0 in 1/ms for decay, or µm/ms for a boundary uptake).</summary>
    public static RateLaw FirstOrder(string species, double k)
    {
        if (!(k >= 0)) throw new ArgumentOutOfRangeException(nameof(k), k, $"first-order rate constant for '{species}' must be ≥ 0");
        return new LinearLaw(species, k, 0);
    }

    /// <summary>Linear leak (Robin): r = k·(cRef − c), e.g. a membrane leak towards a resting level cRef (µM); k ≥ 0.</summary>
    public static RateLaw Leak(string species, double k, double cRefUM)
    {
        if (!(k >= 0)) throw new ArgumentOutOfRangeException(nameof(k), k, $"leak rate constant for '{species}' must be ≥ 0");
        return new LinearLaw(species, -k, k * cRefUM);
    }

    /// <summary>
    /// Hill / Michaelis–Menten: r = Vmax·cⁿ/(Kⁿ + cⁿ) (negative c counts as 0), e.g. a PMCA/NCX pump with Vmax in µM·µm/ms,
    /// K in µM, n ≥ 1 (n = 1: Michaelis–Menten).
    /// </summary>
    public static RateLaw Hill(string species, double vmax, double kUM, double n = 1)
    {
        if (!(vmax >= 0)) throw new ArgumentOutOfRangeException(nameof(vmax), vmax, "Vmax must be ≥ 0");
        if (!(kUM > 0)) throw new ArgumentOutOfRangeException(nameof(kUM), kUM, "half-saturation constant K must be > 0 µM");
        if (!(n >= 1)) throw new ArgumentOutOfRangeException(nameof(n), n, "Hill coefficient must be ≥ 1");
        return new HillLaw(species, vmax, kUM, n);
    }

    /// <summary>
    /// Mass action: r = kf·Π reactants − kb·Π products (a species listed twice enters squared), e.g. Ca + B ⇌ CaB with
    /// kf in 1/(µM·ms) and kb in 1/ms; use stoichiometry {Ca: −1, B: −1, CaB: +1}.
    /// </summary>
    public static RateLaw MassAction(double kf, IReadOnlyList<string> reactants, double kb = 0, IReadOnlyList<string>? products = null)
    {
        if (!(kf >= 0)) throw new ArgumentOutOfRangeException(nameof(kf), kf, "forward rate constant must be ≥ 0");
        if (!(kb >= 0)) throw new ArgumentOutOfRangeException(nameof(kb), kb, "backward rate constant must be ≥ 0");
        return new MassActionLaw(kf, reactants, kb, products ?? []);
    }

    /// <summary>A law given by delegates (thread-safe): rate(at, c) and derivatives(at, c, dRate).</summary>
    public static RateLaw Custom(IReadOnlyList<string> inputs, Func<RatePoint, double[], double> rate, Action<RatePoint, double[], double[]> derivatives, bool constantDerivatives = false) =>
        new DelegateLaw(inputs.ToArray(), rate, derivatives, constantDerivatives);

    private sealed class TimeLaw(Func<double, double> f, string label) : RateLaw()
    {
        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => f(at.TMs);
        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate) { }
        public override bool HasConstantDerivatives => true;
        public override string ToString() => label;
    }

    private sealed class PointLaw(Func<RatePoint, double> f) : RateLaw()
    {
        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => f(at);
        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate) { }
        public override bool HasConstantDerivatives => true;
    }

    private sealed class LinearLaw(string species, double slope, double offset) : RateLaw(species)
    {
        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => slope * c[0] + offset;
        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate) => dRate[0] = slope;
        public override bool HasConstantDerivatives => true;
    }

    private sealed class HillLaw(string species, double vmax, double k, double n) : RateLaw(species)
    {
        private readonly double _kn = Math.Pow(k, n);
        public override double Rate(RatePoint at, ReadOnlySpan<double> c)
        {
            double x = Math.Max(c[0], 0), xn = n == 1 ? x : Math.Pow(x, n);
            return vmax * xn / (_kn + xn);
        }
        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate)
        {
            double x = Math.Max(c[0], 0);
            if (x <= 0) { dRate[0] = n == 1 ? vmax / _kn : 0; return; }
            double xn = n == 1 ? x : Math.Pow(x, n), den = _kn + xn;
            dRate[0] = vmax * n * xn / x * _kn / (den * den);
        }
    }

    private sealed class MassActionLaw : RateLaw
    {
        private readonly double _kf, _kb;
        private readonly int[] _fwd, _bwd; // per input: multiplicity

        public MassActionLaw(double kf, IReadOnlyList<string> reactants, double kb, IReadOnlyList<string> products)
            : base(reactants.Concat(products).Distinct().ToArray())
        {
            _kf = kf; _kb = kb;
            _fwd = new int[Inputs.Count]; _bwd = new int[Inputs.Count];
            foreach (var r in reactants) _fwd[IndexOf(r)]++;
            foreach (var p in products) _bwd[IndexOf(p)]++;
        }

        private int IndexOf(string s) { for (int i = 0; i < Inputs.Count; i++) if (Inputs[i] == s) return i; return -1; }

        public override bool HasConstantDerivatives
        {
            get
            {
                int f = 0, b = 0;
                foreach (var m in _fwd) f += m;
                foreach (var m in _bwd) b += m;
                return (f <= 1 || _kf == 0) && (b <= 1 || _kb == 0);
            }
        }

        private static double Product(ReadOnlySpan<double> c, int[] mult, int skip)
        {
            double p = 1;
            for (int i = 0; i < mult.Length; i++)
            {
                int m = mult[i] - (i == skip ? 1 : 0);
                for (int j = 0; j < m; j++) p *= c[i];
            }
            return p;
        }

        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => _kf * Product(c, _fwd, -1) - _kb * Product(c, _bwd, -1);

        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate)
        {
            for (int i = 0; i < _fwd.Length; i++)
                dRate[i] = (_fwd[i] > 0 ? _kf * _fwd[i] * Product(c, _fwd, i) : 0) - (_bwd[i] > 0 ? _kb * _bwd[i] * Product(c, _bwd, i) : 0);
        }
    }

    private sealed class DelegateLaw(string[] inputs, Func<RatePoint, double[], double> rate, Action<RatePoint, double[], double[]> derivatives, bool constant) : RateLaw(inputs)
    {
        public override double Rate(RatePoint at, ReadOnlySpan<double> c) => rate(at, c.ToArray());
        public override void Derivatives(RatePoint at, ReadOnlySpan<double> c, Span<double> dRate)
        {
            var d = new double[dRate.Length];
            derivatives(at, c.ToArray(), d);
            d.CopyTo(dRate);
        }
        public override bool HasConstantDerivatives => constant;
    }
}
