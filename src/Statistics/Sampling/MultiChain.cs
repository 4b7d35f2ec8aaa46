namespace ShapeStudy.Statistics;

/// <summary>One resumable MCMC chain driven by <see cref="MultiChain"/>.</summary>
internal interface IResumableChain
{
    /// <summary>Completed iterations (warmup included).</summary>
    long Iteration { get; }

    /// <summary>Runs <paramref name="iterations"/> more iterations.</summary>
    void Advance(int iterations);
}

/// <summary>Scaffolding shared by the resumable multi-chain samplers (<see cref="AdaptiveMetropolisSampler"/>, <see cref="NutsSampler"/>).</summary>
internal static class MultiChain
{
    /// <summary>
    /// Advances all chains (in parallel) by up to <paramref name="iterations"/> iterations, never past <paramref name="total"/>;
    /// when <paramref name="checkpointEvery"/> &gt; 0 and <paramref name="onCheckpoint"/> is given, stops every
    /// <paramref name="checkpointEvery"/> iterations to hand it <paramref name="checkpoint"/>().
    /// </summary>
    public static void Run<TChain, TState>(TChain[] chains, long total, int iterations, int checkpointEvery,
        Action<TState>? onCheckpoint, Func<TState> checkpoint) where TChain : IResumableChain
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        if (checkpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(checkpointEvery));
        bool checkpointing = checkpointEvery > 0 && onCheckpoint is not null;
        long iteration = chains[0].Iteration;
        long target = Math.Min(total, iteration + iterations);
        while (iteration < target)
        {
            long next = checkpointing ? Math.Min(target, iteration + checkpointEvery) : target;
            int n = (int)(next - iteration);
            Parallel.For(0, chains.Length, c => chains[c].Advance(n));
            iteration = next;
            if (checkpointing) onCheckpoint!(checkpoint());
        }
    }

    /// <summary>The first <paramref name="count"/> draws of a flat [draw · d + parameter] store, as [draw][parameter].</summary>
    public static double[][] Unflatten(double[] flat, int count, int d)
    {
        var draws = new double[count][];
        for (int i = 0; i < count; i++) draws[i] = flat.AsSpan(i * d, d).ToArray();
        return draws;
    }

    /// <summary>Draws of one parameter, [chain][draw], from draws indexed [chain][draw][parameter].</summary>
    public static double[][] Parameter(double[][][] draws, int index)
    {
        var result = new double[draws.Length][];
        for (int c = 0; c < draws.Length; c++)
        {
            var chain = draws[c];
            var column = new double[chain.Length];
            for (int i = 0; i < chain.Length; i++) column[i] = chain[i][index];
            result[c] = column;
        }
        return result;
    }
}
