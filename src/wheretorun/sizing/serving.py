"""Serving under load: throughput, TTFT, time per output token and latency percentiles of one replica.

The roofline (``throughput.py``) prices one decode step and one prefill. This module turns them into
what a user of a loaded server sees, for one replica of (model, precision, accelerator, TP, engine):

* **Closed loop at a concurrency** C (benchmark clients that each send the next request when the
  previous one finishes; llmperf, ``benchmark_serving --max-concurrency``): the engine runs
  B = min(C, what the KV cache holds, the engine's batch limit) sequences; C - B wait in its queue.
  With continuous batching the replica completes B requests per *cycle* = B x prefill + O x step(B)
  (``serving_cycle_s``): every arriving prompt's prefill pauses everyone's decode (prefill
  interference), so the time per output token a request sees is its share of the cycle, not the bare
  step. Throughput X = B / cycle; by Little's law a request spends B / X = cycle in service.
* **Open loop at an arrival rate** lambda (Poisson arrivals): the mean number in service b solves
  b = lambda x cycle(b); beyond B_max the replica is saturated. Waiting for a batch slot is an M/G/c
  queue with c = B_max slots of service time cycle(b) (Erlang C, exponential tail for percentiles).
  p50/p99 in-service latency use the Poisson quantiles of the number in service; p99 TTFT adds the
  Poisson quantile of prompts arriving within one prefill (a burst of prompts queues behind each other).

Every engine adds a per-request overhead (HTTP, tokenising: a TTFT floor) and a per-step overhead;
a Neuron deployment is compiled for one batch and one sequence length, so every step costs that batch
at that length (``EngineEfficiency.compiled_batch``) and it holds no more sequences than that.
Factors: ``data/efficiency.yml``; calibration and error per source: docs/sizing.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.models import AcceleratorSpec
from .efficiency import EfficiencyFile, load_efficiency
from .memory import Architecture
from .throughput import DEFAULT_ENGINE, decode_step, prefill_s

#: Percentile reported as the tail (``latency_p99_s``, ``ttft_p99_s``).
TAIL = 0.99


@dataclass(frozen=True)
class ServingSetup:
    """One replica: the model on ``tensor_parallel`` accelerators under ``engine``, serving requests
    of ``input_tokens`` -> ``output_tokens``; ``kv_batch`` is how many such sequences its KV cache
    holds (``placement.max_batch``)."""

    arch: Architecture
    precision: str
    accel: AcceleratorSpec
    tensor_parallel: int
    input_tokens: int
    output_tokens: int
    kv_batch: int
    engine: str = DEFAULT_ENGINE
    interconnect: str | None = None
    compiled_batch: int | None = None  # Neuron: the compiled batch (default: the engine's)
    compiled_sequence_tokens: int | None = None  # Neuron: the compiled length (default: the request's)
    through_api: bool = True  # False for an in-process benchmark: no per-request server overhead
    eff: EfficiencyFile | None = None

    @property
    def factors(self) -> EfficiencyFile:
        return self.eff or load_efficiency()

    @property
    def batch_limit(self) -> int:
        """Most sequences decoding at once: the KV cache, the engine's limit, a compiled batch."""
        g = self.factors.engines[self.engine]  # type: ignore[index]
        limit = min(max(1, self.kv_batch), g.max_num_seqs)
        compiled = self.compiled
        return min(limit, compiled) if compiled else limit

    @property
    def compiled(self) -> int | None:
        """The compiled batch of a Neuron deployment; None for engines that batch dynamically."""
        g = self.factors.engines[self.engine]  # type: ignore[index]
        return (self.compiled_batch or g.compiled_batch) if g.compiled_batch else None

    @property
    def request_overhead_s(self) -> float:
        if not self.through_api:
            return 0.0
        return self.factors.engines[self.engine].request_overhead_s  # type: ignore[index]

    def prefill_s(self) -> float:
        return prefill_s(
            self.arch,
            self.precision,
            self.accel,
            self.tensor_parallel,
            self.input_tokens,
            self.interconnect,
            self.eff,
            self.engine,
        )

    def step_s(self, batch: float) -> float:
        """One decode step with ``batch`` sequences (a compiled Neuron graph always runs its batch at
        its compiled length)."""
        b = max(1, math.ceil(batch))
        kv = self.input_tokens + self.output_tokens // 2
        if self.compiled:
            b = self.compiled
            kv = self.compiled_sequence_tokens or (self.input_tokens + self.output_tokens)
        return decode_step(
            self.arch,
            self.precision,
            self.accel,
            self.tensor_parallel,
            b,
            kv,
            self.interconnect,
            self.eff,
            self.engine,
        )[0]

    def cycle_s(self, batch: float) -> float:
        """Time in which ``batch`` sequences in service complete ``batch`` requests (module doc)."""
        return batch * self.prefill_s() + self.output_tokens * self.step_s(batch)


@dataclass(frozen=True)
class ServingPoint:
    """What one replica delivers at a concurrency (closed loop) or an arrival rate (open loop).

    Times in seconds; ``output_tokens_per_s`` end to end (prefill included), summed over requests.
    Percentile fields are set for an arrival rate only.
    """

    concurrency: float  # requests in flight (in the engine and its queue)
    batch: float  # sequences decoding together (mean, for a rate)
    requests_per_s: float
    output_tokens_per_s: float
    ttft_s: float
    tpot_s: float
    request_latency_s: float
    queue_s: float
    saturated: bool
    latency_p50_s: float | None = None
    latency_p99_s: float | None = None
    ttft_p99_s: float | None = None


def _tpot(latency: float, ttft: float, output_tokens: int) -> float:
    return (latency - ttft) / (output_tokens - 1) if output_tokens > 1 else 0.0


def _ttft_in_service(s: ServingSetup, batch: float, prompts_ahead: float) -> float:
    """Request overhead, half a decode step already under way, then ``prompts_ahead`` other prompts'
    prefills and its own."""
    return s.request_overhead_s + s.step_s(batch) / 2 + s.prefill_s() * (1 + prompts_ahead)


def at_concurrency(s: ServingSetup, concurrency: int) -> ServingPoint:
    """Closed loop: ``concurrency`` clients each with one request in flight (module doc)."""
    c = max(1, concurrency)
    b = min(c, s.batch_limit)
    p = s.prefill_s()
    cycle = s.cycle_s(b)
    x = b / cycle
    queue = (c - b) / x
    # prompts arriving while this one's prefill waits: arrivals at rate x during one prefill
    ttft = queue + _ttft_in_service(s, b, x * p * (b - 1) / b)
    latency = s.request_overhead_s + queue + cycle
    return ServingPoint(
        concurrency=c,
        batch=b,
        requests_per_s=x,
        output_tokens_per_s=x * s.output_tokens,
        ttft_s=ttft,
        tpot_s=_tpot(latency, ttft, s.output_tokens),
        request_latency_s=latency,
        queue_s=queue,
        saturated=c >= s.batch_limit,
    )


def max_requests_per_s(s: ServingSetup) -> float:
    """The replica's capacity: completions per second with every batch slot busy."""
    b = s.batch_limit
    return b / s.cycle_s(b)


def _erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with ``load`` = lambda x service time
    (Erlang B by its stable recursion, then C = B / (1 - rho (1 - B)))."""
    if load <= 0:
        return 0.0
    rho = load / servers
    if rho >= 1:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b / (1 - rho * (1 - b))


def poisson_quantile(q: float, mean: float) -> int:
    """Smallest k with P(N <= k) >= q for N ~ Poisson(mean) (summed terms; means here are small)."""
    if mean <= 0:
        return 0
    if mean > 500:  # normal approximation keeps the loop short
        return math.ceil(mean + 2.3263 * math.sqrt(mean)) if q >= 0.99 else round(mean)
    term = math.exp(-mean)
    total = term
    k = 0
    while total < q:
        k += 1
        term *= mean / k
        total += term
    return k


def at_rate(s: ServingSetup, rate: float) -> ServingPoint:
    """Open loop: Poisson arrivals at ``rate`` per second to one replica (module doc). At or above
    the replica's capacity the result is ``saturated`` with infinite latencies."""
    bmax = s.batch_limit
    cap = max_requests_per_s(s)
    if rate >= cap:
        inf = math.inf
        return ServingPoint(inf, bmax, cap, cap * s.output_tokens, inf, inf, inf, inf, True, inf, inf, inf)
    # mean in service b solves b = rate x cycle(b): bisection (cycle grows with b)
    lo, hi = 0.0, float(bmax)
    for _ in range(60):
        mid = (lo + hi) / 2
        if mid - rate * s.cycle_s(mid) < 0:
            lo = mid
        else:
            hi = mid
    b = max(hi, 1e-9)
    service = s.cycle_s(max(b, 1.0)) if b >= 1 else s.cycle_s(1.0)
    p = s.prefill_s()
    # waiting for a batch slot: M/G/c, c = bmax slots, each holding a request for `service`
    wait_prob = _erlang_c(bmax, rate * service)
    drain = bmax / service - rate
    queue_mean = wait_prob / drain if drain > 0 else math.inf

    def queue_q(q: float) -> float:
        return math.log(wait_prob / (1 - q)) / drain if wait_prob > 1 - q else 0.0

    b50 = min(bmax, max(1, poisson_quantile(0.5, b)))
    b99 = min(bmax, max(1, poisson_quantile(TAIL, b)))
    ttft = queue_mean + _ttft_in_service(s, max(b, 1.0), rate * p)
    latency = s.request_overhead_s + queue_mean + service
    return ServingPoint(
        concurrency=rate * latency,
        batch=b,
        requests_per_s=rate,
        output_tokens_per_s=rate * s.output_tokens,
        ttft_s=ttft,
        tpot_s=_tpot(latency, ttft, s.output_tokens),
        request_latency_s=latency,
        queue_s=queue_mean,
        saturated=False,
        latency_p50_s=s.request_overhead_s + queue_q(0.5) + s.cycle_s(b50),
        latency_p99_s=s.request_overhead_s + queue_q(TAIL) + s.cycle_s(b99),
        ttft_p99_s=queue_q(TAIL)
        + _ttft_in_service(s, b99, poisson_quantile(TAIL, rate * (p + s.step_s(b99)))),
    )


def max_concurrency(s: ServingSetup, max_ttft_s: float | None, max_tpot_s: float | None) -> int:
    """Most requests in flight (closed loop) whose mean TTFT and TPOT meet the targets; 0 if even one
    request misses them. Never beyond the batch limit: past it requests only queue."""
    best = 0
    for c in range(1, s.batch_limit + 1):
        pt = at_concurrency(s, c)
        if (max_ttft_s is not None and pt.ttft_s > max_ttft_s) or (
            max_tpot_s is not None and pt.tpot_s > max_tpot_s
        ):
            break
        best = c
    return best


def max_rate(
    s: ServingSetup,
    *,
    max_ttft_s: float | None = None,
    max_tpot_s: float | None = None,
    max_latency_p99_s: float | None = None,
) -> float:
    """Highest arrival rate (requests/s, one replica) at which p99 TTFT, mean TPOT and p99 latency
    meet the targets given; 0 when even a trickle misses them. Bisection: each gets worse with rate."""

    def ok(rate: float) -> bool:
        pt = at_rate(s, rate)
        return not (
            pt.saturated
            or (max_ttft_s is not None and (pt.ttft_p99_s or math.inf) > max_ttft_s)
            or (max_tpot_s is not None and pt.tpot_s > max_tpot_s)
            or (max_latency_p99_s is not None and (pt.latency_p99_s or math.inf) > max_latency_p99_s)
        )

    cap = max_requests_per_s(s)
    lo, hi = 0.0, cap
    if not ok(cap * 1e-6):
        return 0.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo
