"""
prepare.py - the fixed part of the example: the data and the evaluation.

Experiments change train.py only.  This file builds a small, deterministic
character corpus in code (sentences from a tiny grammar, no downloads) and
defines the metric: bits per byte of a model on the held-out split.

    python3 prepare.py      # print a summary of the dataset
"""
import math
import random

SEED = 1337
TRAIN_BYTES = 400_000
VAL_BYTES = 40_000
MAX_CONTEXT = 16  # characters of history the evaluation hands the model

_SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the robot",
             "a small bird", "the teacher", "our neighbour", "the children",
             "a stranger"]
_VERBS = ["sees", "likes", "chases", "finds", "paints", "reads", "builds",
          "remembers", "carries", "forgets"]
_OBJECTS = ["the red ball", "a long letter", "the garden", "an apple",
            "the river", "a quiet song", "the blue door", "a map",
            "the last train", "a warm coat"]
_TAILS = ["", "", "", " every morning", " in the rain", " after school",
          " with great care", " before dinner", " once again"]
_ENDS = [". ", ". ", ". ", "! ", "? "]


def _sentence(rng):
    words = (rng.choice(_SUBJECTS) + " " + rng.choice(_VERBS) + " " +
             rng.choice(_OBJECTS) + rng.choice(_TAILS))
    if rng.random() < 0.25:
        words += ", and " + rng.choice(_SUBJECTS) + " " + rng.choice(_VERBS) + \
            " " + rng.choice(_OBJECTS)
    return words[0].upper() + words[1:] + rng.choice(_ENDS)


def _text(rng, n):
    parts, size = [], 0
    while size < n:
        s = _sentence(rng)
        if rng.random() < 0.1:
            s += "\n"
        parts.append(s)
        size += len(s)
    return "".join(parts)[:n]


def load():
    """(train_text, val_text, vocab): the same every time.  vocab is the
    sorted list of every character either split uses."""
    rng = random.Random(SEED)
    train = _text(rng, TRAIN_BYTES)
    val = _text(rng, VAL_BYTES)
    vocab = sorted(set(train) | set(val))
    return train, val, vocab


def evaluate_bpb(model, val_text, vocab):
    """Bits per byte of `model` on val_text.

    model.distribution(context) gets the preceding characters (at most
    MAX_CONTEXT) and returns one non-negative weight per vocab entry; the
    harness normalises them, so a model cannot score by not summing to 1.
    """
    index = {c: i for i, c in enumerate(vocab)}
    bits = 0.0
    for i, ch in enumerate(val_text):
        weights = model.distribution(val_text[max(0, i - MAX_CONTEXT):i])
        if len(weights) != len(vocab):
            raise ValueError("distribution() must return len(vocab) weights")
        total = math.fsum(weights)
        p = weights[index[ch]] / total if total > 0 else 0.0
        if not p > 0.0:
            return float("inf")
        bits -= math.log2(p)
    return bits / len(val_text.encode("utf-8"))


if __name__ == "__main__":
    train, val, vocab = load()
    print(f"train: {len(train)} bytes, val: {len(val)} bytes, vocab: {len(vocab)}")
    print(f"uniform baseline: {math.log2(len(vocab)):.4f} bits per byte")
    print("sample:", train[:160].replace("\n", " "))
