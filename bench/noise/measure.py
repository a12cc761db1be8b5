"""measure.py - the run command of bench/noise: prints the true metric of
params.txt plus Gaussian noise of the session's sigma, seeded by the
session's seed and the run's number (so runs differ, and a benchmark
session is reproducible)."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noisebench as nb  # noqa: E402

seed, sigma = nb.read_cfg()
n = nb.next_count()
rng = random.Random("%d/%d" % (seed, n))
print("loss: %.6f" % (nb.true_value(nb.read_params()) + rng.gauss(0.0, sigma)))
