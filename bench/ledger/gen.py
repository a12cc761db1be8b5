#!/usr/bin/env python3
"""Write a synthetic autoresearch session with N experiments into DIR.

Usage: gen.py DIR [N]          (N defaults to 100000)

DIR gets autoresearch.jsonl (a config line, then N result lines in the
format ar_ledger_append writes), results.tsv and a .autoresearch.yaml with
max_experiments.  The run is deterministic (fixed seed): a baseline, then a
mix of keeps, discards, crashes and the rarer statuses, with descriptions
that name constants ("increase LEARNING_RATE from 0.04 to 0.05"), the way an
agent's experiments read.
"""
import json
import os
import random
import sys

KNOBS = ["LEARNING_RATE", "DEPTH", "CONTEXT", "WARMUP_STEPS", "BATCH_SIZE",
         "DROPOUT", "WEIGHT_DECAY", "N_HEAD", "EMBED_DIM", "GRAD_CLIP"]
WORDS = ["switch activation to gelu", "add rotary embeddings",
         "remove bias from linear layers", "use cosine schedule",
         "tie input and output embeddings", "add layer norm before attention"]


def description(rng):
    if rng.random() < 0.8:
        k = rng.choice(KNOBS)
        a = rng.randint(1, 64)
        b = a * 2 if rng.random() < 0.5 else max(1, a // 2)
        verb = "increase" if b > a else "decrease"
        if rng.random() < 0.5:
            return "%s %s from %d to %d" % (verb, k, a, b)
        return "tune %s %d -> %d" % (k, a, b)
    return rng.choice(WORDS)


def result(i, rng, best, status, score):
    delta = None if score is None or best is None else score - best
    return {
        "type": "result", "iteration": i,
        "commit": "%040x" % rng.getrandbits(160),
        "score": score, "delta": delta, "guard_score": None,
        "guard_pass": None, "status": status,
        "description": "baseline" if i == 1 else description(rng),
        "memory_gb": round(rng.uniform(10, 45), 1),
        "duration_s": round(rng.uniform(280, 320), 3),
        "timestamp": "2026-11-23T16:20:00Z",
        **({"reason": "exit status 1: CUDA out of memory"}
           if status == "crash" else {}),
        "cpu_s": round(rng.uniform(250, 300), 3),
        "exit_status": 1 if status == "crash" else 0,
        "lines_added": rng.randint(1, 5), "lines_removed": rng.randint(0, 5),
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(7)
    config = {"type": "config", "tag": "bench", "branch": "autoresearch/bench",
              "adapter": "custom", "target_files": ["train.py"],
              "fixed_files": ["prepare.py"], "run_command": "true",
              "metric": {"name": "val_bpb", "direction": "lower"},
              "guards": [], "baseline": 1.0,
              "created_at": "2026-11-23T16:00:00Z"}
    dump = lambda o: json.dumps(o, separators=(",", ":"))
    best = None
    with open(os.path.join(out, "autoresearch.jsonl"), "w") as j, \
         open(os.path.join(out, "results.tsv"), "w") as t:
        j.write(dump(config) + "\n")
        t.write("commit\tval_bpb\tmemory_gb\tstatus\tdescription\n")
        for i in range(1, n + 1):
            u = rng.random()
            if i == 1:
                status, score = "baseline", 1.0
            elif u < 0.05:
                status, score = "crash", None
            elif u < 0.07:
                status, score = rng.choice(["guard_fail", "scope_violation",
                                            "interrupted"]), None
            else:
                score = best * (1 + rng.gauss(0.006, 0.003))
                status = "keep" if score < best - 1e-4 else "discard"
            r = result(i, rng, best, status, score)
            if status in ("keep", "baseline"):
                best = score
            j.write(dump(r) + "\n")
            t.write("%s\t%.6f\t%.1f\t%s\t%s\n" % (
                r["commit"][:7], score or 0.0, r["memory_gb"] if score else 0.0,
                status, r["description"]))
    with open(os.path.join(out, ".autoresearch.yaml"), "w") as y:
        y.write("adapter: custom\ntarget_files: [train.py]\n"
                "run_command: \"true\"\nmetric: {name: val_bpb, direction: lower}\n"
                "max_experiments: %d\n" % (n + n // 4))


if __name__ == "__main__":
    main()
