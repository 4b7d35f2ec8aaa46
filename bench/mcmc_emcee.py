#!/usr/bin/python3
"""Peer side of `bench/run mcmc`: emcee's EnsembleSampler (default StretchMove(a=2)), 32 walkers, on a 3-parameter
correlated Gaussian (the model of tests/Statistics.Tests/reference/emcee_parity.py), with vectorize=True and False.

usage: mcmc_emcee.py REPEATS
Each configuration runs once as a warm-up and REPEATS timed times from the same small ball; samples = walkers * steps.
The last line of stdout is a JSON object with the median seconds, samples per second, and the posterior moments of the
vectorized runs (pooled) with their Monte-Carlo standard errors from emcee's integrated autocorrelation time.
"""
import json
import sys
import time

import emcee
import numpy as np

MU = np.array([1.0, -2.0, 0.5])
SD = np.array([1.0, 2.0, 0.5])
R = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, -0.4], [0.3, -0.4, 1.0]])
P = np.linalg.inv(np.diag(SD) @ R @ np.diag(SD))
WALKERS, BURN = 32, 1000


def log_prob(x):
    d = x - MU
    return -0.5 * d @ P @ d


def log_prob_vec(x):
    d = x - MU
    return -0.5 * np.sum((d @ P) * d, axis=1)


def run(vectorize, steps, seed):
    rng = np.random.default_rng(seed)
    p0 = 1e-2 * rng.standard_normal((WALKERS, 3))
    s = emcee.EnsembleSampler(WALKERS, 3, log_prob_vec if vectorize else log_prob, vectorize=vectorize)
    s.random_state = np.random.RandomState(seed).get_state()
    t0 = time.perf_counter()
    s.run_mcmc(p0, steps, progress=False)
    return time.perf_counter() - t0, s


def moments(samplers):
    # The timed runs are independent ensembles: pool their walkers (after burn-in) side by side.
    chain = np.concatenate([s.get_chain(discard=BURN) for s in samplers], axis=1)
    flat = chain.reshape(-1, 3)
    n = flat.shape[0]
    mean, sd = flat.mean(axis=0), flat.std(axis=0, ddof=1)
    tau = emcee.autocorr.integrated_time(chain, c=5, quiet=True)
    sq = (chain - mean) ** 2
    tau_sq = emcee.autocorr.integrated_time(sq, c=5, quiet=True)
    mcse_sd = sq.reshape(-1, 3).std(axis=0, ddof=1) * np.sqrt(tau_sq / n) / (2 * sd)
    return {"mean": mean.tolist(), "sd": sd.tolist(), "tau": tau.tolist(), "mcse_mean": (sd * np.sqrt(tau / n)).tolist(),
            "mcse_sd": mcse_sd.tolist()}


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    out = {"tool": f"emcee {emcee.__version__}", "walkers": WALKERS, "dim": 3}
    vectorized_runs = []
    for vectorize, steps in ((True, 11000), (False, 3000)):
        run(vectorize, 200, 0)
        times = []
        for r in range(repeats):
            t, s = run(vectorize, steps, 1000 + r)
            times.append(t)
            if vectorize:
                vectorized_runs.append(s)
        med = float(np.median(times))
        key = "vectorized" if vectorize else "unvectorized"
        out[key] = {"steps": steps, "samples": WALKERS * steps, "median_s": med, "samples_per_s": WALKERS * steps / med}
        print(f"emcee vectorize={vectorize}: {steps} steps x {WALKERS} walkers, median {med:.3f} s, "
              f"{WALKERS * steps / med:,.0f} samples/s")
    out["moments"] = moments(vectorized_runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
