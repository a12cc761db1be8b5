#!/usr/bin/env python3
"""policy_sim.py - a fast pure-Python model of ar's `repeats: auto` rule on
the problem of bench/noise.  A TOOL for designing the rule, not a benchmark:
bench/noise/run drives the real `ar`.

It replays what `ar baseline` + `ar run --max N` do on noisebench.py's
problem - the same proposer (propose.py's generator and seeds), the same
noise (measure.py's generator, seeded by the session and the run's number),
the baseline, the experiments' runs, the decision, the fresh measurement of
a new best, the refreshes of the best - with the rule written in Python, so
that variants can be compared over thousands of sessions in seconds.  With
the bench's seeds (1..20) it reproduces bench/noise/run's figures exactly
(runs, keeps, false keeps, missed, final true metric).

Rules:
  naive      repeats: 1 (always shown, with "naive at equal runs")
  auto       ar's repeats: auto (stats.c since issue #8): Welch's p after
             each run against the levels of the sequential design, futility
             at p >= P(Z >= 0.75), a new best measured afresh
  auto-old   repeats: auto before issue #8: one run, stop when no better
             than the best's mean, else run until Welch's p <= alpha (>= 2
             runs) or max_repeats; a new best keeps the runs it passed with
  auto-stale `auto` without the fresh measurement of a new best
  bound      `auto`'s design given the best's TRUE value and the noise's
             sigma for free (no baseline runs, no fresh runs): an upper
             bound on what any estimate of the best could give this design

    bench/noise/policy_sim.py                      # 2000 sessions, auto
    bench/noise/policy_sim.py --sessions 20 --rule auto-old --rule auto
"""
import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noisebench as nb  # noqa: E402

# ---- the Student t distribution (the algorithm of core/stats.c) ------------


def betai(a, b, x):
    """The regularized incomplete beta function, by its continued fraction."""
    if x <= 0.0 or x >= 1.0:
        return x

    def frac(a, b, x):
        tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
        d = 1.0 / (d if abs(d) > tiny else tiny)
        f = d
        for m in range(1, 501):
            for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                        -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
                d = 1.0 + num * d
                d = 1.0 / (d if abs(d) > tiny else tiny)
                c = 1.0 + num / c
                c = c if abs(c) > tiny else tiny
                f *= c * d
            if abs(c * d - 1.0) < 1e-15:
                break
        return f
    lf = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
          + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lf) * frac(a, b, x) / a
    return 1.0 - math.exp(lf) * frac(b, a, 1.0 - x) / b


def t_cdf(t, df):
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betai(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def mean(x):
    return sum(x) / len(x)


def var(x):
    m = mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1) if len(x) > 1 else 0.0


def welch(c, b):
    """ar_stats_welch, lower is better: (gain, p), or None when no test."""
    nc, nbb = len(c), len(b)
    if nc < 2 and nbb < 2:
        return None
    vc = var(c) if nc > 1 else var(b)
    vb = var(b) if nbb > 1 else vc
    gain = mean(b) - mean(c)
    qc, qb = vc / nc, vb / nbb
    se = math.sqrt(qc + qb)
    if nc < 2:
        df = nbb - 1
    elif nbb < 2:
        df = nc - 1
    elif qc + qb > 0:
        df = (qc + qb) ** 2 / (qc * qc / (nc - 1) + qb * qb / (nbb - 1))
    else:
        df = nc + nbb - 2
    if se == 0:
        return gain, (0.0 if gain > 0 else 1.0)
    return gain, t_cdf(-gain / se, df)


# ---- the sequential design (ar_stats_sequential_levels) --------------------

FUTILITY_Z = 0.75


def upper_tail(z):
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def npdf(z):
    return math.exp(-0.5 * z * z) / 2.5066282746310002


def simpson_weights(n, h):
    return [h / 3 * (1 if i in (0, n - 1) else (4 if i % 2 else 2)) for i in range(n)]


def type1(c, looks, grid=81):
    """P(pass | no gain) for the boundary z_n = c sqrt(K/n) with binding
    futility at z <= FUTILITY_Z: the density of S_n (the sum of n standard
    normal runs) carried from look to look on a grid, Simpson's rule."""
    hi = c * math.sqrt(looks)
    lo = FUTILITY_Z
    p = upper_tail(hi)
    if looks < 2 or lo >= hi:
        return p
    h = (hi - lo) / (grid - 1)
    w = simpson_weights(grid, h)
    x = [lo + i * h for i in range(grid)]
    f = [npdf(v) for v in x]
    for n in range(2, looks + 1):
        p += sum(w[i] * f[i] * upper_tail(hi - x[i]) for i in range(grid))
        nlo = FUTILITY_Z * math.sqrt(n)
        if n == looks or nlo >= hi:
            break
        nh = (hi - nlo) / (grid - 1)
        y = [nlo + j * nh for j in range(grid)]
        f = [sum(w[i] * f[i] * npdf(yj - x[i]) for i in range(grid)) for yj in y]
        x, w = y, simpson_weights(grid, nh)
    return p


def sequential_levels(looks, alpha):
    """The nominal one-sided levels of looks 1..K (bisection on c)."""
    lo, hi = -10.0, 10.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if type1(mid, looks) > alpha:
            lo = mid
        else:
            hi = mid
    c = (lo + hi) / 2
    return [upper_tail(c * math.sqrt(looks / n)) for n in range(1, looks + 1)]


_LEVELS = {}


# ---- rules -------------------------------------------------------------------


class AutoOld:
    """repeats: auto before issue #8."""
    max_repeats = 5
    alpha = 0.05
    fresh_best = False   # after a keep, measure the new best afresh
    free_best = False    # (bound) the best's true value and sigma are known

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def passes(self, c, b):
        w = welch(c, b)
        return len(c) >= 2 and w is not None and w[0] > 0 and w[1] <= self.alpha

    def more(self, c, b):
        if len(c) >= self.max_repeats:
            return False
        if mean(b) - mean(c) <= 0:
            return False
        return not self.passes(c, b)


class Auto(AutoOld):
    """repeats: auto since issue #8 (stats.h)."""
    fresh_best = True

    def __init__(self, **kw):
        AutoOld.__init__(self, **kw)
        key = (self.max_repeats, self.alpha)
        if key not in _LEVELS:
            _LEVELS[key] = sequential_levels(*key)
        self.levels = _LEVELS[key]

    def level(self, n):
        return self.levels[min(n, len(self.levels)) - 1]

    def test(self, c, b):
        if self.free_best:  # z-test against the known truth
            gain = self.best_true - mean(c)
            return gain, upper_tail(gain / (self.sigma / math.sqrt(len(c))))
        return welch(c, b)

    def passes(self, c, b):
        w = self.test(c, b)
        return w is not None and w[0] > 0 and w[1] <= self.level(len(c))

    def more(self, c, b):
        if len(c) >= self.max_repeats:
            return False
        w = self.test(c, b)
        if w is None:
            return mean(b) - mean(c) > 0
        if self.passes(c, b):
            return False
        return w[0] > 0 and w[1] < upper_tail(FUTILITY_Z)


RULES = {
    "auto": lambda s: Auto(),
    "auto-old": lambda s: AutoOld(),
    "auto-stale": lambda s: Auto(fresh_best=False),
    "bound": lambda s: Auto(fresh_best=False, free_best=True, sigma=s),
}


# ---- the session ---------------------------------------------------------------


class Session:
    """One `ar baseline` + `ar run --max nexp`; rule None: repeats: 1."""

    def __init__(self, seed, sigma, rule, nexp, refresh_best=10, window=10,
                 mix=nb.MIX):
        self.seed, self.sigma, self.rule, self.nexp = seed, sigma, rule, nexp
        self.mix = mix
        self.refresh_best, self.window = refresh_best, window
        self.count = 0

    def measure(self, x):
        self.count += 1
        rng = random.Random("%d/%d" % (self.seed, self.count))
        return round(nb.true_value(x) + rng.gauss(0.0, self.sigma), 6)

    def propose(self, x, it):
        rng = random.Random("propose/%d/%d" % (self.seed, it))
        x = list(x)
        u = rng.random()
        movable = [i for i in range(4) if x[i] != 0]
        if u < self.mix[0] and movable:
            i = rng.choice(movable)
            x[i] += -1 if x[i] > 0 else 1
        elif u < self.mix[0] + self.mix[1]:
            x[4] += rng.choice((-1, 1))
        else:
            i, k = rng.randrange(4), rng.randint(1, 3)
            x[i] += k if x[i] >= 0 else -k
        return x

    def sample(self, cx, best):
        r = self.rule
        c = [self.measure(cx)]
        if not r:
            return c, c[0] < best[0]
        while r.more(c, best):
            c.append(self.measure(cx))
        return c, r.passes(c, best)

    def run(self):
        r = self.rule
        x = list(nb.START)
        best_true = start = nb.true_value(x)
        nbase = 1 if not r or r.free_best else r.max_repeats
        best = [self.measure(x) for _ in range(nbase)]
        refreshed = 1
        s = dict(keeps=0, false_keeps=0, not_better=0, better=0, missed=0,
                 neutral=0, neutral_keeps=0)
        for it in range(2, self.nexp + 2):
            cx = self.propose(x, it)
            ct = nb.true_value(cx)
            if r:
                r.best_true = best_true
            c, keep = self.sample(cx, best)
            truly = ct < best_true - 1e-9
            neutral = abs(ct - best_true) < 1e-9
            s["better" if truly else "not_better"] += 1
            s["neutral"] += neutral
            if keep:
                s["keeps"] += 1
                s["false_keeps"] += not truly
                s["neutral_keeps"] += neutral
                best, x, best_true, refreshed = c, cx, ct, it
                if r and r.fresh_best:
                    best = [self.measure(x) for _ in range(r.max_repeats)]
            elif truly:
                s["missed"] += 1
            if r and not r.free_best and it - refreshed >= self.refresh_best:
                best = (best + [self.measure(x)])[-self.window:]
                refreshed = it
        s["runs"] = self.count
        s["final"] = best_true
        s["gain"] = (start - best_true) / nb.STEP
        return s


def summary(results):
    n = len(results)
    t = {k: sum(r[k] for r in results) for k in results[0]}
    m = t["gain"] / n
    se = (sum((r["gain"] - m) ** 2 for r in results) / (n - 1) / n) ** 0.5 if n > 1 else 0
    return dict(runs=t["runs"] / n, keeps=t["keeps"] / n, fk=t["false_keeps"] / n,
                fk_rate=t["false_keeps"] / max(t["not_better"], 1),
                p0=t["neutral_keeps"] / max(t["neutral"], 1),
                missed=t["missed"] / max(t["better"], 1),
                final=t["final"] / n, gain=m, gain_se=se)


def fmt(name, r, naive_runs):
    return ("%-24s runs %5.1f (%.2fx) keeps %4.2f FK %4.2f (%4.1f%%, no-gain kept "
            "%4.1f%%) missed %3.0f%% final %.4f gain %+.2f±%.2f" % (
                name, r["runs"], r["runs"] / naive_runs, r["keeps"], r["fk"],
                100 * r["fk_rate"], 100 * r["p0"], 100 * r["missed"], r["final"],
                r["gain"], r["gain_se"]))


def sessions(seeds, sigma, rule, nexp, mix):
    """The summary of one rule (None: repeats: 1) over the seeded sessions."""
    return summary([Session(s, sigma * nb.STEP,
                            rule and RULES[rule](sigma * nb.STEP), nexp,
                            mix=mix).run()
                    for s in seeds])


def compare(seeds, sigma, rule, nexp, mix):
    """The rule against the naive rule given the runs the rule spent:
    (rule's summary, the naive rule's experiments, its summary)."""
    r = sessions(seeds, sigma, rule, nexp, mix)
    eq = max(1, int(round(r["runs"])) - 1)
    return r, eq, sessions(seeds, sigma, None, eq, mix)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--experiments", type=int, default=30)
    ap.add_argument("--rule", action="append", choices=sorted(RULES))
    ap.add_argument("--sigma", type=float, action="append",
                    help="noise in steps (default: 1 and 3)")
    ap.add_argument("--mix", default="%g,%g" % nb.MIX,
                    help="shares of truly better and neutral proposals "
                         "(default %(default)s)")
    a = ap.parse_args()
    try:
        mix = nb.parse_mix(a.mix)
    except ValueError as e:
        ap.error("--%s" % e)
    seeds = range(a.first_seed, a.first_seed + a.sessions)
    for sigma in a.sigma or [1, 3]:
        nv = sessions(seeds, sigma, None, a.experiments, mix)
        print("sigma %gx, %d sessions of %d experiments (seeds %d..), "
              "proposals %g%% better, %g%% neutral"
              % (sigma, a.sessions, a.experiments, a.first_seed,
                 100 * mix[0], 100 * mix[1]))
        print(fmt("naive", nv, nv["runs"]))
        for name in a.rule or ["auto"]:
            r, eq, q = compare(seeds, sigma, name, a.experiments, mix)
            print(fmt(name, r, nv["runs"]))
            print(fmt("  naive, %d experiments" % eq, q, nv["runs"])
                  + "  -> %s %s" % (name, "lower (ok)" if r["final"] < q["final"]
                                    else "not lower"))


if __name__ == "__main__":
    main()
