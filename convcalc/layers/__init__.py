"""Layer types, registered by name. Importing this package registers every family."""

from . import basic, conv, merge, pool  # noqa: F401  (registration side effects)
from .base import ALIASES, REGISTRY, Arg, Ctx, LayerType, Node, Result, Shape, lookup

__all__ = ["ALIASES", "REGISTRY", "Arg", "Ctx", "LayerType", "Node", "Result", "Shape", "lookup"]
