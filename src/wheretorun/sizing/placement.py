"""Which instances hold a model, with what tensor-parallel degree, and how fast they serve it."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.models import InstanceSpec
from ..catalog.store import Catalog
from .memory import Architecture, Footprint, footprint
from .throughput import Throughput, decode_throughput

#: Serving engines batch many sequences; we plan for this many concurrent sequences per instance
#: unless the KV cache does not fit, in which case the batch shrinks to what memory allows.
DEFAULT_BATCH = 32
USABLE_MEMORY_FRACTION = 0.90  # engines pre-allocate ~90 % of accelerator memory (TRT-LLM default)


@dataclass(frozen=True)
class InstanceFit:
    instance: InstanceSpec
    tensor_parallel: int
    footprint: Footprint  # at batch 1
    batch: int  # concurrent sequences that fit
    throughput: Throughput

    @property
    def fits(self) -> bool:
        return self.batch >= 1


def max_batch(arch: Architecture, precision: str, usable_gb: float, context_tokens: int, cap: int) -> int:
    one = footprint(arch, precision, context_tokens, 1)
    free_gb = usable_gb - one.weights_gb - one.overhead_gb
    if free_gb <= 0:
        return 0
    per_seq_gb = one.kv_cache_gb
    if per_seq_gb <= 0:
        return cap
    return max(0, min(cap, int(free_gb // per_seq_gb)))


def fit_on(
    catalog: Catalog,
    inst: InstanceSpec,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    batch_cap: int = DEFAULT_BATCH,
) -> InstanceFit | None:
    """How the model fits one instance, using all its accelerators (tensor parallel); None if not at all."""
    if not inst.accelerator or inst.accelerator_count == 0:
        return None
    accel = catalog.accelerators[inst.accelerator]
    tp = inst.accelerator_count
    usable = inst.accelerator_memory_gb * tp * USABLE_MEMORY_FRACTION
    batch = max_batch(arch, precision, usable, context_tokens, batch_cap)
    fp = footprint(arch, precision, context_tokens, 1)
    if batch < 1:
        return InstanceFit(inst, tp, fp, 0, decode_throughput(arch, precision, accel, tp, 1, context_tokens))
    return InstanceFit(inst, tp, fp, batch, decode_throughput(arch, precision, accel, tp, batch, context_tokens))


def fitting_instances(
    catalog: Catalog,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    prefix: str = "",
    batch_cap: int = DEFAULT_BATCH,
) -> list[InstanceFit]:
    """Every priced accelerator instance (EC2, or SageMaker with prefix 'ml.') that holds the model."""
    out = []
    for inst in catalog.priced_instances(prefix):
        fit = fit_on(catalog, inst, arch, precision, context_tokens, batch_cap)
        if fit is not None and fit.fits:
            out.append(fit)
    return out
