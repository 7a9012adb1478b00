"""``size``: memory and throughput of one model on one accelerator type, or on every type.

The library behind ``wheretorun size`` (and any other shell): it resolves nothing from user text --
the CLI does that and raises the input errors -- and returns a plain result whose
``to_json_dict()`` carries the contract keys (``weights_gb``, ``kv_cache_gb``, ``total_gb``, ``fits``,
``gpus_needed``, ``decode_tokens_per_s``, ``per_sequence_tokens_per_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..catalog.models import AcceleratorSpec, InstanceSpec
from ..catalog.store import Catalog
from .efficiency import load_efficiency
from .memory import Architecture, Footprint, footprint
from .placement import NEURON, USABLE_MEMORY_FRACTION, max_batch, tensor_parallel_degrees
from .serving import ServingPoint, ServingSetup, at_concurrency, at_rate, max_concurrency, max_rate
from .throughput import DEFAULT_ENGINE, decode_throughput, interconnect_for, prefill_s, serving_cycle_s
from .validity import unvalidated_reasons

#: Without instances in the catalog an accelerator type is assumed to come up to 8 per server.
DEFAULT_MAX_DEVICES = 8


@dataclass(frozen=True)
class AcceleratorOption:
    """The model on ``gpus`` accelerators of one type (tensor parallel), at the requested batch."""

    accelerator: str
    gpus: int | None  # devices used: requested, else the smallest that fits; None when none fits
    gpus_needed: int | None
    fits: bool
    footprint: Footprint
    usable_gb: float
    decode_tokens_per_s: float | None = None
    per_sequence_tokens_per_s: float | None = None
    prefill_tokens_per_s: float | None = None
    time_to_first_token_s: float | None = None
    bound: str | None = None
    requests_per_second: float | None = None
    latency_s: float | None = None
    instance_type: str | None = None
    instance_hourly_usd: Decimal | None = None
    price_key: str | None = None
    valid_gpu_counts: tuple[int, ...] = ()
    engine: str = DEFAULT_ENGINE
    serving: ServingPoint | None = None  # at the requested concurrency (closed loop)
    at_rate: ServingPoint | None = None  # at the requested arrival rate (open loop)
    batch_limit: int | None = None  # sequences decoding together at most (KV cache, engine, compiled)
    max_concurrency: int | None = None
    max_requests_per_s: float | None = None
    unvalidated: tuple[str, ...] = ()
    serving_gpus: int | None = None  # devices the loaded figures are for (see ``evaluate``)

    def to_json_dict(self) -> dict:
        out = self._memory_and_roofline()
        # the loaded figures: at the arrival rate when one was given (means), else at the concurrency
        pt = self.at_rate or self.serving
        out |= {
            "engine": self.engine,
            "serving_gpus": self.serving_gpus,
            "batch_limit": self.batch_limit,
            "requests_in_flight": _r(pt.concurrency if pt else None),
            "output_tokens_per_s": _r(pt.output_tokens_per_s if pt else None),
            "ttft_s": _r(pt.ttft_s if pt else None, 4),
            "tpot_s": _r(pt.tpot_s if pt else None, 5),
            "request_latency_s": _r(pt.request_latency_s if pt else None, 3),
            "queue_s": _r(pt.queue_s if pt else None, 3),
            "unvalidated": list(self.unvalidated),
        }
        if self.at_rate is not None:
            r = self.at_rate
            out |= {
                "rate_requests_per_s": r.requests_per_s,
                "saturated": r.saturated,
                "latency_p50_s": _r(r.latency_p50_s, 3),
                "latency_p99_s": _r(r.latency_p99_s, 3),
                "ttft_p99_s": _r(r.ttft_p99_s, 4),
            }
        if self.max_concurrency is not None:
            out["max_concurrency"] = self.max_concurrency
            out["max_requests_per_s"] = _r(self.max_requests_per_s, 4)
        return out

    def _memory_and_roofline(self) -> dict:
        return {
            "accelerator": self.accelerator,
            "gpus": self.gpus,
            "gpus_needed": self.gpus_needed,
            "fits": self.fits,
            "weights_gb": round(self.footprint.weights_gb, 4),
            "kv_cache_gb": round(self.footprint.kv_cache_gb, 4),
            "overhead_gb": round(self.footprint.overhead_gb, 4),
            "total_gb": round(self.footprint.total_gb, 4),
            "usable_memory_gb": round(self.usable_gb, 4),
            "decode_tokens_per_s": _r(self.decode_tokens_per_s),
            "per_sequence_tokens_per_s": _r(self.per_sequence_tokens_per_s),
            "prefill_tokens_per_s": _r(self.prefill_tokens_per_s),
            "time_to_first_token_s": _r(self.time_to_first_token_s, 4),
            "bound": self.bound,
            "requests_per_second": _r(self.requests_per_second, 4),
            "latency_s": _r(self.latency_s, 3),
            "instance_type": self.instance_type,
            "instance_on_demand_usd_per_hour": str(self.instance_hourly_usd)
            if self.instance_hourly_usd is not None
            else None,
            "instance_price_key": self.price_key,
        }


def _r(x: float | None, digits: int = 2) -> float | None:
    """Rounded for JSON; an infinite time (a saturated replica) is reported as null."""
    if x is None or x != x or x in (float("inf"), float("-inf")):
        return None
    return round(x, digits)


@dataclass(frozen=True)
class SizeResult:
    model: str
    arch: Architecture
    precision: str
    context_tokens: int
    batch: int
    input_tokens: int | None
    output_tokens: int | None
    avg_sequence_tokens: int | None
    best: AcceleratorOption
    options: list[AcceleratorOption]
    assumptions: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        a = self.arch
        eff = load_efficiency()
        out = {
            "model": self.model,
            "architecture": {
                "params_b": a.params_b,
                "active_params_b": a.active_params_b,
                "layers": a.layers,
                "attention_heads": a.attention_heads or None,
                "kv_heads": a.kv_heads,
                "head_dim": a.head_dim,
                "estimated": a.estimated,
                "source": a.source,
            },
            "precision": self.precision,
            "context_tokens": self.context_tokens,
            "batch": self.batch,
            "concurrency": self.batch,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "avg_sequence_tokens": self.avg_sequence_tokens,
            "kv_bytes_per_token": self.best.footprint.kv_bytes_per_token,
        }
        out |= self.best.to_json_dict()
        out["options"] = [o.to_json_dict() for o in self.options]
        out["assumptions"] = self.assumptions
        out["efficiency"] = {"source": eff.source, "as_of": eff.as_of.isoformat()}
        return out


def max_devices(catalog: Catalog, accelerator: str) -> int:
    counts = [i.accelerator_count for i in catalog.instances.values() if i.accelerator == accelerator]
    return max(counts, default=DEFAULT_MAX_DEVICES)


def _cheapest_instance(
    catalog: Catalog, accelerator: str, devices: int
) -> tuple[InstanceSpec, Decimal] | None:
    best: tuple[InstanceSpec, Decimal] | None = None
    for inst in catalog.priced_instances(""):
        if inst.accelerator != accelerator or inst.accelerator_count < devices:
            continue
        price = catalog.price(inst.price_key).value
        if best is None or price < best[1]:
            best = (inst, price)
    return best


def evaluate(
    catalog: Catalog,
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    *,
    context_tokens: int,
    batch: int,
    gpus: int | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    engine: str = DEFAULT_ENGINE,
    rate: float | None = None,
    max_ttft_s: float | None = None,
    max_tpot_s: float | None = None,
) -> AcceleratorOption:
    """The model at ``batch`` requests in flight on ``gpus`` (default: fewest that fit) of ``accel``,
    served by ``engine``; with requests of known length also the loaded serving figures
    (``serving.py``): at that concurrency, at an arrival ``rate``, and the most each target admits."""
    avg = None
    if input_tokens is not None or output_tokens is not None:
        avg = min(context_tokens, (input_tokens or 0) + (output_tokens or 0))
    degrees = tensor_parallel_degrees(arch, accel.name, max_devices(catalog, accel.name))

    def fp(devices: int) -> Footprint:
        return footprint(arch, precision, context_tokens, batch, avg_sequence_tokens=avg, devices=devices)

    def usable(devices: int) -> float:
        return accel.memory_gb * devices * USABLE_MEMORY_FRACTION

    needed = next((d for d in degrees if fp(d).total_gb <= usable(d)), None)
    used = gpus or needed
    devices = used or (degrees[-1] if degrees else 1)
    f = fp(devices)
    fits = used is not None and f.total_gb <= usable(devices)
    cheapest = _cheapest_instance(catalog, accel.name, devices) if used else None
    common: dict[str, Any] = {
        "accelerator": accel.name,
        "gpus": used,
        "gpus_needed": needed,
        "fits": fits,
        "footprint": f,
        "usable_gb": usable(devices),
        "instance_type": cheapest[0].type if cheapest else None,
        "instance_hourly_usd": cheapest[1] if cheapest else None,
        "price_key": cheapest[0].price_key if cheapest else None,
        "valid_gpu_counts": tuple(degrees),
        "engine": engine,
    }
    link = interconnect_for(accel, cheapest[0].family if cheapest else None)
    serving: dict = {}
    # Loaded figures need only the model (one sequence at full context) to fit: more requests than
    # the KV cache holds queue, as on a real server. On the devices asked for, else those that hold
    # the whole concurrency, else the fewest that hold the model.
    serve_on = (
        gpus
        or needed
        or next(
            (d for d in degrees if max_batch(arch, precision, usable(d), context_tokens, 1, avg, d) >= 1),
            None,
        )
    )
    if output_tokens and serve_on is not None:
        kv_batch = max_batch(arch, precision, usable(serve_on), context_tokens, 1_000_000, avg, serve_on)
        if kv_batch >= 1:
            setup = ServingSetup(
                arch, precision, accel, serve_on, input_tokens or 0, output_tokens, kv_batch, engine, link
            )
            targets = max_ttft_s is not None or max_tpot_s is not None
            serving = {
                "serving": at_concurrency(setup, batch),
                "at_rate": at_rate(setup, rate) if rate is not None else None,
                "batch_limit": setup.batch_limit,
                "max_concurrency": max_concurrency(setup, max_ttft_s, max_tpot_s) if targets else None,
                "max_requests_per_s": max_rate(setup, max_ttft_s=max_ttft_s, max_tpot_s=max_tpot_s)
                if targets
                else None,
                "serving_gpus": serve_on,
            }
    labels = tuple(
        unvalidated_reasons(arch, precision, accel.name, serve_on or devices, needed or serve_on or devices,
                            batch, engine)
    )  # fmt: skip
    if not fits or used is None:
        return AcceleratorOption(**common, unvalidated=labels, **serving)
    kv = (input_tokens or 0) + (output_tokens or 0) // 2 if avg is not None else context_tokens
    thr = decode_throughput(
        arch,
        precision,
        accel,
        used,
        batch,
        context_tokens,
        avg_sequence_tokens=kv,
        input_tokens=input_tokens,
        interconnect=link,
    )
    ttft = (
        prefill_s(arch, precision, accel, used, input_tokens, link, engine=engine) if input_tokens else None
    )
    rps = lat = None
    if output_tokens:
        cycle = serving_cycle_s(
            arch, precision, accel, used, batch, input_tokens or 0, output_tokens, link, engine=engine
        )
        rps, lat = batch / cycle, cycle
    return AcceleratorOption(
        **common,
        decode_tokens_per_s=thr.decode_tokens_per_s,
        per_sequence_tokens_per_s=thr.per_sequence_tokens_per_s,
        prefill_tokens_per_s=thr.prefill_tokens_per_s,
        time_to_first_token_s=ttft,
        bound=thr.bound,
        requests_per_second=rps,
        latency_s=lat,
        unvalidated=labels,
        **serving,
    )


def _order(o: AcceleratorOption) -> tuple:
    """Fitting options first; then smallest (fewest devices), cheapest instance; then by name."""
    price = o.instance_hourly_usd if o.instance_hourly_usd is not None else Decimal("Infinity")
    return (not o.fits, o.instance_type is None, price, o.gpus_needed or 99, o.accelerator)


def size_model(
    catalog: Catalog,
    model: str,
    arch: Architecture,
    precision: str,
    *,
    context_tokens: int,
    batch: int = 1,
    accelerator: str | None = None,
    gpus: int | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    assumptions: list[str] | None = None,
    engine: str = DEFAULT_ENGINE,
    rate: float | None = None,
    max_ttft_s: float | None = None,
    max_tpot_s: float | None = None,
) -> SizeResult:
    """Size ``arch`` on ``accelerator`` (every catalog accelerator when None), best option first.

    Neuron parts are served by the Neuron engine whatever ``engine`` says (GPU engines do not run
    there); ``engine="neuron"`` sizes only Neuron parts.
    """
    names = [accelerator] if accelerator else list(catalog.accelerators)
    if engine == "neuron":
        names = [n for n in names if n in NEURON]
    options = sorted(
        (
            evaluate(
                catalog,
                arch,
                precision,
                catalog.accelerators[n],
                context_tokens=context_tokens,
                batch=batch,
                gpus=gpus,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                engine="neuron" if n in NEURON else engine,
                rate=rate,
                max_ttft_s=max_ttft_s,
                max_tpot_s=max_tpot_s,
            )
            for n in names
            if not (accelerator is None and n == "Trainium")  # trn1 is for training, not serving
        ),
        key=_order,
    )
    notes = list(assumptions or [])
    if engine != "neuron" and any(o.accelerator in NEURON for o in options):
        notes.append(f"Neuron parts are served by the neuron engine (compiled batch), not {engine}")
    if any(o.accelerator in NEURON for o in options):
        notes.append(
            "Neuron parts: tensor parallelism counted in chips (2 NeuronCores each); heads are padded"
        )
    avg = None
    if input_tokens is not None or output_tokens is not None:
        avg = min(context_tokens, (input_tokens or 0) + (output_tokens or 0))
    return SizeResult(
        model,
        arch,
        precision,
        context_tokens,
        batch,
        input_tokens,
        output_tokens,
        avg,
        options[0],
        options,
        notes,
    )
