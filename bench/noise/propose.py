"""propose.py ITERATION - the scripted proposer of bench/noise, run by
`ar run` in the repository (agent: "python3 propose.py {iteration}").

It changes params.txt (which ar has put back to the best) in one of three
known ways, drawn with a generator seeded by the session's seed and the
iteration: truly better (one of x1..x4 one step towards 0), truly neutral
(x5 moves), truly worse (one of x1..x4 one to three steps away from 0); and
says which in its DESCRIPTION line.  The shares are bench.cfg's `mix`
(better, neutral), by default 5% and 30% (noisebench.MIX), the rest worse."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noisebench as nb  # noqa: E402


def main():
    seed, _ = nb.read_cfg()
    mix = nb.read_mix()
    it = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    rng = random.Random("propose/%d/%d" % (seed, it))
    x = nb.read_params()
    u = rng.random()
    movable = [i for i in range(4) if x[i] != 0]
    if u < mix[0] and movable:
        i = rng.choice(movable)
        x[i] += -1 if x[i] > 0 else 1
        what = "better: x%d one step towards 0" % (i + 1)
    elif u < mix[0] + mix[1]:
        x[4] += rng.choice((-1, 1))
        what = "neutral: x5 moves"
    else:
        i, k = rng.randrange(4), rng.randint(1, 3)
        x[i] += k if x[i] >= 0 else -k
        what = "worse: x%d %d step(s) away from 0" % (i + 1, k)
    nb.write_params(x)
    print("DESCRIPTION: %s" % what)


if __name__ == "__main__":
    main()
