"""The REST API answers exactly as the CLI, and every class of bad request gets a clear JSON error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from wheretorun.cli import app as cli
from wheretorun.web import app as web
from wheretorun.web.app import MAX_BODY_BYTES, MAX_WORKLOADS, create_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def client() -> TestClient:
    # a loopback Host (the server refuses others) and JSON bodies unless a test says otherwise
    return TestClient(
        create_app(),
        base_url="http://127.0.0.1:8000",
        headers={"content-type": "application/json"},
        raise_server_exceptions=False,
    )


def example(name: str = "ai-product.yml") -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def cli_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    Path("bad.yml").write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["recommend", "bad.yml", "--format", "json"])
    assert result.exit_code == 2, result.output
    return [line[len("error: ") :] for line in result.stderr.splitlines() if line.startswith("error: ")]


def api_problems(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        f"{p['file']}: {p['path']}: {p['message']}" if p["path"] else f"{p['file']}: {p['message']}"
        for p in response.json()["problems"]
    ]


@pytest.mark.parametrize("name", ["ai-product.yml", "hybrid-api.yml", "compliance-in-vpc.yml"])
def test_recommend_is_exactly_the_cli_json(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(EXAMPLES)
    result = runner.invoke(cli, ["recommend", name, "--format", "json"])
    assert result.exit_code == 0, result.output
    r = client.post("/v1/recommend", params={"file": name}, json=example(name))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == json.loads(result.stdout)
    assert r.content == result.stdout_bytes  # the same bytes, not only the same values


@pytest.mark.parametrize(
    "text",
    [
        # negative duration and a typo'd key: two problems, each with its field path
        "workloads:\n  - name: a\n    role: glue\n    requests_per_month: 10\n    duration_s: -1\n    memry_gb: 2\n",
        # an unknown enum value lists the allowed ones
        "workloads:\n  - name: a\n    role: glue\n    requests_per_month: 10\n    traffic: bursty\n",
        # neither volume given
        "workloads:\n  - name: a\n    role: glue\n",
        # not a mapping at the top level
        "- 1\n- 2\n",
        # an unknown model id (found by the engine, not the schema)
        "workloads:\n  - name: a\n    role: inference\n    requests_per_month: 10\n    model: {id: lama-3.1-8b}\n",
    ],
)
def test_invalid_input_gets_the_cli_problems(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    expected = cli_problems(tmp_path, monkeypatch, text)
    r = client.post("/v1/recommend", params={"file": "bad.yml"}, json=yaml.safe_load(text))
    assert r.status_code == 422
    assert r.json()["error"] == "invalid input"
    assert api_problems(r) == expected


def test_yaml_errors_through_parse_match_the_cli(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "workloads:\n  - name: a\n    role: [glue\n"
    expected = cli_problems(tmp_path, monkeypatch, text)
    r = client.post(
        "/v1/parse",
        params={"file": "bad.yml"},
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    assert r.status_code == 422
    assert api_problems(r) == expected
    assert "line" in expected[0] and "column" in expected[0]


def test_parse_turns_yaml_into_the_json_recommend_takes(client: TestClient) -> None:
    text = (EXAMPLES / "ai-product.yml").read_text(encoding="utf-8")
    r = client.post("/v1/parse", content=text.encode(), headers={"content-type": "application/yaml"})
    assert r.status_code == 200
    assert r.json()["workload"] == example()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the request body is empty"),
        (b"   ", "the request body is empty"),
        (b'{"workloads": [', "invalid JSON at line 1, column 16"),
        (b"{'single': 'quotes'}", "invalid JSON at line 1, column 2"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    ],
)
def test_malformed_json_is_400(client: TestClient, body: bytes, message: str) -> None:
    r = client.post("/v1/recommend", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"] == "malformed request body"
    assert message in r.json()["problems"][0]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"workloads": "\xff"}', "not valid UTF-8"),
        (b'{"a": 1}\x00\x00', "binary file"),
        (b'{"workloads": [{"name": "a", "role": "glue", "requests_per_month": NaN}]}', "finite number"),
    ],
)
def test_undecodable_or_non_finite_input_is_422(client: TestClient, body: bytes, message: str) -> None:
    r = client.post("/v1/recommend", content=body)
    assert r.status_code == 422
    assert message in r.json()["problems"][0]["message"]


def test_oversized_body_is_refused_by_content_length(client: TestClient) -> None:
    r = client.post("/v1/recommend", content=b" " * (MAX_BODY_BYTES + 1))
    assert r.status_code == 413
    assert f"the limit is {MAX_BODY_BYTES:,} bytes" in r.json()["problems"][0]["message"]


def test_oversized_chunked_body_is_refused_while_reading(client: TestClient) -> None:
    sent = 0

    def chunks():  # no Content-Length: the server must count
        nonlocal sent
        for _ in range(100):
            sent += 1
            yield b" " * (256 * 1024)

    r = client.post("/v1/recommend", content=chunks())
    assert r.status_code == 413
    assert "more than" in r.json()["problems"][0]["message"]


def test_bad_content_length_is_400(client: TestClient) -> None:
    r = client.post("/v1/recommend", content=b"{}", headers={"content-length": "lots"})
    assert r.status_code == 400


def test_traffic_profile_files_are_not_read_on_the_server(client: TestClient) -> None:
    wf = {
        "workloads": [
            {"name": "a", "role": "glue", "requests_per_month": 10, "traffic_profile": "/etc/passwd"}
        ]
    }
    r = client.post("/v1/recommend", json=wf)
    assert r.status_code == 422
    assert r.json()["problems"][0]["path"] == "workloads[0].traffic_profile"


def test_too_many_workloads_per_request(client: TestClient) -> None:
    w = {"role": "glue", "requests_per_month": 10}
    wf = {"workloads": [{"name": f"w{i}", **w} for i in range(MAX_WORKLOADS + 1)]}
    r = client.post("/v1/recommend", json=wf)
    assert r.status_code == 422
    assert r.json()["problems"][0]["path"] == "workloads"


def test_internal_errors_are_500_without_a_stack_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("secret detail at /srv/app/engine.py line 12")

    monkeypatch.setattr(web, "_recommend", boom)
    r = client.post("/v1/recommend", json=example())
    assert r.status_code == 500
    assert r.json() == {
        "error": "internal error (RuntimeError); please report it with the input that caused it",
        "problems": [],
    }
    assert "Traceback" not in r.text and "secret" not in r.text


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    assert client.get("/v1/nope").json() == {"error": "Not Found", "problems": []}
    r = client.get("/v1/recommend")
    assert r.status_code == 405 and r.json()["error"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("fmt", "media", "start"),
    [("markdown", "text/markdown", "# Where"), ("html", "text/html", "<!doctype html>")],
)
def test_render_downloads(client: TestClient, fmt: str, media: str, start: str) -> None:
    r = client.post("/v1/render", params={"format": fmt, "file": "ai-product.yml"}, json=example())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.text.startswith(start)
    assert "Where the workloads of ai-product run on AWS" in r.text


def test_render_unknown_format_is_422(client: TestClient) -> None:
    r = client.post("/v1/render", params={"format": "pdf"}, json=example())
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"file": "<request>", "path": "query.format", "message": "Input should be 'markdown' or 'html'"}
    ]


def test_view_gives_the_report_and_its_body(client: TestClient) -> None:
    r = client.post("/v1/view", json=example("agent-with-bedrock.yml"))
    assert r.status_code == 200
    data = r.json()
    assert data["report"]["workloads"][0]["recommendation"]["platform"]
    assert data["html"].startswith('<div class="wtr">') and "<svg" in data["html"]


def test_catalog_is_the_cli_prices_json(client: TestClient) -> None:
    for args, params in (
        ([], {}),
        (["--service", "models"], {"service": "models"}),
        (["--region", "eu-west-1", "--service", "lambda"], {"region": "eu-west-1", "service": "lambda"}),
    ):
        result = runner.invoke(cli, ["prices", "show", "--json", *args])
        assert result.exit_code == 0, result.output
        r = client.get("/v1/catalog", params=params)
        assert r.status_code == 200
        assert r.json() == json.loads(result.stdout)


@pytest.mark.parametrize(
    ("params", "path"), [({"region": "mars"}, "query.region"), ({"service": "lamda"}, "query.service")]
)
def test_catalog_bad_query_is_422_with_a_suggestion(client: TestClient, params: dict, path: str) -> None:
    r = client.get("/v1/catalog", params=params)
    assert r.status_code == 422
    assert r.json()["problems"][0]["path"] == path
    assert (
        "allowed" in r.json()["problems"][0]["message"]
        or "did you mean" in r.json()["problems"][0]["message"]
    )


def test_schema_and_choices(client: TestClient) -> None:
    assert client.get("/v1/schema").json()["title"] == "wheretorun workload file"
    choices = client.get("/v1/choices").json()
    assert "us-east-1" in choices["regions"] and "orchestration" in choices["roles"]
    assert "llama-3.1-8b" in choices["models"]


def test_openapi_documents_the_workload_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/recommend"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/WorkloadFile"}
    assert "Workload" in spec["components"]["schemas"]
    assert {"400", "413", "422"} <= set(spec["paths"]["/v1/recommend"]["post"]["responses"])


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_load_nothing_from_the_internet(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for ref in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert ref.startswith(("/", "#", "data:")), ref
        if ref.startswith("/static/") or ref == "/report.css":
            assert client.get(ref).status_code == 200, ref


def test_size_is_the_cli_size_json(client: TestClient) -> None:
    result = runner.invoke(
        cli, ["size", "--model", "llama-3.1-8b", "--gpu", "A10G", "--batch", "8", "--json"]
    )
    assert result.exit_code == 0, result.output
    r = client.post("/v1/size", json={"model": "llama-3.1-8b", "gpu": "A10G", "batch": 8})
    assert r.status_code == 200
    assert r.json() == json.loads(result.stdout)


def test_size_problems_name_the_body_fields(client: TestClient) -> None:
    r = client.post("/v1/size", json={"model": "llama-3.1-8b", "precision": "fp7", "gpu": "A10", "modle": 1})
    assert r.status_code == 422
    paths = [p["path"] for p in r.json()["problems"]]
    assert paths == ["modle"]  # unknown keys first: the request is not run half-understood
    r = client.post("/v1/size", json={"model": "llama-3.1-8b", "precision": "fp7", "gpu": "A10"})
    problems = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert problems["precision"].startswith("unknown precision 'fp7'; allowed: fp32")
    assert "did you mean 'A10G'" in problems["gpu"]


def test_view_without_charts_is_the_same_answer_without_drawing(client) -> None:  # type: ignore[no-untyped-def]
    """The page asks for charts only when they are shown: an edit is answered without rendering
    them, and the answer is the same. (How fast is a benchmark's question, never a unit test's on a
    shared machine: this one once failed at 0.64 s for a 37 ms request.)"""
    body = example("agent-with-bedrock.yml")
    fast = client.post("/v1/view?charts=false", json=body)
    full = client.post("/v1/view", json=body)
    assert fast.status_code == full.status_code == 200
    assert "<svg" not in fast.json()["html"] and "<svg" in full.json()["html"]
    rec = lambda r: r.json()["report"]["workloads"][0]["recommendation"]  # noqa: E731
    assert rec(fast) == rec(full)


@pytest.mark.parametrize(
    ("argv", "body"),
    [
        (
            ["--model", "llama-3.1-8b", "--gpu", "L4", "--concurrency", "16", "--input-tokens", "550",
             "--output-tokens", "150", "--engine", "sglang"],
            {"model": "llama-3.1-8b", "gpu": "L4", "concurrency": 16, "input_tokens": 550,
             "output_tokens": 150, "engine": "sglang"},
        ),
        (
            ["--model", "llama-3.1-8b", "--gpu", "A10G", "--batch", "4", "--input-tokens", "1000",
             "--output-tokens", "200", "--rate", "0.5", "--max-ttft-ms", "800", "--max-tpot-ms", "60"],
            {"model": "llama-3.1-8b", "gpu": "A10G", "batch": 4, "input_tokens": 1000, "output_tokens": 200,
             "rate": 0.5, "max_ttft_ms": 800, "max_tpot_ms": 60},
        ),
        (
            ["--params-b", "13", "--precision", "int4", "--output-tokens", "100", "--engine", "tgi",
             "--max-tpot-ms", "40"],
            {"params_b": 13, "precision": "int4", "output_tokens": 100, "engine": "tgi", "max_tpot_ms": 40},
        ),
        (
            ["--model", "llama-3.1-8b", "--gpu", "Inferentia2", "--engine", "neuron", "--output-tokens", "128",
             "--rate", "2"],
            {"model": "llama-3.1-8b", "gpu": "Inferentia2", "engine": "neuron", "output_tokens": 128, "rate": 2},
        ),
    ],
    ids=["L4-sglang-concurrency", "A10G-rate-targets", "int4-estimated-tgi", "inferentia2-neuron"],
)  # fmt: skip
def test_size_serving_inputs_answer_as_the_cli(client: TestClient, argv: list[str], body: dict) -> None:
    """Concurrency, engine, rate and the TTFT/TPOT targets: the API's JSON is `size --json`'s."""
    result = runner.invoke(cli, ["size", *argv, "--json"])
    assert result.exit_code == 0, result.output
    expected = json.loads(result.stdout)
    r = client.post("/v1/size", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == expected
    # the loaded fields are really there (not an answer that ignored the new inputs)
    assert any(o["output_tokens_per_s"] is not None for o in expected["options"]), expected


@pytest.mark.parametrize(
    ("body", "field", "cli_flag", "message"),
    [
        ({"engine": "vlm"}, "engine", ["--engine", "vlm"], "unknown engine 'vlm'"),
        ({"gpu": "A10G", "engine": "neuron"}, "engine", ["--gpu", "A10G", "--engine", "neuron"],
         "neuron serves Inferentia2 and Trainium only, not A10G"),
        ({"rate": 0, "output_tokens": 100}, "rate", ["--rate", "0", "--output-tokens", "100"],
         "must be a positive number up to 1e+06 (got 0)"),
        ({"rate": -1.5, "output_tokens": 100}, "rate", ["--rate", "-1.5", "--output-tokens", "100"],
         "must be a positive number up to 1e+06 (got -1.5)"),
        ({"max_ttft_ms": 1e9, "output_tokens": 100}, "max_ttft_ms", ["--max-ttft-ms", "1e9", "--output-tokens", "100"],
         "must be a positive number up to 8.64e+07 (got 1e+09)"),
        ({"max_tpot_ms": -5, "output_tokens": 100}, "max_tpot_ms", ["--max-tpot-ms", "-5", "--output-tokens", "100"],
         "must be a positive number up to 8.64e+07 (got -5)"),
        ({"rate": 1}, "output_tokens", ["--rate", "1"], "--rate, --max-ttft-ms and --max-tpot-ms need"),
        ({"concurrency": 0}, "concurrency", ["--concurrency", "0"], "must be a positive number up to 100,000 (got 0)"),
        ({"batch": 200_000}, "batch", ["--batch", "200000"], "must be a positive number up to 100,000 (got 200000)"),
    ],
    ids=["engine-typo", "neuron-on-gpu", "rate-zero", "rate-negative", "ttft-too-large", "tpot-negative",
         "target-without-length", "concurrency-zero", "batch-too-large"],
)  # fmt: skip
def test_size_bad_serving_inputs_are_422_naming_the_field(
    client: TestClient, body: dict, field: str, cli_flag: list[str], message: str
) -> None:
    """The same check as the CLI's (which exits 2 with the same message), the body field named."""
    cli_result = runner.invoke(cli, ["size", "--model", "llama-3.1-8b", *cli_flag])
    assert cli_result.exit_code == 2, cli_result.output
    assert message in " ".join(cli_result.output.split())
    r = client.post("/v1/size", json={"model": "llama-3.1-8b", **body})
    assert r.status_code == 422, r.text
    problems = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert field in problems, problems
    assert message in problems[field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"concurrency": 4, "batch": 4}, "batch"),  # an alias and its name together: ambiguous
        ({"rate": "fast"}, "rate"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"engine": 7}, "engine"),
        ({"engine": "x" * 21}, "engine"),
        ({"max_tpot_ms": [1]}, "max_tpot_ms"),
    ],
)
def test_size_malformed_serving_fields_are_422(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/v1/size", json={"model": "llama-3.1-8b", **body})
    assert r.status_code == 422, r.text
    assert field in [p["path"] for p in r.json()["problems"]]


def test_size_guard_still_refuses_a_foreign_origin_and_form_bodies(client: TestClient) -> None:
    body = {"model": "llama-3.1-8b", "concurrency": 4, "output_tokens": 100, "engine": "vllm"}
    assert client.post("/v1/size", json=body, headers={"origin": "https://evil.example"}).status_code == 403
    r = client.post("/v1/size", content=json.dumps(body), headers={"content-type": "text/plain"})
    assert r.status_code == 415
