"""The API under hostile input (issue 10): every request gets a 4xx naming what is wrong, or an
answer; never a 500; and the server keeps serving after each."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from wheretorun.web import app as web
from wheretorun.web.app import MAX_BODY_BYTES, create_app

ONE = {"workloads": [{"name": "a", "role": "glue", "requests_per_month": 1000}]}
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)


def workload(**fields: object) -> bytes:
    w: dict = {"name": "a", "role": "glue", "requests_per_month": 1000}
    w.update(fields)
    return json.dumps({"workloads": [w]}).encode()


def still_serving(client: TestClient) -> None:
    assert client.post("/v1/recommend", json=ONE).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "path", "says"),
    [
        # control characters: refused at the name, before any renderer sees them
        (workload(name="a\u0007b"), 422, "workloads[0].name", "U+0007"),
        (workload(name="\u202eevil"), 422, "workloads[0].name", "bidi"),
        # numbers past any sense
        (
            b'{"workloads": [{"name": "a", "role": "glue", "requests_per_month": 1' + b"0" * 5000 + b"}]}",
            422,
            "workloads[0].requests_per_month",
            "5,001 digits",
        ),  # fmt: skip
        (workload(requests_per_month=1e308), 422, "workloads[0].requests_per_month", "less than or equal"),
        (workload(requests_per_month=-1), 422, "workloads[0].requests_per_month", ""),
        (workload(duration_s=1e-300), 422, "workloads[0].duration_s", ""),
        (
            b'{"workloads": [{"name": "a", "role": "glue", "requests_per_month": NaN}]}',
            422,
            "workloads[0].requests_per_month",
            "finite",
        ),  # fmt: skip
        (
            b'{"workloads": [{"name": "a", "role": "glue", "requests_per_month": Infinity}]}',
            422,
            "workloads[0].requests_per_month",
            "finite",
        ),  # fmt: skip
        (
            json.dumps({**ONE, "engineering": {"lambda": {"setup_hours": 1e308}}}).encode(),
            422,
            "engineering.lambda.setup_hours",
            "",
        ),  # fmt: skip
        (
            json.dumps({**ONE, "engineering": {"lambdaa": {"setup_hours": 1}}}).encode(),
            422,
            "engineering.lambdaa",
            "did you mean",
        ),  # fmt: skip
        # shapes
        (b"[]", 422, "", "workloads"),
        (b'"workloads"', 422, "", "workloads"),
        (b'{"workloads": {}}', 422, "workloads", ""),
        (b'{"workloads": [null]}', 422, "workloads[0]", ""),
        (b'{"workloads": []}', 422, "workloads", ""),
        (b"[" * 100_000 + b"]" * 100_000, 400, "", "nests too deeply"),
        (b'{"a": ' * 5_000 + b"1" + b"}" * 5_000, 400, "", "nests too deeply"),
        (b"\xff\xfe{", 422, "", "UTF-8"),
        (b"", 400, "", "empty"),
        (
            json.dumps({"workloads": [{**ONE["workloads"][0], "name": f"w{i}"} for i in range(51)]}).encode(),
            422,
            "workloads",
            "at most 50",
        ),  # fmt: skip
    ],
)
def test_hostile_documents_get_a_4xx_naming_the_field(
    client: TestClient, body: bytes, status: int, path: str, says: str
) -> None:
    r = client.post("/v1/recommend", content=body, headers=JSON)
    assert r.status_code == status, r.text[:500]
    problems = r.json()["problems"]
    assert any(p["path"] == path for p in problems), problems
    assert says in " ".join(p["message"] for p in problems)
    still_serving(client)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"content-type": "text/plain"}, 415),
        ({"content-type": "application/x-www-form-urlencoded"}, 415),
        ({"content-type": "text/html"}, 415),
        ({"content-type": "application/json", "host": "evil.example"}, 400),
        ({"content-type": "application/json", "origin": "http://evil.example"}, 403),
        ({"content-type": "application/json", "content-length": "-1"}, 400),
        ({"content-type": "application/json", "content-length": str(MAX_BODY_BYTES + 1)}, 413),
    ],
)
def test_hostile_headers_are_refused(client: TestClient, headers: dict[str, str], status: int) -> None:
    r = client.post("/v1/recommend", content=json.dumps(ONE).encode(), headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]
    still_serving(client)


def test_a_validation_error_inside_the_library_is_422_with_its_path(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Inner(BaseModel):
        hours: float

    def validates(*_: object) -> None:
        Inner.model_validate({"hours": "many"})  # a model validated deep in the library

    monkeypatch.setattr(web, "_recommend", validates)
    r = client.post("/v1/recommend", json=ONE)
    assert r.status_code == 422
    assert r.json()["problems"][0]["path"] == "hours"
    with pytest.raises(ValidationError):
        validates()


def test_an_unexpected_error_is_a_logged_json_500_and_the_server_goes_on(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_: object) -> None:
        raise ZeroDivisionError("division by zero in a platform model")

    monkeypatch.setattr(web, "_recommend", boom)
    with caplog.at_level(logging.ERROR, logger="wheretorun.web"):
        r = client.post("/v1/recommend", json=ONE)
    assert r.status_code == 500
    assert r.json()["error"].startswith("internal error (ZeroDivisionError)")
    assert "division by zero" not in r.text  # no detail leaves the server
    assert any("POST /v1/recommend failed" in m for m in caplog.messages)  # the log has it
    monkeypatch.undo()
    still_serving(client)


# ------------------------------------------------------------------------------------ hypothesis
json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
any_json = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
FIELDS = [
    "name",
    "role",
    "requests_per_month",
    "duration_s",
    "memory_gb",
    "traffic",
    "peak_to_mean",
    "input_tokens",
    "output_tokens",
    "gpu",
    "trigger",
    "latency_target_ms",
    "model",
]
near_miss_workload = st.dictionaries(st.sampled_from(FIELDS), any_json, max_size=6)
documents = (
    any_json
    | st.fixed_dictionaries({"workloads": st.lists(near_miss_workload, max_size=3)})
    | st.fixed_dictionaries(
        {"workloads": st.lists(near_miss_workload, max_size=2)},
        optional={"team": any_json, "engineering": any_json, "prices": any_json, "region": any_json},
    )
)


@given(doc=documents)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_random_json_never_gets_a_500(client: TestClient, doc: object) -> None:
    r = client.post("/v1/recommend", content=json.dumps(doc).encode(), headers=JSON)
    assert r.status_code in (200, 400, 422), (r.status_code, r.text[:500])
    if r.status_code != 200:
        assert r.json()["problems"], r.text  # a 4xx always says what is wrong


@given(raw=st.binary(max_size=200))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_random_bytes_never_get_a_500(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/recommend", content=raw, headers=JSON)
    assert r.status_code in (400, 422), (r.status_code, r.text[:500])


def test_the_server_still_serves_after_the_fuzzing(client: TestClient) -> None:
    still_serving(client)
