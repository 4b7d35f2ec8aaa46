using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ShapeStudy.Statistics;

// Ours side of `bench/run mcmc`: EnsembleSampler (stretch move, a = 2), 32 walkers, on the 3-parameter correlated Gaussian of
// bench/mcmc_emcee.py. usage: ShapeStudy.McmcBench REPEATS. Last stdout line: JSON with the median seconds, samples per
// second, and the posterior moments of the first timed run with Monte-Carlo standard errors from emcee's τ.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
const int walkers = 32, burn = 1000, steps = 200_000;
double[] mu = [1.0, -2.0, 0.5], sd = [1.0, 2.0, 0.5];
double[,] corr = { { 1.0, 0.6, 0.3 }, { 0.6, 1.0, -0.4 }, { 0.3, -0.4, 1.0 } };
var cov = new MathNet.Numerics.LinearAlgebra.Double.DenseMatrix(3, 3);
for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) cov[i, j] = sd[i] * corr[i, j] * sd[j];
var precM = cov.Inverse();
double p00 = precM[0, 0], p01 = precM[0, 1], p02 = precM[0, 2], p11 = precM[1, 1], p12 = precM[1, 2], p22 = precM[2, 2];
double m0 = mu[0], m1 = mu[1], m2 = mu[2];
double LogProb(double[] x)
{
    double a = x[0] - m0, b = x[1] - m1, c = x[2] - m2;
    return -0.5 * (p00 * a * a + p11 * b * b + p22 * c * c + 2 * (p01 * a * b + p02 * a * c + p12 * b * c));
}

double[][] Ball(ulong seed)
{
    var rng = new ResumableRandom(seed);
    var p = new double[walkers][];
    for (int w = 0; w < walkers; w++) p[w] = [1e-2 * rng.NextStandardNormal(), 1e-2 * rng.NextStandardNormal(), 1e-2 * rng.NextStandardNormal()];
    return p;
}

(double Seconds, EnsembleResult Result) Run(int n, ulong seed, int parallelism)
{
    var sw = Stopwatch.StartNew();
    var s = new EnsembleSampler(LogProb, Ball(seed), new EnsembleOptions(Seed: seed, MaxDegreeOfParallelism: parallelism));
    var r = s.Run(n);
    return (sw.Elapsed.TotalSeconds, r);
}

var output = new Dictionary<string, object> { ["tool"] = "ShapeStudy EnsembleSampler", ["walkers"] = walkers, ["dim"] = 3 };
EnsembleResult? first = null;
foreach (var (key, parallelism) in new[] { ("serial", 1), ("auto", 0) })
{
    Run(2000, 0, parallelism);
    var times = new List<double>();
    for (int r = 0; r < repeats; r++)
    {
        var (t, res) = Run(steps, 1000 + (ulong)r, parallelism);
        times.Add(t);
        if (first is null) first = res;
    }
    times.Sort();
    double med = times.Count % 2 == 1 ? times[times.Count / 2] : 0.5 * (times[times.Count / 2 - 1] + times[times.Count / 2]);
    output[key] = new Dictionary<string, object> { ["steps"] = steps, ["samples"] = (long)walkers * steps, ["median_s"] = med, ["samples_per_s"] = walkers * steps / med };
    Console.WriteLine($"ours ({key}): {steps} steps x {walkers} walkers, median {med:F3} s, {walkers * steps / med:N0} samples/s");
}

// Moments from every 10th kept step (the Monte-Carlo errors use τ measured on the same thinned draws).
static double[][] Thin(double[][] chains, int by) => chains.Select(c => Enumerable.Range(0, c.Length / by).Select(i => c[i * by]).ToArray()).ToArray();
var means = new double[3];
var sds = new double[3];
var taus = new double[3];
var mcseMean = new double[3];
var mcseSd = new double[3];
for (int j = 0; j < 3; j++)
{
    var chains = Thin(first!.Parameter(j, burn), 10);
    long n = (long)chains.Length * chains[0].Length;
    double m = 0;
    foreach (var ch in chains) foreach (var v in ch) m += v;
    m /= n;
    double ss = 0;
    var sq = new double[chains.Length][];
    for (int w = 0; w < chains.Length; w++)
    {
        sq[w] = new double[chains[w].Length];
        for (int i = 0; i < sq[w].Length; i++) { double e = chains[w][i] - m; sq[w][i] = e * e; ss += e * e; }
    }
    double s = Math.Sqrt(ss / (n - 1)), msq = ss / n, ssq = 0;
    foreach (var ch in sq) foreach (var v in ch) ssq += (v - msq) * (v - msq);
    double tau = Diagnostics.AutocorrelationTime(chains), tauSq = Diagnostics.AutocorrelationTime(sq);
    (means[j], sds[j], taus[j]) = (m, s, tau);
    mcseMean[j] = s * Math.Sqrt(tau / n);
    mcseSd[j] = Math.Sqrt(ssq / (n - 1)) * Math.Sqrt(tauSq / n) / (2 * s);
}
output["moments"] = new Dictionary<string, double[]> { ["mean"] = means, ["sd"] = sds, ["tau"] = taus, ["mcse_mean"] = mcseMean, ["mcse_sd"] = mcseSd };
output["acceptance_fraction_mean"] = first!.AcceptanceFraction.Average();
Console.WriteLine(JsonSerializer.Serialize(output));
