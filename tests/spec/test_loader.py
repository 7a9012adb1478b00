"""Every class of bad input gets a clear problem naming the file and field path (issue 2, item 2)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wheretorun.errors import InputError
from wheretorun.spec import load_text, load_workloads
from wheretorun.spec import loader as loader_mod

GOOD = "workloads:\n  - name: a\n    role: glue\n    requests_per_month: 1000\n"


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_text(text, name="f.yml")
    return [str(p) for p in exc.value.problems]


def one(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_good_file_loads_with_documented_defaults():
    wf = load_text(GOOD)
    assert wf.region == "us-east-1"
    assert wf.team.ops_capacity == "none"
    assert wf.team.engineer_hourly_usd == 120
    assert wf.workloads[0].monthly_requests == 1000


@pytest.mark.parametrize(
    ("field", "value", "path", "expect"),
    [
        # negative where meaningless
        ("duration_s", -1, "workloads[0].duration_s", "greater than or equal to 0.001"),
        # zero where meaningless
        ("memory_gb", 0, "workloads[0].memory_gb", "greater than or equal to 0.001"),
        # NaN and infinity, as YAML writes them
        ("duration_s", ".nan", "workloads[0].duration_s", "finite"),
        ("p99_latency_ms", ".inf", "workloads[0].p99_latency_ms", "finite"),
        # unknown enum values list the allowed ones
        ("traffic", "bursty", "workloads[0].traffic", "'spiky', 'steady', 'diurnal' or 'batch'"),
        ("role", "inferance", "workloads[0].role", "'orchestration'"),
        ("trigger", "cron", "workloads[0].trigger", "'api', 'event', 'queue' or 'schedule'"),
        # peak_to_mean below 1
        ("peak_to_mean", 0.5, "workloads[0].peak_to_mean", "greater than or equal to 1"),
        # wrong type
        ("input_tokens", "many", "workloads[0].input_tokens", "integer"),
    ],
)
def test_bad_field_values_name_the_path_and_what_is_allowed(field, value, path, expect):
    msg = one(GOOD + f"    {field}: {value}\n")
    assert msg.startswith(f"f.yml: {path}: ")
    assert expect in msg


def test_unknown_key_suggests_the_closest_known_key():
    msg = one(GOOD + "    duraton_s: 3\n")
    assert "workloads[0].duraton_s" in msg
    assert "did you mean 'duration_s'" in msg


def test_unknown_top_level_and_nested_keys():
    found = problems("regoin: us-east-1\nteam: {ops_capacity: none, engineer_rate: 3}\n" + GOOD[len("") :])
    assert any("regoin" in p and "did you mean 'region'" in p for p in found)
    assert any("team.engineer_rate" in p and "engineer_hourly_usd" in p for p in found)


@pytest.mark.parametrize(
    ("extra", "which"),
    [("    requests_per_second: 3\n", "both"), (None, "neither")],
)
def test_exactly_one_volume(extra, which):
    text = GOOD + extra if extra else "workloads:\n  - name: a\n    role: glue\n"
    msg = one(text)
    assert "requests_per_month or requests_per_second" in msg
    assert which in msg


def test_yaml_syntax_error_has_line_and_column():
    msg = one("workloads:\n  - name: a\n    role: [glue\n")
    assert "invalid YAML at line" in msg and "column" in msg


def test_json_syntax_error_has_line_and_column():
    msg = one('{"workloads": [\n  {"name": "a",,}]}')
    assert "invalid JSON at line 2" in msg


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_file(text):
    msg = one(text)
    assert "empty" in msg or "got nothing" in msg


def test_top_level_must_be_a_mapping():
    assert "expected a mapping" in one("- a\n- b\n")


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError) as exc:
        load_workloads(tmp_path / "nope.yml")
    assert "file not found" in str(exc.value)


def test_directory_is_not_a_file(tmp_path: Path):
    with pytest.raises(InputError) as exc:
        load_workloads(tmp_path)
    assert "is a directory" in str(exc.value)


def test_non_utf8_text(tmp_path: Path):
    f = tmp_path / "latin1.yml"
    f.write_bytes(GOOD.replace("a\n", "caf\xe9\n").encode("latin-1"))
    with pytest.raises(InputError) as exc:
        load_workloads(f)
    assert "not valid UTF-8" in str(exc.value)


def test_binary_junk(tmp_path: Path):
    f = tmp_path / "junk.yml"
    f.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError) as exc:
        load_workloads(f)
    assert "binary" in str(exc.value)


def test_yaml_alias_bomb_is_refused_quickly():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    msg = one("\n".join(levels) + "\n")
    assert "refused" in msg


def test_wide_alias_expansion_is_refused(monkeypatch):
    monkeypatch.setattr(loader_mod, "MAX_NODES", 1000)
    msg = one("x: &x [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\ny: [" + ", ".join(["*x"] * 200) + "]\n")
    assert "expands to more than 1,000 values" in msg


def test_huge_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(loader_mod, "MAX_FILE_BYTES", 1000)
    f = tmp_path / "big.yml"
    f.write_text(GOOD + "#" * 2000)
    with pytest.raises(InputError) as exc:
        load_workloads(f)
    assert "limit is 1,000 bytes" in str(exc.value)


def test_deep_nesting_is_refused():
    msg = one("workloads: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "refused" in msg or "invalid YAML" in msg or "workloads" in msg


def test_duplicate_workload_names():
    text = GOOD + "  - name: a\n    role: glue\n    requests_per_month: 1\n"
    assert "appears twice" in one(text)


def test_active_compute_cannot_exceed_duration():
    assert "active_compute_s" in one(GOOD + "    duration_s: 10\n    active_compute_s: 20\n")


def test_growth_forms():
    assert load_text(GOOD + "growth: 15%/month\n").growth_per_month == pytest.approx(0.15)
    assert load_text(GOOD + "growth: 0.2\n").growth_per_month == pytest.approx(0.2)
    assert "growth" in one(GOOD + "growth: fast\n")


def test_requests_per_second_converts_over_a_730_hour_month():
    wf = load_text("workloads:\n  - name: a\n    role: glue\n    requests_per_second: 1\n")
    assert wf.workloads[0].monthly_requests == 730 * 3600
    assert math.isfinite(wf.workloads[0].monthly_requests)


def test_an_inventory_beyond_the_limit_is_refused_before_its_workloads_are_checked():
    from wheretorun.spec.models import MAX_WORKLOADS

    item = "  - {name: w, role: glue, requests_per_month: -1}\n"  # each one invalid, twice over
    msg = one("workloads:\n" + item * (MAX_WORKLOADS + 1))
    assert msg.startswith("f.yml: workloads: ")
    assert (
        f"{MAX_WORKLOADS + 1:,} workloads; at most {MAX_WORKLOADS:,} in one file: split the inventory" in msg
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("requests_per_month", "yes"), ("duration_s", "on"), ("memory_gb", "true"), ("input_tokens", "false")],
)
def test_true_or_false_is_not_a_number(field: str, value: str) -> None:
    """YAML reads yes/on/true as true, which pydantic would take as the number 1: refused at the
    field's path (it priced `requests_per_month: yes` as one request)."""
    text = f"workloads:\n  - {{name: a, role: glue, requests_per_month: 1000, duration_s: 1, {field}: {value}}}\n"
    with pytest.raises(InputError) as caught:
        load_text(text, name="w.yml")
    (problem,) = caught.value.problems
    assert problem.path == f"workloads[0].{field}" and "unable to parse string as a" in problem.message


def test_true_or_false_still_answers_a_yes_no_field() -> None:
    wf = load_text(
        "workloads:\n  - {name: a, role: glue, requests_per_month: 1000, duration_s: 1, data_must_stay_in_vpc: yes}\n",
        name="w.yml",
    )
    assert wf.workloads[0].data_must_stay_in_vpc is True


@pytest.mark.parametrize(
    "role", ["inference", "embedding", "reranking", "classification", "batch-inference", "fine-tuning", "rag"]
)
def test_a_model_role_names_its_model(role: str) -> None:
    """`role: inference` with no model was priced as a small encoder on Lambda, without a word."""
    with pytest.raises(InputError) as caught:
        load_text(f"workloads:\n  - {{name: a, role: {role}, requests_per_month: 10}}\n", name="w.yml")
    (problem,) = caught.value.problems
    assert (
        problem.path == "workloads[0]"
        and f"role {role} serves or trains a model: give model" in problem.message
    )


def test_glue_and_orchestration_need_no_model() -> None:
    wf = load_text(
        "workloads:\n  - {name: a, role: glue, requests_per_month: 10}\n  - {name: b, role: orchestration, requests_per_month: 10}\n",
        name="w.yml",
    )
    assert [w.model for w in wf.workloads] == [None, None]


@pytest.mark.parametrize(
    ("trigger", "door", "refused"),
    [
        ("event", "api-gateway-rest", True),
        ("queue", "alb", True),
        ("schedule", "function-url", True),
        ("event", "none", False),
        ("queue", "auto", False),
        ("api", "api-gateway-rest", False),
    ],
)
def test_a_front_door_needs_an_api_trigger(trigger: str, door: str, refused: bool) -> None:
    """A front door on work no API starts was dropped without a word (the option looked cheaper)."""
    text = (
        "workloads:\n  - {name: a, role: glue, requests_per_month: 10, duration_s: 1, "
        f"trigger: {trigger}, front_door: {door}}}\n"
    )
    if not refused:
        assert load_text(text, name="w.yml").workloads[0].front_door == door
        return
    with pytest.raises(InputError) as caught:
        load_text(text, name="w.yml")
    (problem,) = caught.value.problems
    assert (
        problem.path == "workloads[0]" and f"front_door {door} is how API requests come in" in problem.message
    )
