"""The reference executor: runs a Plan on real numpy tensors and checks every planned count.

It is deliberately independent of the shape engine (``convcalc.layers``): padding, windows and
weights are computed from the layer arguments and everything is read off the arrays.
"""

from .check import CheckReport, LayerObservation, Mismatch, check, estimate_bytes
from .ops import FORWARD, Observed, RunCtx

__all__ = ["FORWARD", "CheckReport", "LayerObservation", "Mismatch", "Observed", "RunCtx", "check", "estimate_bytes"]
