"""Layer types, registered by name. Importing this package registers every family."""

from . import basic, conv, pool  # noqa: F401  (registration side effects)
from . import border, depthwise, merge, norm, resample, reshape, transpose  # noqa: F401
from .base import ALIASES, REGISTRY, Arg, Ctx, LayerType, Node, Result, Shape, lookup

__all__ = ["ALIASES", "REGISTRY", "Arg", "Ctx", "LayerType", "Node", "Result", "Shape", "lookup"]
