"""Parsing: YAML files and CLI flags into a ModelSpec."""

from .model import LayerSpec, ModelSpec
from .parse import flag_layer, load_file, parse_shape, parse_source

__all__ = ["LayerSpec", "ModelSpec", "flag_layer", "load_file", "load_yaml", "parse_shape", "parse_source"]


def __getattr__(name: str) -> object:
    if name == "load_yaml":  # imports PyYAML: only when asked for
        from .yamlsrc import load_yaml

        return load_yaml
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
