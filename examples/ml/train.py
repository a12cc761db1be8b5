"""
train.py - a tiny character language model, trained in plain Python.

The model mixes n-gram predictors of every order 0..CONTEXT (add-SMOOTHING
estimates from counts) with weights learned by gradient descent on a slice
of the training text held out from the counts.  The constants below are the
knobs an experiment may turn; prepare.py (data and evaluation) is fixed.

    python3 train.py        # trains in a second or two, prints val_bpb
"""
import math
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the experiment's tree
from prepare import evaluate_bpb, load  # noqa: E402

CONTEXT = 2           # ar: tune 1..8
SMOOTHING = 1.0       # ar: tune 0.001..4 log
LEARNING_RATE = 0.05  # ar: tune 0.001..4 log
EPOCHS = 1            # ar: tune 1..8
BATCH_SIZE = 256      # ar: tune 16..2048 log
DEV_FRACTION = 0.1    # share of the training text used to fit the mixture


class NGramMixture:
    def __init__(self, vocab, order, smoothing):
        self.index = {c: i for i, c in enumerate(vocab)}
        self.V = len(vocab)
        self.order = order
        self.smoothing = smoothing
        self.counts = [dict() for _ in range(order + 1)]  # context -> {char index: n}
        self.totals = [dict() for _ in range(order + 1)]  # context -> n
        self.logits = [0.0] * (order + 1)

    def count(self, text):
        ids = [self.index[c] for c in text]
        for k in range(self.order + 1):
            counts, totals = self.counts[k], self.totals[k]
            for i in range(k, len(text)):
                ctx = text[i - k:i]
                table = counts.get(ctx)
                if table is None:
                    table = counts[ctx] = {}
                table[ids[i]] = table.get(ids[i], 0) + 1
                totals[ctx] = totals.get(ctx, 0) + 1

    def weights(self):
        top = max(self.logits)
        exps = [math.exp(z - top) for z in self.logits]
        s = sum(exps)
        return [e / s for e in exps]

    def order_probs(self, context, target):
        """p_k(target | last k chars) for every order k."""
        out = []
        for k in range(self.order + 1):
            ctx = context[len(context) - k:] if k else ""
            n = self.totals[k].get(ctx, 0) if k <= len(context) else 0
            hit = self.counts[k].get(ctx, {}).get(target, 0) if n else 0
            out.append((hit + self.smoothing) / (n + self.smoothing * self.V))
        return out

    def fit_mixture(self, text, epochs, lr, batch):
        """Gradient ascent on the mean log-likelihood of text over the
        mixture logits.  Returns the number of steps taken."""
        rows = []
        for i in range(1, len(text)):
            rows.append(self.order_probs(text[max(0, i - self.order):i],
                                         self.index[text[i]]))
        steps = 0
        for epoch in range(epochs):
            for start in range(0, len(rows), batch):
                w = self.weights()
                grad = [0.0] * len(w)
                chunk = rows[start:start + batch]
                nll = 0.0
                for ps in chunk:
                    p = sum(wk * pk for wk, pk in zip(w, ps))
                    nll -= math.log2(p)
                    for k, pk in enumerate(ps):
                        grad[k] += w[k] * (pk / p - 1.0)
                self.logits = [z + lr * g / len(chunk)
                               for z, g in zip(self.logits, grad)]
                steps += 1
            print(f"epoch {epoch + 1} | step {steps:5d} | dev_bpb {nll / len(chunk):.4f}",
                  flush=True)
        return steps

    def distribution(self, context):
        w = self.weights()
        out = [0.0] * self.V
        base = 0.0
        for k in range(min(self.order, len(context)) + 1):
            ctx = context[len(context) - k:] if k else ""
            denom = self.totals[k].get(ctx, 0) + self.smoothing * self.V
            base += w[k] * self.smoothing / denom
            table = self.counts[k].get(ctx)
            if table:
                scale = w[k] / denom
                for j, n in table.items():
                    out[j] += scale * n
        # orders longer than the context available: uniform
        for k in range(min(self.order, len(context)) + 1, self.order + 1):
            base += w[k] / self.V
        return [x + base for x in out]

    def num_params(self):
        return sum(len(t) for counts in self.counts for t in counts.values()) + \
            len(self.logits)


def main():
    t_start = time.time()
    train, val, vocab = load()
    split = int(len(train) * (1.0 - DEV_FRACTION))

    t_train = time.time()
    model = NGramMixture(vocab, CONTEXT, SMOOTHING)
    model.count(train[:split])
    steps = model.fit_mixture(train[split:], EPOCHS, LEARNING_RATE, BATCH_SIZE)
    model = _recount(model, train)
    training_seconds = time.time() - t_train

    val_bpb = evaluate_bpb(model, val, vocab)
    t_end = time.time()

    print("---")
    print(f"val_bpb:          {val_bpb:.6f}")
    print(f"training_seconds: {training_seconds:.1f}")
    print(f"total_seconds:    {t_end - t_start:.1f}")
    print(f"peak_vram_mb:     {0.0:.1f}")
    print(f"mfu_percent:      {0.0:.2f}")
    print(f"total_tokens_M:   {len(train) * EPOCHS / 1e6:.1f}")
    print(f"num_steps:        {steps}")
    print(f"num_params_M:     {model.num_params() / 1e6:.1f}")
    print(f"depth:            {CONTEXT}")


def _recount(model, text):
    """The final model: the learned mixture over counts of all the text."""
    final = NGramMixture(sorted(model.index, key=model.index.get), model.order,
                         model.smoothing)
    final.logits = list(model.logits)
    final.count(text)
    return final


if __name__ == "__main__":
    main()
