"""GPU fleets in `recommend` are sized by the serving model (issue 14): what a user checks.

- a model that fits one GPU runs as independent replicas, not tensor parallel across a big box;
- single-GPU instances are candidates;
- the latency compared with ``p99_latency_ms`` is the p99 at the sized rate (not the mean);
- ``ttft_ms`` / ``tpot_ms`` targets constrain the rate, and an impossible one blocks with its name;
- the fleet simulation gets the service time the sizing found, not the workload's default duration.
"""

from __future__ import annotations

import pytest

import platform_cases
from wheretorun.platforms import PLATFORMS, Context, assess, selfhost
from wheretorun.sizing import architecture_from_card
from wheretorun.spec import load_workloads

CHAT = {
    "name": "chat",
    "role": "inference",
    "model": {"id": "llama-3.1-8b-instruct"},
    "requests_per_month": 300_000_000,
    "traffic": "steady",
    "input_tokens": 1500,
    "output_tokens": 300,
    "trigger": "api",
    "p99_latency_ms": 5000,
}


def context(workload: dict, layer: str = "model") -> Context:
    return platform_cases.context({"team": {"ops_capacity": "platform"}, "workloads": [workload]}, layer)


def fits_for(workload: dict, prefix: str = ""):  # type: ignore[no-untyped-def]
    ctx = context(workload)
    w = ctx.usage.workload
    m = ctx.usage.model
    targets = selfhost.ServingTargets(
        w.p99_latency_ms / 1000 if w.p99_latency_ms else None,
        w.ttft_ms / 1000 if w.ttft_ms else None,
        w.tpot_ms / 1000 if w.tpot_ms else None,
    )
    return selfhost.serving_fits(
        ctx.catalog, m.arch, m.precision, m.context_tokens, prefix,
        ctx.usage.input_tokens, ctx.usage.output_tokens, targets, None, None,
    )  # fmt: skip


def test_8b_at_300m_requests_runs_independent_replicas_not_tp8() -> None:
    opt = assess(PLATFORMS["ecs-ec2"], context(CHAT))
    assert opt.feasible
    note = next(n for n in opt.notes if "cop" in n)
    # the 8B model (16.1 GB) fits one GPU: every copy on 1 GPU, as many copies as the instance has GPUs
    assert "tensor parallel 1;" in note, note


def test_single_gpu_instances_are_candidates_and_each_instance_uses_tp1_for_8b() -> None:
    servers, _ = fits_for(CHAT)
    types = {s.fit.instance.type: s for s in servers}
    single = [t for t, s in types.items() if s.fit.instance.accelerator_count == 1]
    assert single, sorted(types)
    # H100 and H200 boxes of 8 GPUs: eight independent copies, not one copy at TP8
    for t in ("p5.48xlarge", "p5en.48xlarge"):
        if t in types:
            assert types[t].fit.tensor_parallel == 1 and types[t].fit.replicas == 8


def test_p99_not_mean_is_held_to_the_target() -> None:
    servers, _ = fits_for(CHAT)
    assert servers
    for s in servers:
        assert s.latency_p99_s <= 5.0 + 1e-6, s.fit.instance.type
        assert s.latency_s <= s.latency_p99_s * (1 + 1e-9)  # the mean is at most the p99 it is sized by


@pytest.mark.parametrize(
    ("extra", "tighter"),
    [({"ttft_ms": 300}, True), ({"tpot_ms": 15}, True), ({"ttft_ms": 600_000}, False)],
)
def test_ttft_and_tpot_targets_constrain_the_rate(extra: dict, tighter: bool) -> None:
    base = {k: v for k, v in CHAT.items() if k != "p99_latency_ms"}
    loose = {s.fit.instance.type: s.rps for s in fits_for(base)[0]}
    tight = {s.fit.instance.type: s.rps for s in fits_for({**base, **extra})[0]}
    common = set(loose) & set(tight)
    assert common
    if tighter:
        assert all(tight[t] <= loose[t] * (1 + 1e-9) for t in common)
        assert any(tight[t] < loose[t] * 0.99 for t in common) or len(tight) < len(loose)
    else:
        # a 10-minute TTFT binds only at the edge of saturation: within 5 % of the capacity
        assert all(tight[t] == pytest.approx(loose[t], rel=0.05) for t in common)


def test_an_impossible_tpot_blocks_naming_the_target() -> None:
    opt = assess(PLATFORMS["ecs-ec2"], context({**CHAT, "tpot_ms": 0.5}))
    assert not opt.feasible
    assert "tpot_ms" in " ".join(opt.blocked_by)


def test_the_fleet_simulation_uses_the_sized_service_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[float | None, float | None]] = []
    real = selfhost.replica_fleet

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((kwargs.get("service_s"), kwargs.get("service_p99_s")))
        return real(*args, **kwargs)

    monkeypatch.setattr(selfhost, "replica_fleet", spy)
    ctx = context(CHAT)
    replicas = selfhost.gpu_replicas(ctx, "")
    selfhost.cheapest_fleet(ctx, replicas, 300, 1)
    by_latency = {(r.latency_s, r.latency_p99_s) for r in replicas}
    assert seen and all(s in by_latency for s in seen)
    # not the workload's default duration (Bedrock's speed for the model)
    assert all(s[0] != pytest.approx(ctx.usage.duration_s) for s in seen)


def test_workload_accepts_latency_targets_and_rejects_bad_ones() -> None:
    wf = load_workloads({"workloads": [{**CHAT, "ttft_ms": 500, "tpot_ms": 40}]})
    assert wf.workloads[0].ttft_ms == 500 and wf.workloads[0].tpot_ms == 40
    with pytest.raises(Exception, match="ttft_ms"):
        load_workloads({"workloads": [{**CHAT, "ttft_ms": -1}]})


def test_architecture_of_the_case_fits_one_a10g() -> None:
    # 8.03e9 params x 2 B = 16.06 GB of weights < 0.9 x 24 GB: one GPU holds the model
    ctx = context(CHAT)
    arch = ctx.usage.model.arch
    assert arch == architecture_from_card(ctx.catalog.find_model("llama-3.1-8b"))  # type: ignore[arg-type]
    assert arch.weight_bytes("bf16") / 1e9 == pytest.approx(16.06)


@pytest.mark.parametrize(
    ("instance", "labelled"),
    [("g5.xlarge", False), ("g6.xlarge", True), ("g6e.xlarge", False), ("g4dn.12xlarge", True)],
)
def test_servers_carry_sizes_unvalidated_labels_at_their_load(instance: str, labelled: bool) -> None:
    """A server's labels are those `size` prints for the same accelerator, split and load: the
    measurements hold >= 3 loaded rows on A10G and L40S, fewer on L4, none on T4 (sizing/validity.py).
    The load is the requests in flight per copy at the sized rate (Little's law: rate x mean
    latency); g6.xlarge (1 x L4): ~0.4717 requests/s x ~31.80 s = 15 in flight."""
    from wheretorun.sizing.request import resolve_size_request

    base = {k: v for k, v in CHAT.items() if k != "p99_latency_ms"}  # only the ALB timeout binds
    server = next(s for s in fits_for(base)[0] if s.fit.instance.type == instance)
    copies = server.fit.replicas
    in_flight = max(1, round(server.rps / copies * server.latency_s))
    if instance == "g6.xlarge":
        assert in_flight == 15
    size = resolve_size_request(
        "llama-3.1-8b", None, "bf16", server.fit.instance.accelerator, server.fit.tensor_parallel,
        None, in_flight, 1500, 300,
    )  # fmt: skip
    assert server.unvalidated == size.best.unvalidated
    assert bool(server.unvalidated) is labelled, server.unvalidated


def test_an_int4_fleet_says_the_serving_model_is_unvalidated_there() -> None:
    opt = assess(
        PLATFORMS["ecs-ec2"], context({**CHAT, "model": {"id": "llama-3.1-8b-instruct", "precision": "int4"}})
    )
    assert opt.feasible
    notes = [n for n in opt.notes if "serving model unvalidated here" in n]
    assert len(notes) == 1, opt.notes
    assert "INT4: no measurements at this precision" in notes[0]


def test_no_unvalidated_note_on_the_users_measured_figure() -> None:
    # with the user's own tokens/s the figures are theirs, not the serving model's: nothing to label
    measured = assess(PLATFORMS["ecs-ec2"], context({**CHAT, "measured_tokens_per_s": 2000}))
    assert measured.feasible
    assert not [n for n in measured.notes if "unvalidated" in n], measured.notes
