import torch
LR = 0.04                # ar: tune 1e-4..1e-1 log
BATCH_SIZE: int = 64     # ar: tune 8..256
WARMUP = 1_000
DEPTH = 8
x = f(3)
