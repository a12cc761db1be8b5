"""noisebench.py - the simulated research problem of bench/noise (shared by
measure.py, propose.py and run).

The target file params.txt holds five whole numbers, x1..x5.  The true
metric (lower is better) is

    f(x) = 1 + STEP * (|x1| + |x2| + |x3| + |x4|)

so moving one of x1..x4 one unit towards 0 is a true improvement of exactly
STEP, moving it away a true loss, and x5 does not matter at all (a change
to it is truly neutral).  bench.cfg (a fixed file) holds the session's seed
and the noise's standard deviation sigma.
"""
import os

STEP = 0.01          # the size of one true improvement
START = [20, 20, 20, 20, 0]
# The proposer's default shares: truly better, neutral; the rest are worse.
# 5% better is a session past its first easy gains: Karpathy's two-day
# autoresearch run kept about 20 improvements that held up out of about 700
# experiments (2.9%).  bench/noise/run also replays 3%, 10% and 20% (SWEEP).
MIX = (0.05, 0.3)
SWEEP = (0.03, 0.05, 0.10, 0.20)


def read_params(path="params.txt"):
    with open(path) as f:
        return [int(line.split("=")[1]) for line in f if "=" in line]


def write_params(x, path="params.txt"):
    with open(path, "w") as f:
        for i, v in enumerate(x):
            f.write("x%d = %d\n" % (i + 1, v))


def true_value(x):
    return 1.0 + STEP * sum(abs(v) for v in x[:4])


def params_from_text(text):
    return [int(line.split("=")[1]) for line in text.splitlines() if "=" in line]


def read_cfg(path="bench.cfg"):
    cfg = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                cfg[k.strip()] = v.strip()
    return int(cfg["seed"]), float(cfg["sigma"])


def parse_mix(text):
    """"0.2,0.3" -> (0.2, 0.3): the shares of truly better and neutral
    proposals; ValueError unless both are in [0, 1] and sum to at most 1."""
    b, n = (float(x) for x in text.split(","))
    if not (0 <= b <= 1 and 0 <= n <= 1 and b + n <= 1):
        raise ValueError("mix %r: two shares in [0, 1] summing to at most 1" % text)
    return b, n


def read_mix(path="bench.cfg"):
    with open(path) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "mix":
                return parse_mix(v.strip())
    return MIX


def next_count(path=".count"):
    """How many runs so far, this one included (the seed of its noise)."""
    n = 0
    if os.path.exists(path):
        with open(path) as f:
            n = int(f.read().strip() or 0)
    n += 1
    with open(path, "w") as f:
        f.write("%d\n" % n)
    return n
