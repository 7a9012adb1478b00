"""A latency target the chosen option cannot meet is said, not silently ignored: self-hosted fleets
are sized against p99_latency_ms and Lambda is priced with provisioned concurrency for it, but a
model behind an API (Bedrock) has no p99 of ours to size: its typical request time is the floor."""

from __future__ import annotations

import pytest

from wheretorun import load_workloads, recommend

# Llama 3.1 8B on Bedrock: 300 output tokens take ~5.3 s (0.3 s to first token + 300 at 60 tokens/s)
CHAT = {
    "name": "a",
    "role": "inference",
    "model": {"id": "llama-3.1-8b"},
    "requests_per_month": 100_000,
    "input_tokens": 500,
    "output_tokens": 300,
}


def answer(**fields):
    return recommend(load_workloads({"workloads": [{**CHAT, **fields}]}), file="<t>").workloads[0]


@pytest.mark.parametrize(
    ("target_ms", "warned"), [(100, True), (5_299, True), (5_300, False), (60_000, False)]
)
def test_a_target_below_the_typical_request_is_warned(target_ms: int, warned: bool) -> None:
    w = answer(p99_latency_ms=target_ms)
    assert w.recommendation.platform == "bedrock"
    said = [x for x in w.warnings if "cannot hold" in x]
    assert bool(said) is warned
    if warned:
        assert f"p99_latency_ms {target_ms:,} ms cannot hold" in said[0] and "about 5,300 ms" in said[0]


def test_no_target_no_warning() -> None:
    assert not any("cannot hold" in x for x in answer().warnings)
