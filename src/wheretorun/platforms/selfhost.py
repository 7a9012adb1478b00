"""What every self-hosted fleet shares (Fargate, ECS/EKS on EC2, AWS Batch, SageMaker endpoints).

Two questions, answered once: which server (instance type or task size) runs one replica, and
how many requests per second one replica sustains. The fleet size over the month then comes from
``capacity.replica_fleet`` (peak at the target utilisation, or work-hours for batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from .._perf import Bounded
from ..catalog.models import InstanceSpec
from ..catalog.store import Catalog, PriceRef
from ..fleetsim import behaviour
from ..results import Blocker, CostComponent, FleetFacts, Purchase
from ..sizing import Architecture, InstanceFit, fit_on, latency_s, requests_per_second
from ..sizing.placement import NEURON, USABLE_MEMORY_FRACTION, max_batch, tensor_parallel_degrees
from ..sizing.serving import ServingSetup, at_concurrency, at_rate, max_rate, max_requests_per_s
from ..sizing.throughput import interconnect_for
from ..sizing.validity import unvalidated_reasons
from ..units import HOURS_PER_MONTH, MILLION, money
from .base import Context, Infeasible, amount, construct, fact_blocker, is_batch, line, tiered_lines
from .capacity import FleetResult, replica_fleet
from .purchase import instance_rate, memo_key
from .usage import DURATION_DISAGREEMENT

#: Fine-tuning with LoRA/QLoRA keeps the base weights plus adapters, their optimizer state and
#: activations: ~1.3x the weights (full fine-tuning needs ~16 bytes/param and is not modelled).
TRAINING_MEMORY_FACTOR = 1.3
#: Below this share of a replica's capacity the queue is empty: the service time a request sees.
LIGHT_LOAD = 0.05


@dataclass
class Replica:
    """One server of the fleet and what it sustains.

    Shared by every workload of one ``recommend`` call that runs the same server at the same rate
    (``Context.memo``): never mutate it.
    """

    label: str  # instance type or "2 vCPU / 4 GB task"
    hourly: list[CostComponent]  # invoice lines for ONE replica-hour (quantity 1)
    per_replica_rps: float
    instance: InstanceSpec | None = None
    fit: InstanceFit | None = None
    latency_s: float | None = None
    note: str | None = None
    latency_p99_s: float | None = None  # GPU replicas: p99 request latency at the sized rate
    unvalidated: tuple[str, ...] = ()  # GPU replicas: why the serving model is unmeasured here
    vcpu: float = 0.0
    memory_gb: float = 0.0

    @cached_property
    def hourly_usd(self) -> Decimal:
        """What one replica-hour costs (its lines are shared and never change: summed once)."""
        return sum((c.monthly_usd for c in self.hourly), Decimal(0))


def instance_hourly(ctx: Context, inst: InstanceSpec) -> tuple[PriceRef, Decimal, Purchase, str | None]:
    """On-demand price, the price actually paid under the workload's commitment, the purchase
    option actually charged (the line's label says it, so never one that was not applied), and why
    (``purchase.instance_rate``: a 3-year plan never costs more than a 1-year one)."""
    ref = ctx.price(inst.price_key)
    rate = instance_rate(ctx, inst)
    if not rate.discounted:
        return ref, ref.value, rate.purchase, rate.note
    return (
        ref,
        ref.value * rate.factor,
        rate.purchase,
        f"{rate.note}: on-demand ${ref.value}/h (catalog {inst.type})",
    )


@dataclass(frozen=True)
class ServingTargets:
    """What a workload asks of each request (all optional): p99 latency, p99 TTFT, mean TPOT, seconds."""

    latency_p99_s: float | None = None
    ttft_s: float | None = None
    tpot_s: float | None = None
    alb_timeout: bool = False  # latency_p99_s is the load balancer's idle timeout, not the user's target

    @property
    def any(self) -> bool:
        return any(t is not None for t in (self.latency_p99_s, self.ttft_s, self.tpot_s))


@dataclass(frozen=True)
class SizedServer:
    """One instance type sized for a workload: its fit, the request rate it sustains (all replicas),
    the mean and p99 latency a request sees at that rate."""

    fit: InstanceFit
    rps: float
    latency_s: float
    latency_p99_s: float
    unvalidated: tuple[str, ...] = ()


#: keyed by value (the catalog digest and region, never ``id()``): one entry per distinct model shape
_FIT_CACHE: Bounded[tuple, tuple[list[SizedServer], tuple[float, str] | None]] = Bounded(4096)


def _size_replica(
    setup: ServingSetup, targets: ServingTargets
) -> tuple[float, float, float] | tuple[None, float, float]:
    """(requests/s one replica sustains, mean latency, p99 latency) under the targets, by the serving
    model (``sizing/serving.py``): the highest Poisson arrival rate whose p99 latency, p99 TTFT and
    mean TPOT meet them; without targets the replica's capacity (every batch slot busy; the fleet's
    target utilisation leaves the headroom). (None, best p99 latency, best p99 latency) when even a
    trickle misses the targets."""
    if targets.any:
        rate = max_rate(
            setup,
            max_ttft_s=targets.ttft_s,
            max_tpot_s=targets.tpot_s,
            max_latency_p99_s=targets.latency_p99_s,
        )
        if rate <= 0:
            light = at_rate(setup, max_requests_per_s(setup) * LIGHT_LOAD)
            return None, light.latency_p99_s or math.inf, light.latency_p99_s or math.inf
        pt = at_rate(setup, rate)
        return rate, pt.request_latency_s, pt.latency_p99_s or pt.request_latency_s
    full = at_concurrency(setup, setup.batch_limit)
    return full.requests_per_s, full.request_latency_s, full.request_latency_s


def serving_fits(
    catalog: Catalog,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    prefix: str,
    input_tokens: int,
    output_tokens: int,
    targets: ServingTargets,
    measured_tps: float | None,
    training_s: float | None,
) -> tuple[list[SizedServer], tuple[float, str] | None]:
    """Every instance that holds the model (and meets the targets), each at its best split, plus the
    best p99 latency seen (for the blocker when none meets them).

    Per instance, the valid tensor-parallel degrees are tried smallest first, with count // degree
    independent replicas side by side, each sized by the serving model (``_size_replica``); the first
    that holds the model and meets the targets wins. So a model that fits one GPU runs as independent
    replicas, and tensor parallelism is used only to fit the model or to meet a target one GPU
    cannot (LambdaLabs' vLLM benchmark, LambdaLabsML/vllm-benchmark ``benchmark_v0.md`` @0e8fc5d:
    "data parallelism outperforms tensor parallelism when the model fits"). Single-GPU instances are
    always candidates. Neuron parts run the neuron engine (compiled batch),
    GPUs vLLM.

    Independent of volume and prices, so it is cached: an inventory of thousands of workloads
    sizes each distinct model shape once. The key holds the catalog's digest and region.
    """
    key = (
        catalog.digest,
        catalog.region,
        arch,
        precision,
        context_tokens,
        prefix,
        input_tokens,
        output_tokens,
        targets,
        measured_tps,
        training_s,
    )

    def compute() -> tuple[list[SizedServer], tuple[float, str] | None]:
        training = training_s is not None
        out: list[SizedServer] = []
        best_latency: tuple[float, str] | None = None
        avg = max(1, input_tokens + output_tokens)
        for inst in catalog.priced_instances(prefix):
            if not inst.accelerator or not inst.accelerator_count:
                continue
            if (inst.accelerator == "Trainium" and not training) or (
                inst.accelerator == "Inferentia2" and training
            ):
                continue  # Trainium trains, Inferentia2 serves (AWS Neuron docs)
            if training:
                fit = fit_on(
                    catalog, inst, arch, precision, context_tokens, 1, avg, input_tokens=input_tokens
                )
                if fit is None or not fit.fits:
                    continue
                need = fit.footprint.weights_gb * TRAINING_MEMORY_FACTOR + fit.footprint.overhead_gb
                if need > inst.total_accelerator_memory_gb * 0.9:
                    continue
                assert training_s is not None  # training is training_s is not None
                out.append(SizedServer(fit, 1.0 / training_s, training_s, training_s))
                continue
            sized = _size_instance(catalog, inst, arch, precision, context_tokens, input_tokens, output_tokens,
                                   avg, targets, measured_tps)  # fmt: skip
            if sized is None:
                continue
            server, p99 = sized
            if best_latency is None or p99 < best_latency[0]:
                best_latency = (p99, inst.type)
            if server is not None:
                out.append(server)
        return out, best_latency

    return _FIT_CACHE.get(key, compute)


def _size_instance(
    catalog: Catalog,
    inst: InstanceSpec,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    input_tokens: int,
    output_tokens: int,
    avg: int,
    targets: ServingTargets,
    measured_tps: float | None,
) -> tuple[SizedServer | None, float] | None:
    """The best split of one instance (``serving_fits``) and the best p99 latency it can give; None
    when the model does not fit it at all."""
    accel = catalog.accelerators[inst.accelerator]  # type: ignore[index]
    engine = "neuron" if accel.name in NEURON else "vllm"
    link = interconnect_for(accel, inst.family)
    best: tuple[float, int, float, float, int] | None = None  # (rps, tp, mean, p99, batch limit)
    best_p99 = math.inf
    fits_on: int | None = None  # the fewest devices that hold the model
    in_flight = 1
    for tp in tensor_parallel_degrees(arch, accel.name, inst.accelerator_count):
        usable = inst.accelerator_memory_gb * tp * USABLE_MEMORY_FRACTION
        kv = max_batch(arch, precision, usable, context_tokens, 1_000_000, avg, tp)
        if kv < 1:
            continue
        fits_on = fits_on or tp
        setup = ServingSetup(arch, precision, accel, tp, input_tokens, output_tokens, kv, engine, link)
        rate, mean, p99 = _size_replica(setup, targets)
        best_p99 = min(best_p99, p99)
        if rate is None:
            continue
        # the smallest degree that fits and meets the targets: independent replicas before TP
        best = (rate * (inst.accelerator_count // tp), tp, mean, p99, setup.batch_limit)
        in_flight = max(1, round(rate * mean))  # requests in flight per copy (Little's law)
        break
    if best is None:
        return (None, best_p99) if best_p99 < math.inf else None
    rps, tp, mean, p99, limit = best
    fit = fit_on(catalog, inst, arch, precision, context_tokens, limit, avg, tensor_parallel=tp,
                 input_tokens=input_tokens)  # fmt: skip
    assert fit is not None and fit.fits
    if measured_tps is not None:
        rps = requests_per_second(fit, input_tokens, output_tokens, measured_tokens_per_s=measured_tps)
        mean = p99 = latency_s(fit, input_tokens, output_tokens, measured_tokens_per_s=measured_tps)
        unvalidated: tuple[str, ...] = ()  # the user's own measurement, not the serving model
    else:
        # the same labels as `size` (sizing/validity.py) for this copy's devices and load
        assert fits_on is not None  # best is set only after a degree that holds the model
        unvalidated = tuple(unvalidated_reasons(arch, precision, accel.name, tp, fits_on, in_flight, engine))
    return SizedServer(fit, rps, mean, p99, unvalidated), p99


#: Candidate servers fully simulated per option; the rest are ranked out by a closed-form estimate.
SHORTLIST = 3


def shortlist(ctx: Context, candidates: list, price_and_rate, *, batch: bool | None = None) -> list:
    """The ``SHORTLIST`` candidates with the lowest closed-form monthly cost (hourly price x the
    replicas the peak needs all month, or x the work-hours of a batch), cheapest first.

    Only these are simulated and itemised: an inventory of thousands of workloads would otherwise
    simulate every instance type for every workload. ``batch``: as ``cheapest_fleet``.
    """

    batch = is_batch(ctx) if batch is None else batch
    volume = ctx.usage.requests_per_month
    peak = ctx.usage.peak_rps
    utilisation = ctx.prefs.target_utilisation

    def estimate(c) -> float:
        paid, rps = price_and_rate(c)
        if rps <= 0:
            return math.inf
        if batch:
            hours = volume / rps / 3600
        else:
            hours = max(1, math.ceil(peak / (rps * utilisation))) * HOURS_PER_MONTH
        return float(paid) * hours

    return sorted(candidates, key=estimate)[:SHORTLIST]


def gpu_replicas(ctx: Context, prefix: str, *, batch: bool | None = None) -> list[Replica]:
    """Every accelerator instance that holds the model, with its sustained request rate.

    Prices follow the workload's catalog and commitment; the sizing comes from ``serving_fits``.
    ``batch``: as ``cheapest_fleet`` (the shortlist ranks work-hours or standing replicas).
    """
    u = ctx.usage
    m = u.model
    if m is None or m.arch is None:
        raise Infeasible(
            [
                fact_blocker(
                    "Self-hosting needs the model's weights",
                    "open weights only",
                    f"{m.label if m else 'a model'} is proprietary (API-only)",
                )
            ]
        )
    w = u.workload
    target_s = (w.p99_latency_ms / 1000) if w.p99_latency_ms else None
    targets = ServingTargets(
        target_s,
        w.ttft_ms / 1000 if w.ttft_ms else None,
        w.tpot_ms / 1000 if w.tpot_ms else None,
    )
    if not targets.any and w.trigger == "api" and not is_batch(ctx):
        # no target given: an API request must still finish within the load balancer's idle timeout
        # (the budget the fleet simulation holds it to), so do not size a server past it
        targets = ServingTargets(latency_p99_s=behaviour.value("alb/idle-timeout-s"), alb_timeout=True)
    training = u.workload.role == "fine-tuning"
    sizing = (
        m.arch,
        m.precision,
        m.context_tokens,
        prefix,
        u.input_tokens,
        u.output_tokens,
        targets,
        u.workload.measured_tokens_per_s,
        u.duration_s if training else None,
    )
    candidates, best_latency = ctx.shared(
        ("gpu-replicas", *sizing, *memo_key(ctx)), lambda: _gpu_candidates(ctx, sizing)
    )
    if u.service_time_from_duration and not training:
        candidates = ctx.shared(
            ("gpu-replicas-by-duration", *sizing, u.duration_s, u.batch_per_replica, *memo_key(ctx)),
            lambda: _by_duration(candidates, u.duration_s, u.batch_per_replica),
        )
    out = [r for r, _ in shortlist(ctx, candidates, lambda c: (c[1], c[0].per_replica_rps), batch=batch)]
    if not out:
        if best_latency is not None and targets.any:
            named = ", ".join(
                f"{name} {v * 1000:,.0f} ms"
                for name, v in (
                    (
                        "load balancer idle timeout (no p99_latency_ms given)"
                        if targets.alb_timeout
                        else "p99_latency_ms",
                        targets.latency_p99_s,
                    ),
                    ("ttft_ms", targets.ttft_s),
                    ("tpot_ms", targets.tpot_s),
                )
                if v is not None
            )
            raise Infeasible(
                [
                    Blocker(
                        limit="load balancer idle timeout for an API request (no p99_latency_ms given)"
                        if targets.alb_timeout
                        else "latency targets (p99_latency_ms, ttft_ms, tpot_ms)",
                        value=named,
                        workload_needs=f"at least {best_latency[0] * 1000:,.0f} ms p99 per request at light load "
                        f"on {best_latency[1]} (serving model, docs/sizing.md)",
                    )
                ]
            )
        biggest = max(
            ctx.catalog.priced_instances(prefix), key=lambda i: i.total_accelerator_memory_gb, default=None
        )
        need = m.footprint.total_gb if m.footprint else 0
        if training and m.footprint:
            need = m.footprint.weights_gb * TRAINING_MEMORY_FACTOR + m.footprint.overhead_gb
        raise Infeasible(
            [
                Blocker(
                    limit=f"largest accelerator memory on one {'SageMaker' if prefix else 'EC2'} instance",
                    value=f"{biggest.total_accelerator_memory_gb:g} GB ({biggest.type})"
                    if biggest
                    else "none",
                    workload_needs=f"{need:,.1f} GB for {m.label} at {m.precision}"
                    + (
                        f" with {m.context_tokens:,}-token context" if not training else " (LoRA fine-tuning)"
                    ),
                )
            ]
        )
    return out


def _by_duration(
    candidates: list[tuple[Replica, float]], duration_s: float, batch_per_replica: int
) -> list[tuple[Replica, float]]:
    """Rule 'time on a replica': when tokens cannot give a replica's throughput (a model that
    generates no tokens, or no token counts given), each copy of the model on an instance serves
    ``batch_per_replica`` requests at once for ``duration_s`` each: GPU-hours >= requests x duration /
    batch. The duration was measured on a GPU, so Neuron accelerators (Inferentia2, Trainium), whose
    speed it does not tell and which need a compiled model, are left out."""
    out = []
    for r, paid in candidates:
        fit = r.fit
        if fit is None or fit.instance.accelerator in ("Inferentia2", "Trainium"):
            continue
        rps = fit.replicas * batch_per_replica / duration_s
        note = (
            f"{fit.replicas} cop{'y' if fit.replicas == 1 else 'ies'} of the model x {batch_per_replica} request(s) "
            f"at once (batch_per_replica) / {duration_s:g} s each (duration_s is the service time: no token "
            "counts to derive it from)"
        )
        out.append(
            (
                Replica(
                    r.label,
                    r.hourly,
                    rps,
                    r.instance,
                    fit,
                    duration_s,
                    note,
                    unvalidated=r.unvalidated,
                    vcpu=r.vcpu,
                    memory_gb=r.memory_gb,
                ),
                paid,
            )
        )
    return out


def duration_disagreement(ctx: Context, replica: Replica) -> list[str]:
    """A stated duration_s checked against the latency sized from tokens (generative models with
    token counts: the sized latency is the service time)."""
    u = ctx.usage
    if not u.duration_given or u.service_time_from_duration or not replica.latency_s or replica.fit is None:
        return []
    ratio = u.duration_s / replica.latency_s
    if 1 / DURATION_DISAGREEMENT <= ratio <= DURATION_DISAGREEMENT:
        return []
    return [
        f"duration_s {u.duration_s:g} s disagrees with the {replica.latency_s:.3g} s sized on {replica.label} for "
        f"{u.input_tokens:,} input + {u.output_tokens:,} output tokens: the sized latency is used; check the "
        "token counts or give measured_tokens_per_s"
    ]


def _gpu_candidates(
    ctx: Context, sizing: tuple
) -> tuple[list[tuple[Replica, float]], tuple[float, str] | None]:
    """[(replica, hourly price paid)] of every instance ``serving_fits`` finds for ``sizing``, and the
    best latency seen: the same for every workload of one model shape in one ``recommend`` call, so
    shared (``Context.memo``); only the shortlist depends on the workload's volume."""
    fits, best_latency = serving_fits(ctx.catalog, *sizing)
    out = []
    for server in fits:
        inst = server.fit.instance
        _ref, paid, _purchase, note = instance_hourly(ctx, inst)
        replica = Replica(
            inst.type,
            [instance_hour(ctx, inst)],
            server.rps,
            inst,
            server.fit,
            server.latency_s,
            note,
            latency_p99_s=server.latency_p99_s,
            unvalidated=server.unvalidated,
            vcpu=inst.vcpu,
            memory_gb=inst.memory_gib,
        )
        out.append((replica, float(paid)))
    return out, best_latency


def in_flight_per_replica(ctx: Context, vcpu: float, memory_gb: float) -> tuple[float, str]:
    """Requests one CPU server holds at once, and why (rule 'containers for code').

    A model on CPU is CPU-bound: one request per vCPU. Code holds as many requests as its vCPUs
    (each request keeps active_compute_s / duration_s of a vCPU busy) and its memory (memory_gb each)
    allow, whichever is fewer: a container holding a long wait pays for the memory of every request
    in flight.
    """
    u = ctx.usage
    if ctx.is_model_layer:
        return vcpu, f"CPU-bound: {vcpu:g} vCPU, one request each"
    share = min(1.0, u.active_compute_s / u.duration_s)
    by_cpu = vcpu / share
    by_memory = memory_gb / u.memory_gb
    cpu_why = f"{vcpu:g} vCPU / {share:.3g} vCPU per request ({u.active_compute_s:g} s active of {u.duration_s:g} s)"
    mem_why = f"{memory_gb:g} GB / {u.memory_gb:g} GB per request (memory_gb)"
    if by_memory < by_cpu:
        return (
            by_memory,
            f"memory-bound: {mem_why} = {by_memory:,.3g} in flight (CPU would allow {by_cpu:,.3g})",
        )
    return by_cpu, f"CPU-bound: {cpu_why} = {by_cpu:,.3g} in flight (memory would allow {by_memory:,.3g})"


def cpu_replica_rate(ctx: Context, vcpu: float, memory_gb: float) -> tuple[float, str]:
    """Requests/s one CPU server sustains (Little's law: in flight / duration), and why."""
    n, why = in_flight_per_replica(ctx, vcpu, memory_gb)
    return n / ctx.usage.duration_s, f"{why}, {ctx.usage.duration_s:g} s per request"


def instance_hour(ctx: Context, inst: InstanceSpec) -> CostComponent:
    """The invoice line of one instance-hour at the file's commitment (shared: ``Context.memo``)."""

    def compute() -> CostComponent:
        ref, paid, purchase, note = instance_hourly(ctx, inst)
        return line(
            f"Instance usage ({purchase}, {inst.type})",
            ref,
            1,
            unit_price=paid,
            note=note,
            driver="time",
            purchase=purchase,
        )

    return ctx.shared(("instance-hour", inst.type, *memo_key(ctx)), compute)


def priced_cpu_instances(
    ctx: Context, need_gb: float, prefix: str = ""
) -> list[tuple[InstanceSpec, Decimal]]:
    """CPU instances (EC2, or SageMaker with ``prefix`` 'ml.') whose memory (90 % usable) holds
    ``need_gb``, with the hourly price paid (shared: ``Context.memo``). On EC2 the workload's ``arch``
    picks the architectures (auto: x86_64 and Graviton both, the cheaper fleet wins); SageMaker's CPU
    instances run the container SageMaker hosts, whatever the code's architecture."""
    archs = cpu_arches(ctx, prefix)

    def compute() -> list[tuple[InstanceSpec, Decimal]]:
        return [
            (inst, instance_hourly(ctx, inst)[1])
            for inst in ctx.catalog.priced_instances(prefix)
            if not inst.accelerator_count and inst.memory_gib * 0.9 >= need_gb and inst.arch in archs
        ]

    return ctx.shared(("cpu-instances", need_gb, prefix, archs, *memo_key(ctx)), compute)


def cpu_arches(ctx: Context, prefix: str = "") -> tuple[str, ...]:
    """The CPU architectures an EC2 candidate may have: the workload's ``arch``, both for auto."""
    want = ctx.workload.arch
    if prefix or want == "auto":
        return ("x86_64", "arm64")
    return (want,)


def cpu_instance_replicas(ctx: Context, prefix: str = "", *, batch: bool | None = None) -> list[Replica]:
    """General-purpose (CPU) instances that hold the workload's memory (EC2, or SageMaker ml.*);
    ``batch`` as ``cheapest_fleet``."""
    u = ctx.usage
    need_gb = u.memory_gb
    candidates = ctx.shared(
        (
            "cpu-replicas",
            need_gb,
            ctx.is_model_layer,
            u.duration_s,
            u.active_compute_s,
            prefix,
            cpu_arches(ctx, prefix),
            *memo_key(ctx),
        ),
        lambda: _cpu_candidates(ctx, need_gb, prefix),
    )
    out = [r for r, _ in shortlist(ctx, candidates, lambda c: (c[1], c[0].per_replica_rps), batch=batch)]
    if not out:
        archs = cpu_arches(ctx, prefix)
        largest = max(
            (
                i.memory_gib
                for i in ctx.catalog.priced_instances(prefix)
                if not i.accelerator_count and i.arch in archs
            ),
            default=0,
        )
        pinned = f"{archs[0]} " if len(archs) == 1 else ""
        raise Infeasible(
            [
                Blocker(
                    limit=f"largest {pinned}CPU {'SageMaker ' if prefix else ''}instance in the catalog"
                    + (f" (arch: {archs[0]})" if pinned else ""),
                    value=f"{largest:g} GiB",
                    workload_needs=f"{need_gb:g} GB",
                )
            ]
        )
    return out


def _cpu_candidates(ctx: Context, need_gb: float, prefix: str = "") -> list[tuple[Replica, float]]:
    """[(replica, hourly price paid)] of the CPU instances that hold ``need_gb``: the same for every
    workload of one layer kind and request duration, so shared (``Context.memo``)."""
    u = ctx.usage
    out = []
    for inst, paid in priced_cpu_instances(ctx, need_gb, prefix):
        rps, why = cpu_replica_rate(ctx, inst.vcpu, inst.memory_gib * 0.9)
        replica = Replica(
            inst.type,
            [instance_hour(ctx, inst)],
            rps,
            inst,
            None,
            u.duration_s,
            why,
            vcpu=inst.vcpu,
            memory_gb=inst.memory_gib,
        )
        out.append((replica, float(paid)))
    return out


def fleet_lines(ctx: Context, replica: Replica, fleet: FleetResult) -> list[CostComponent]:
    """Scale one replica-hour's lines to the fleet's replica-hours."""
    hours = money(round(fleet.replica_hours, 6))
    scales_with = ["volume"] if fleet.batch else []
    out = []
    for c in replica.hourly:
        q = c.quantity * hours
        out.append(
            construct(
                CostComponent,
                **{
                    **c.__dict__,
                    "quantity": q,
                    "monthly_usd": amount(q * c.unit_price_usd),
                    "scales_with": list(scales_with),
                },
            )
        )
    return out


def cheapest_fleet(
    ctx: Context, replicas: list[Replica], scale_out_s: float, min_replicas: int, *, batch: bool | None = None
) -> tuple[Replica, FleetResult]:
    """The replica type whose fleet costs least for this traffic. ``batch``: the work runs as jobs
    billed for their work-hours (default: ``is_batch``); False for a platform that keeps its
    replicas standing whatever the work (a SageMaker real-time endpoint).

    A candidate whose ``min_replicas`` alone, kept all month, already costs at least the cheapest
    fleet found so far cannot be cheaper (ties keep the first), so its fleet is not simulated: an
    autoscaled fleet never bills fewer than ``min_replicas`` replicas in any minute (whole replicas,
    summed exactly), so its replica-hours are at least ``min_replicas`` x 730, and prices are never
    negative (price overrides are validated >= 0). The shortlist puts the likely winner first, so most
    others are ruled out this way.
    """
    batch = is_batch(ctx) if batch is None else batch
    floor_hours = Decimal(0 if batch else max(0, min_replicas) * HOURS_PER_MONTH)
    best: tuple[Decimal, Replica, FleetResult] | None = None
    for r in replicas:
        if best is not None and r.hourly_usd * floor_hours >= best[0]:
            continue
        fleet = replica_fleet(
            ctx.usage,
            r.per_replica_rps,
            scale_out_s,
            min_replicas,
            ctx.prefs.target_utilisation,
            batch=batch,
            # a GPU server's request takes what the serving model sized, not the workload's default
            service_s=r.latency_s if r.fit is not None else None,
            service_p99_s=r.latency_p99_s if r.fit is not None else None,
        )
        cost = r.hourly_usd * money(round(fleet.replica_hours, 6))
        if best is None or cost < best[0]:
            best = (cost, r, fleet)
    assert best is not None
    return best[1], best[2]


def fleet_notes(ctx: Context, replica: Replica, fleet: FleetResult) -> list[str]:
    u = ctx.usage
    notes = []
    if replica.fit is not None and u.service_time_from_duration and replica.note:
        notes.append(
            f"{replica.label}: {replica.note} = {replica.per_replica_rps:,.3g} requests/s per instance"
        )
    elif replica.fit is not None:
        f = replica.fit
        notes.append(
            f"{replica.label}: {f.replicas} cop{'y' if f.replicas == 1 else 'ies'} of {u.model.label if u.model else 'the model'}, "
            f"each on {f.tensor_parallel} x {f.instance.accelerator} (tensor parallel {f.tensor_parallel}; "
            f"{f.footprint.weights_gb:.1f} GB weights); up to {f.batch} sequences in all; "
            f"{replica.per_replica_rps:,.3g} requests/s = ~{replica.per_replica_rps * u.output_tokens:,.0f} "
            f"output tokens/s per instance"
            + (
                f" at p99 {replica.latency_p99_s:,.2f} s, mean {replica.latency_s:,.2f} s per request"
                if replica.latency_p99_s and replica.latency_s
                else ""
            )
            + f" ({'your measured figure' if u.workload.measured_tokens_per_s else 'serving model, docs/sizing.md'})"
        )
        if replica.unvalidated:
            notes.append(
                f"{replica.label}: serving model unvalidated here: {'; '.join(replica.unvalidated)} "
                "(its requests/s and latency are a prediction outside the published measurements, docs/sizing.md)"
            )
    elif replica.note:
        notes.append(
            f"{replica.label}: {replica.note} = {replica.per_replica_rps:,.3g} requests/s per replica"
        )
    if fleet.batch:
        notes.append(f"batch work: {fleet.replica_hours:,.1f} instance-hours of work ({fleet.method})")
    else:
        notes.append(
            f"{fleet.peak_replicas} replica(s) at peak ({u.peak_rps:,.3g} requests/s at {ctx.prefs.target_utilisation:.0%} "
            f"target utilisation); {fleet.replica_hours:,.0f} replica-hours a month, mean utilisation "
            f"{fleet.utilisation:.0%}, {fleet.idle_replica_hours:,.0f} idle replica-hours ({fleet.method})"
        )
    return notes


def fleet_facts(
    replica: Replica,
    fleet: FleetResult,
    scale_out_s: float,
    min_replicas: int,
    spot_discount_pct: float | None,
) -> FleetFacts:
    return FleetFacts(
        per_replica_rps=replica.per_replica_rps,
        min_replicas=min_replicas,
        hourly_usd=float(replica.hourly_usd),
        spot_discount_pct=spot_discount_pct,
        replica_hours=fleet.replica_hours,
        peak_replicas=fleet.peak_replicas,
        utilisation=fleet.utilisation,
        idle_replica_hours=fleet.idle_replica_hours,
        idle_cost_usd=float(replica.hourly_usd) * fleet.idle_replica_hours,
        scale_out_s=scale_out_s,
        warm_floor=fleet.warm_floor,
        method=fleet.method,
        queued_requests=fleet.queued_requests,
        throttled_requests=fleet.throttled_requests,
    )


def always_on_hours() -> Decimal:
    return Decimal(HOURS_PER_MONTH)


def instances_count(fleet: FleetResult) -> float:
    return round(fleet.replica_hours / HOURS_PER_MONTH, 3) if fleet.replica_hours else 0.0


#: One ALB LCU covers 25 new connections per second (https://aws.amazon.com/elasticloadbalancing/pricing/);
#: we assume one new connection per request, the conservative case.
NEW_CONNECTIONS_PER_LCU = 25


def load_balancer_lines(ctx: Context) -> list[CostComponent]:
    """The front door of an API-triggered fleet (``front_door``; auto: an Application Load Balancer),
    the same lines for every fleet of one workload layer (the ALB's hourly line is the same for
    every workload: shared). ``none``/``function-url``: no front door priced."""
    if ctx.workload.trigger != "api" or is_batch(ctx):
        return []
    door = ctx.workload.front_door
    if door in ("auto", "alb"):
        return ctx.per_layer(("alb",), lambda: _load_balancer_lines(ctx))
    if door.startswith("api-gateway"):
        return api_gateway_lines(ctx, door)
    return []


#: API Gateway price keys by front door (https://aws.amazon.com/api-gateway/pricing/, tiered per month).
API_GATEWAY = {
    "api-gateway-http": ("apigateway/http-requests", "HTTP API"),
    "api-gateway-rest": ("apigateway/rest-requests", "REST API"),
}


def api_gateway_lines(ctx: Context, door: str) -> list[CostComponent]:
    """API Gateway requests at their monthly tiers: every request of the month comes through it
    (HTTP API us-east-1: $1.00 per million for the first 300M, $0.90 after)."""
    key, kind = API_GATEWAY[door]
    millions = Decimal(str(ctx.usage.requests_per_month)) / MILLION
    return tiered_lines(
        "API Gateway requests",
        kind,
        ctx.price(key),
        millions,
        "M requests",
        scales_with=["volume"],
        driver="volume",
        purchase="on-demand",
        note=f"{ctx.usage.requests_per_month:,.0f} requests a month (front_door: {ctx.workload.front_door})",
    )


def _load_balancer_lines(ctx: Context) -> list[CostComponent]:
    lcus = max(Decimal(1), money(ctx.usage.mean_rps) / NEW_CONNECTIONS_PER_LCU)
    hours = always_on_hours()
    return [
        ctx.shared(
            ("alb-hours",),
            lambda: line(
                "Application load balancer",
                ctx.price("alb/hours"),
                hours,
                driver="fixed",  # one load balancer, all month, whatever the traffic
                purchase="on-demand",
            ),
        ),
        line(
            "Load balancer capacity units",
            ctx.price("alb/lcu"),
            hours * lcus.quantize(Decimal("0.001")),
            scales_with=["volume"],
            driver="volume",
            purchase="on-demand",
            note=f"max(1, {ctx.usage.mean_rps:,.3g} requests/s / {NEW_CONNECTIONS_PER_LCU} new connections per LCU)",
        ),
    ]
