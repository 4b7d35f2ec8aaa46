namespace ShapeStudy.Statistics;

public static partial class Diagnostics
{
    /// <summary>
    /// Normalized autocorrelation function ρ(0..n−1) of one series (mean removed, ρ(0) = 1), computed by FFT with zero
    /// padding to twice the next power of two, as emcee's <c>autocorr.function_1d</c>. Constant series give NaN.
    /// </summary>
    public static double[] AutocorrelationFunction(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        if (n == 0) return [];
        int size = 1;
        while (size < n) size <<= 1;
        size *= 2;
        double mean = 0;
        foreach (var v in x) mean += v;
        mean /= n;
        var re = new double[size];
        var im = new double[size];
        for (int i = 0; i < n; i++) re[i] = x[i] - mean;
        Fft(re, im, inverse: false);
        for (int i = 0; i < size; i++) { re[i] = re[i] * re[i] + im[i] * im[i]; im[i] = 0; }
        Fft(re, im, inverse: true);
        var acf = new double[n];
        double a0 = re[0];
        for (int i = 0; i < n; i++) acf[i] = re[i] / a0;
        return acf;
    }

    /// <summary>
    /// Integrated autocorrelation time τ of one parameter from draws indexed [walker or chain][step], as emcee's
    /// <c>integrated_time</c>: the normalized autocorrelation functions are averaged over walkers, τ(M) = 1 + 2 Σ_{t=1..M} ρ(t),
    /// and the window M is the first lag with M ≥ <paramref name="c"/>·τ(M) (Sokal's automatic windowing, c = 5). In units of
    /// steps; trust it when the chains are longer than about 50 τ. NaN for constant draws.
    /// </summary>
    public static double AutocorrelationTime(double[][] chains, double c = 5)
    {
        ArgumentNullException.ThrowIfNull(chains);
        if (chains.Length == 0) throw new ArgumentException("need at least one chain");
        int n = chains[0].Length;
        foreach (var ch in chains) if (ch.Length != n) throw new ArgumentException("all chains must have the same number of draws");
        if (n == 0) return double.NaN;
        var mean = new double[n];
        foreach (var ch in chains)
        {
            var acf = AutocorrelationFunction(ch);
            for (int t = 0; t < n; t++) mean[t] += acf[t];
        }
        double sum = 0;
        for (int m = 0; m < n; m++)
        {
            sum += mean[m] / chains.Length;
            double tau = 2 * sum - 1;
            if (!(m < c * tau)) return tau;
        }
        return 2 * sum - 1;
    }

    /// <summary>
    /// Monte-Carlo standard error of the posterior mean of one parameter: sd / √(N/τ) with N the total number of draws and
    /// τ the emcee integrated autocorrelation time (draws [walker or chain][step]).
    /// </summary>
    public static double McseMean(double[][] chains, double c = 5)
    {
        ArgumentNullException.ThrowIfNull(chains);
        double tau = AutocorrelationTime(chains, c);
        long total = 0;
        double s = 0, ss = 0;
        foreach (var ch in chains) foreach (var v in ch) { total++; s += v; }
        double mean = s / total;
        foreach (var ch in chains) foreach (var v in ch) ss += (v - mean) * (v - mean);
        double sd = Math.Sqrt(ss / (total - 1));
        return sd / Math.Sqrt(total / Math.Max(tau, 1));
    }

    /// <summary>Fraction of accepted proposals per chain or walker from accepted counts and the number of proposals each made.</summary>
    public static double[] AcceptanceRate(long[] accepted, long proposals)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var r = new double[accepted.Length];
        for (int i = 0; i < r.Length; i++) r[i] = proposals > 0 ? (double)accepted[i] / proposals : double.NaN;
        return r;
    }

    /// <summary>In-place iterative radix-2 FFT (length a power of two), unscaled in both directions.</summary>
    private static void Fft(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        double sign = inverse ? 1 : -1;
        int halfN = n >> 1;
        var cos = new double[halfN];
        var sin = new double[halfN];
        for (int k = 0; k < halfN; k++)
        {
            double angle = 2 * Math.PI * k / n;
            cos[k] = Math.Cos(angle);
            sin[k] = sign * Math.Sin(angle);
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            int halfLen = len >> 1, stride = n / len;
            for (int start = 0; start < n; start += len)
            {
                for (int k = 0; k < halfLen; k++)
                {
                    double wr = cos[k * stride], wi = sin[k * stride];
                    int a = start + k, b = a + halfLen;
                    double tr = re[b] * wr - im[b] * wi;
                    double ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr; im[b] = im[a] - ti;
                    re[a] += tr; im[a] += ti;
                }
            }
        }
    }
}
