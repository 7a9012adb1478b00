"""Model sizing: memory (weights, KV cache, overhead), accelerator fit, roofline throughput."""

from .memory import Architecture, Footprint, architecture_from_card, estimate_architecture, footprint
from .placement import InstanceFit, fit_on, fitting_instances
from .throughput import Throughput, decode_throughput

__all__ = [
    "Architecture",
    "Footprint",
    "InstanceFit",
    "Throughput",
    "architecture_from_card",
    "decode_throughput",
    "estimate_architecture",
    "fit_on",
    "fitting_instances",
    "footprint",
]
