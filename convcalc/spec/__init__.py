"""Parsing: YAML files and CLI flags into a ModelSpec."""

from .model import LayerSpec, ModelSpec
from .parse import flag_layer, load_file, parse_shape, parse_source
from .yamlsrc import load_yaml

__all__ = ["LayerSpec", "ModelSpec", "flag_layer", "load_file", "load_yaml", "parse_shape", "parse_source"]
