"""The floor of a ResNet-50 check: what any numpy implementation of it must at least do.

    python bench/floor.py [uniform|normal]

Imports numpy, draws 25,557,032 float32 weights (ResNet-50's parameters) from a seeded
generator -- ``uniform`` the way the executor draws them (convcalc.reference.core.draw),
``normal`` with ``standard_normal`` -- and does one float32 matmul of 4,089,184,256
multiply-accumulates (ResNet-50's MACs at 224x224): (9728 x 821) @ (821 x 512), since
4,089,184,256 = 9728 * 821 * 512. bench/run.py times this process next to ``convcalc check``.
"""

import sys

import numpy as np

PARAMS = 25_557_032
M, K, N = 9728, 821, 512
assert M * K * N == 4_089_184_256

rng = np.random.default_rng(0)
if (sys.argv[1] if len(sys.argv) > 1 else "uniform") == "normal":
    w = rng.standard_normal(PARAMS, dtype=np.float32)
else:
    w = rng.random(PARAMS, dtype=np.float32)
    w -= np.float32(0.5)
a = np.full((M, K), 0.5, dtype=np.float32)
c = a @ w[: K * N].reshape(K, N)
