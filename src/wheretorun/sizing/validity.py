"""Where the serving model has no published measurement behind it, said in the output.

The calibration table (``data/measurements.yml``) covers some accelerators under load, some engines,
some precisions and some tensor-parallel degrees. A prediction outside that region is still made
(from the same roofline and factors) but labelled, so nobody commits a fleet to it unmeasured. The
region is read from the table itself, not listed by hand: adding rows shrinks the labels.
"""

from __future__ import annotations

from .._perf import memo
from .calibration import load_measurements
from .memory import Architecture

#: Rows with at least this many requests in flight count as measurements "under load".
LOADED = 2
#: Tensor parallelism this many times what the model needs to fit is "very large for the model".
LARGE_TP_FACTOR = 4


@memo(maxsize=1)  # a summary of the shipped measurements: fixed for the process
def _covered() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    rows = load_measurements().measurements
    loaded = {r.accelerator for r in rows if r.concurrency >= LOADED}
    # an accelerator with a single loaded row is not a calibrated region
    loaded = {
        a for a in loaded if sum(1 for r in rows if r.accelerator == a and r.concurrency >= LOADED) >= 3
    }
    measured = {r.accelerator for r in rows}
    precisions = {r.precision for r in rows}
    engines = {r.engine_kind for r in rows}
    return frozenset(loaded), frozenset(measured), frozenset(precisions), frozenset(engines)


def unvalidated_reasons(
    arch: Architecture,
    precision: str,
    accelerator: str,
    tensor_parallel: int,
    devices_needed: int,
    concurrency: int,
    engine: str,
) -> list[str]:
    """Why this configuration lies outside the measured region (empty when it lies inside)."""
    loaded, measured, precisions, engines = _covered()
    out = []
    if accelerator not in measured:
        out.append(f"no published measurements on {accelerator}: factors inherited from a sibling part")
    elif concurrency >= LOADED and accelerator not in loaded:
        out.append(f"{accelerator} under load (concurrency {concurrency}): fewer than 3 loaded measurements")
    if precision not in precisions:
        out.append(f"{precision.upper()}: no measurements at this precision (kernels differ)")
    if engine not in engines:
        out.append(f"engine {engine}: no measurements; another engine's factors are used")
    if tensor_parallel >= LARGE_TP_FACTOR * max(1, devices_needed) and tensor_parallel > 1:
        out.append(
            f"tensor parallel {tensor_parallel} for a model that fits {devices_needed} device(s): "
            "no measurements of so much parallelism for a model this small"
        )
    if arch.is_moe:
        out.append("mixture-of-experts: sized from active parameters, no MoE measurements")
    return out
