"""Model sizing: memory (weights, KV cache, overhead), accelerator fit, calibrated roofline throughput."""

from .memory import (
    PRECISIONS,
    Architecture,
    Footprint,
    architecture_from_card,
    estimate_architecture,
    footprint,
)
from .placement import (
    InstanceFit,
    fit_on,
    fitting_instances,
    latency_s,
    max_batch,
    requests_per_second,
    tensor_parallel_degrees,
)
from .throughput import Throughput, decode_step, decode_throughput, prefill_s, serving_cycle_s

__all__ = [
    "PRECISIONS",
    "Architecture",
    "Footprint",
    "InstanceFit",
    "Throughput",
    "architecture_from_card",
    "decode_step",
    "decode_throughput",
    "estimate_architecture",
    "fit_on",
    "fitting_instances",
    "footprint",
    "latency_s",
    "max_batch",
    "prefill_s",
    "requests_per_second",
    "serving_cycle_s",
    "tensor_parallel_degrees",
]
