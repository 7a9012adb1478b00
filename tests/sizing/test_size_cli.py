"""`wheretorun size`: the contract's JSON keys, the table, and one-line input errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from wheretorun.cli import app

runner = CliRunner()
CONTRACT_KEYS = {
    "weights_gb",
    "kv_cache_gb",
    "total_gb",
    "fits",
    "gpus_needed",
    "decode_tokens_per_s",
    "per_sequence_tokens_per_s",
}


def size(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["size", *args], env={"COLUMNS": "200"})


def test_json_has_the_contract_keys_and_exact_memory() -> None:
    r = size(
        "--model",
        "llama-3.1-8b-instruct",
        "--precision",
        "fp16",
        "--gpu",
        "A10G",
        "--context",
        "8192",
        "--json",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) >= CONTRACT_KEYS
    assert doc["weights_gb"] == pytest.approx(16.06)
    assert doc["kv_cache_gb"] == pytest.approx(131_072 * 8192 / 1e9, abs=1e-4)
    assert doc["total_gb"] == pytest.approx(
        doc["weights_gb"] + doc["kv_cache_gb"] + doc["overhead_gb"], abs=1e-3
    )
    assert doc["fits"] is True and doc["gpus_needed"] == 1 and doc["accelerator"] == "A10G"
    assert doc["decode_tokens_per_s"] == pytest.approx(doc["per_sequence_tokens_per_s"])  # batch 1
    assert doc["instance_type"].startswith("g5.")


def test_json_batch_and_tokens_give_request_rate() -> None:
    r = size("--model", "mistral-7b", "--precision", "bf16", "--gpu", "L4", "--batch", "8",
             "--input-tokens", "1000", "--output-tokens", "200", "--json")  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["decode_tokens_per_s"] == pytest.approx(8 * doc["per_sequence_tokens_per_s"], rel=1e-3)
    assert doc["requests_per_second"] > 0 and doc["latency_s"] > 0
    assert doc["avg_sequence_tokens"] == 1200


def test_70b_does_not_fit_one_a10g_but_needs_eight() -> None:
    doc = json.loads(
        size(
            "--model", "llama-3.1-70b", "--precision", "bf16", "--gpu", "A10G", "--gpus", "1", "--json"
        ).stdout
    )
    assert doc["fits"] is False and doc["gpus_needed"] == 8 and doc["decode_tokens_per_s"] is None


def test_without_gpu_lists_accelerators_cheapest_fitting_first() -> None:
    doc = json.loads(size("--params-b", "13", "--precision", "bf16", "--json").stdout)
    opts = doc["options"]
    assert {o["accelerator"] for o in opts} >= {
        "T4",
        "A10G",
        "L4",
        "L40S",
        "A100-80GB",
        "H100",
        "Inferentia2",
    }
    fitting = [o for o in opts if o["fits"] and o["instance_on_demand_usd_per_hour"]]
    prices = [float(o["instance_on_demand_usd_per_hour"]) for o in fitting]
    assert prices == sorted(prices) and opts[0] == fitting[0]
    assert doc["architecture"]["estimated"] is True


def test_table_output_shows_units() -> None:
    r = size("--model", "qwen2.5-7b", "--precision", "fp8")
    assert r.exit_code == 0, r.output
    assert "GB" in r.stdout and "tok/s" in r.stdout and "H100" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "lama-3.1-8b", "--precision", "bf16"], "did you mean 'llama-3.1-8b'"),
        (["--model", "llama-3.1-8b", "--params-b", "8", "--precision", "bf16"], "both were given"),
        (["--precision", "bf16"], "neither was given"),
        (["--model", "llama-3.1-8b", "--precision", "fp12"], "allowed: fp32, bf16"),
        (["--model", "llama-3.1-8b", "--precision", "bf16", "--gpu", "A10"], "did you mean 'A10G'"),
        (
            ["--model", "llama-3.1-8b", "--precision", "bf16", "--batch", "0"],
            "--concurrency/--batch: must be a positive",
        ),
        (["--params-b", "-3", "--precision", "bf16"], "--params-b: must be a positive"),
        (
            ["--model", "llama-3.1-8b", "--precision", "bf16", "--context", "-1"],
            "--context: must be a positive",
        ),
        (["--model", "llama-3.1-8b", "--precision", "bf16", "--context", "200000"], "maximum of 131,072"),
        (
            ["--model", "qwen2.5-7b", "--precision", "bf16", "--gpu", "H100", "--gpus", "8"],
            "allowed: 1, 2, 4",
        ),
        (["--model", "claude-sonnet-4", "--precision", "bf16"], "proprietary"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    r = size(*args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "Traceback" not in r.output


LOADED = ("--model", "llama-3.1-8b", "--precision", "fp16", "--gpu", "A10G",
          "--input-tokens", "550", "--output-tokens", "150", "--json")  # fmt: skip


def test_concurrency_and_its_batch_alias_give_the_same_loaded_figures() -> None:
    a = json.loads(size(*LOADED, "--concurrency", "16").stdout)
    b = json.loads(size(*LOADED, "--batch", "16").stdout)
    assert a == b
    assert a["concurrency"] == 16 and a["engine"] == "vllm"
    for key in ("output_tokens_per_s", "ttft_s", "tpot_s", "request_latency_s"):
        assert a[key] > 0, key
    # end to end: 16 requests of 150 tokens complete every request_latency_s (no queue at 16)
    assert a["output_tokens_per_s"] == pytest.approx(16 * 150 / a["request_latency_s"], rel=0.01)
    # TPOT includes other requests' prefills: longer than the bare decode step
    assert a["tpot_s"] > 1 / a["per_sequence_tokens_per_s"]
    assert "latency_p99_s" not in a and "max_concurrency" not in a


def test_rate_gives_percentiles_and_targets_give_per_replica_limits() -> None:
    doc = json.loads(size(*LOADED, "--rate", "1.5", "--max-ttft-ms", "800", "--max-tpot-ms", "60").stdout)
    assert doc["latency_p99_s"] >= doc["latency_p50_s"] > 0
    assert doc["ttft_p99_s"] >= doc["ttft_s"]
    assert doc["output_tokens_per_s"] == pytest.approx(1.5 * 150)
    assert doc["max_concurrency"] >= 1 and doc["max_requests_per_s"] > 0


def test_engines_differ_and_neuron_is_refused_on_a_gpu() -> None:
    vllm = json.loads(size(*LOADED, "--concurrency", "16").stdout)
    tgi = json.loads(size(*LOADED, "--concurrency", "16", "--engine", "tgi").stdout)
    assert tgi["engine"] == "tgi" and tgi["tpot_s"] != vllm["tpot_s"]
    r = size(*LOADED, "--engine", "neuron")
    assert r.exit_code == 2 and "--engine" in r.stderr
    r = size(*LOADED, "--engine", "vlm")
    assert r.exit_code == 2 and "did you mean 'vllm'" in r.stderr


def test_saturated_rate_reports_null_latencies_not_infinity() -> None:
    r = size(*LOADED, "--rate", "1000")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["saturated"] is True and doc["latency_p99_s"] is None


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("--model", "llama-3.1-8b", "--gpu", "L4", "--concurrency", "16"), "L4 under load"),
        (("--model", "llama-3.1-8b", "--gpu", "A10G", "--precision", "int4"), "INT4"),
        (("--model", "llama-3.1-8b", "--gpu", "H100", "--gpus", "8"), "tensor parallel 8"),
        (("--model", "llama-3.1-8b", "--gpu", "A10G", "--engine", "sglang"), "engine sglang"),
    ],
)
def test_predictions_outside_the_measured_region_are_labelled(args: tuple[str, ...], label: str) -> None:
    doc = json.loads(size(*args, "--input-tokens", "550", "--output-tokens", "150", "--json").stdout)
    assert any(label in why for why in doc["unvalidated"]), doc["unvalidated"]


def test_the_measured_region_is_not_labelled() -> None:
    doc = json.loads(size(*LOADED, "--concurrency", "16").stdout)
    assert doc["unvalidated"] == []


def test_rate_without_request_length_is_refused() -> None:
    r = size("--model", "llama-3.1-8b", "--gpu", "A10G", "--rate", "2")
    assert r.exit_code == 2 and "--output-tokens" in r.stderr
