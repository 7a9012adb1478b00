"""Importers fed what an attacker or a corrupt export would feed them: every odd record is
rejected and counted by reason, the written file holds only what a YAML serializer wrote, and one
bad record never aborts nor rescales an import."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheretorun import load_workloads
from wheretorun.importers import import_usage

_spec = importlib.util.spec_from_file_location(
    "import_fixtures", Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "make_fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["import_fixtures"] = fx
_spec.loader.exec_module(fx)  # type: ignore[union-attr]

INJECTION = "anthropic.claude-3-5-haiku-20241022-v1:0\nprices: {discount_pct: {bedrock: 90}}\n#"


def _month_of_records(n: int = 2_000) -> list[str]:
    """``n`` good Haiku records spread evenly over 28 days from fx.START (a month: volumes unscaled)."""
    step = timedelta(days=28) / n
    return [fx.bedrock_record(fx.START + i * step, fx.HAIKU, 1000, 200) for i in range(n)]


def _record(**changes) -> str:
    """A Haiku record at day 10 with fields replaced (None: the field removed)."""
    r = json.loads(fx.bedrock_record(fx.START + timedelta(days=10), fx.HAIKU, 1000, 200))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = r
        for p in parents:
            node = node[p]
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return json.dumps(r)


def _import(tmp_path: Path, lines: list[str], kind: str = "bedrock-logs", name: str = "logs.json"):
    src = tmp_path / name
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.yml"
    result = import_usage(kind, [str(src)], out)
    return out, result, "\n".join(result.summary)


def _assert_only_serialized_yaml(out: Path) -> dict:
    """Every line is a comment or part of the YAML document, which has only the keys importers write."""
    text = out.read_text()
    data = yaml.safe_load(text)
    assert set(data) <= {"region", "workloads"}, set(data)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert yaml.safe_load(body) == data  # the comments carry nothing the parser reads
    assert yaml.safe_dump(data, sort_keys=False, width=110) == body + "\n"  # the body is what safe_dump wrote
    assert all(line.isprintable() for line in comments)
    load_workloads(out)
    return data


@pytest.mark.parametrize(
    "bad, reason",
    [
        # a model id with line breaks used to inject `prices:` into the written file
        (_record(modelId=INJECTION), "modelId is not a model id"),
        (_record(modelId="a" * 5_000), "modelId is not a model id"),  # aborted the import before
        (_record(modelId="meta.llama\u2028prices: {}"), "modelId is not a model id"),  # a Unicode line break
        (_record(**{"input.inputTokenCount": -5}), "negative token count"),
        (_record(**{"output.outputTokenCount": -1}), "negative token count"),
        (_record(**{"output.outputTokenCount": None}), "no output.outputTokenCount"),
        (_record(**{"input.inputTokenCount": 10**12}), "token count over 10,000,000"),
        (_record(**{"input.inputTokenCount": 10**30}), "no input.inputTokenCount"),  # no integer
        (_record(timestamp="1970-01-01T00:00:00Z"), "timestamp before 2006 or in the future"),
        (_record(timestamp="2099-01-01T00:00:00Z"), "timestamp before 2006 or in the future"),
        (_record(timestamp="2024-03-01T00:00:00Z"), "timestamp outside the window of the other records"),
        (_record(timestamp="yesterday"), "no readable timestamp"),
        (_record(modelId=None), "no modelId"),
        ("\x1b[2J\x07 not json", "not a JSON record"),
    ],
)
def test_one_hostile_bedrock_record_is_rejected_counted_and_changes_nothing(tmp_path, bad, reason):
    good = _month_of_records()
    out, result, summary = _import(tmp_path, [*good[:1000], bad, *good[1000:]])
    data = _assert_only_serialized_yaml(out)
    assert "prices" not in out.read_text().split("workloads:")[0].replace("#", "")
    [w] = data["workloads"]
    # 2,000 records over 28 days: a month, taken exactly as logged (one stray timestamp used to
    # stretch the window to decades and turn 40,321 requests into 45.4)
    assert w["requests_per_month"] == 2_000
    assert (w["input_tokens"], w["output_tokens"]) == (1000, 200)
    assert f"1 malformed record(s) skipped (1 {reason}" in summary
    assert "logs.json:1001" in summary  # the record is quoted with its line


def test_rejections_are_counted_by_reason(tmp_path):
    bad = [_record(**{"input.inputTokenCount": -1})] * 3 + [_record(modelId="x" * 300)] * 2
    _out, _result, summary = _import(tmp_path, [*_month_of_records(), *bad])
    assert "5 malformed record(s) skipped (3 negative token count; 2 modelId is not a model id" in summary


def test_embedding_models_need_no_output_count(tmp_path):
    embed = "amazon.titan-embed-text-v2:0"
    lines = [
        _record(modelId=embed, **{"output.outputTokenCount": None}).replace("2025-01-11", f"2025-01-{d:02d}")
        for d in range(1, 29)
    ]
    out, _result, summary = _import(tmp_path, lines)
    assert "malformed" not in summary
    assert load_workloads(out).workloads[0].output_tokens == 0


@pytest.mark.parametrize(
    "odd_line",
    ["\x01", "\x01\x01", "\x00", "\x1f", "\x02wheretorun: no NULL text\x03", "x\x01y", "a\x01"],
    ids=["soh", "two-soh", "nul", "unit-separator", "null-text", "soh-inside", "soh-at-end"],
)
def test_a_line_of_control_characters_is_counted_not_dropped(tmp_path, odd_line):
    """DuckDB reads lines as one-column CSV rows: a line that is the delimiter, holds it or is
    empty as a value must still be counted (a "\x01" line used to vanish, and "x\x01y" to be cut)."""
    good = _month_of_records(100)
    _out, _result, summary = _import(tmp_path, [*good[:50], odd_line, *good[50:]])
    assert "100 requests" in summary.replace(",", "")
    assert "1 malformed record(s) skipped" in summary


def test_a_control_character_inside_a_lambda_report_line_is_counted(tmp_path):
    path = tmp_path / "aws/lambda/fn/export.log"
    fx.lambda_report_lines(path, n=200, bad=0)
    ts = f"{fx.START + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}.000Z"
    with path.open("a") as fh:
        fh.write(
            f"{ts} REPORT RequestId: x\x01\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\n"
        )
    result = import_usage("lambda-logs", [str(tmp_path / "aws")], tmp_path / "f.yml")
    summary = "\n".join(result.summary)
    assert "1 malformed record(s) skipped (1 unreadable line (holds the control character \\x01))" in summary


def test_lambda_report_lines_beyond_lambda_limits_are_rejected(tmp_path):
    path = tmp_path / "aws/lambda/fn/export.log"
    fx.lambda_report_lines(path, n=500, bad=0)
    ts = f"{fx.START + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}.000Z"
    with path.open("a") as fh:
        fh.write(
            f"{ts} REPORT RequestId: x\tDuration: 99999999.00 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\n"
        )
        fh.write(
            f"{ts} REPORT RequestId: y\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 99999 MB\n"
        )
        fh.write(
            "1970-01-01T00:00:00.000Z REPORT RequestId: z\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\n"
        )
    out = tmp_path / "f.yml"
    result = import_usage("lambda-logs", [str(tmp_path / "aws")], out)
    summary = "\n".join(result.summary)
    assert "3 malformed record(s) skipped" in summary
    for reason in (
        "Duration over the 15-minute limit",
        "Memory Size outside 128-10,240 MB",
        "timestamp before 2006",
    ):
        assert reason in summary
    [w] = load_workloads(out).workloads
    assert w.memory_gb == 0.5 and w.duration_s < 0.141  # the outliers moved nothing
    _assert_only_serialized_yaml(out)


def test_cloudwatch_points_negative_absurd_or_with_control_characters_are_rejected(tmp_path):
    rows = ["timestamp,metric,FunctionName,value"]
    for h in range(24 * 28):
        rows.append(f"{fx.START + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ},Invocations,thumbnailer,60")
    t = f"{fx.START:%Y-%m-%dT%H:%M:%SZ}"
    rows += [
        f"{t},Invocations,thumbnailer,-60",
        f"{t},Invocations,thumbnailer,1e15",
        f'{t},Invocations,"thumb\nprices: {{}}",60',
        "1970-01-01T00:00:00Z,Invocations,thumbnailer,60",
    ]
    out, _result, summary = _import(tmp_path, rows, kind="cloudwatch", name="cw.csv")
    assert "4 malformed record(s) skipped" in summary
    for reason in ("negative value", "value over 10^12", "control characters", "timestamp before 2006"):
        assert reason in summary
    [w] = _assert_only_serialized_yaml(out)["workloads"]
    assert w["requests_per_month"] == 60 * 24 * 28


def test_cur_lines_dated_1970_do_not_rescale_the_month(tmp_path):
    rows = [
        "line_item_usage_start_date,line_item_product_code,line_item_usage_type,line_item_resource_id,"
        "line_item_usage_amount,line_item_unblended_cost"
    ]
    for d in range(1, 31):
        rows.append(
            f"2025-01-{d:02d}T00:00:00Z,AWSLambda,Request,arn:aws:lambda:us-east-1:1:function:p,1000,0.0002"
        )
    rows += [
        "1970-01-01T00:00:00Z,AWSLambda,Request,arn:aws:lambda:us-east-1:1:function:p,1000,0.0002",
        "2025-01-05T00:00:00Z,AWSLambda,Request,arn:aws:lambda:us-east-1:1:function:p,1e300,0.0002",
        "2025-01-05T00:00:00Z,AWSLambda,Request,arn:aws:lambda:us-east-1:1:function:p,lots,0.0002",
    ]
    out, _result, summary = _import(tmp_path, rows, kind="cur", name="cur.csv")
    [w] = _assert_only_serialized_yaml(out)["workloads"]
    assert w["requests_per_month"] == 30_000  # 30 days of 1,000: a month, as billed
    assert "3 line item(s) skipped" in summary
    for reason in ("usage start before 2006", "over 10^15", "no numeric usage amount"):
        assert reason in summary


# ---- random records ---------------------------------------------------------------------------------
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
_TIMESTAMPS = st.one_of(
    _ANY,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
)
_MODEL_IDS = st.one_of(
    _ANY, st.sampled_from([fx.HAIKU, fx.LLAMA, INJECTION]), st.text(min_size=200, max_size=400)
)
_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": _TIMESTAMPS,
        "modelId": _MODEL_IDS,
        "input": st.fixed_dictionaries({}, optional={"inputTokenCount": _ANY}),
        "output": st.fixed_dictionaries({}, optional={"outputTokenCount": _ANY}),
    },
).map(json.dumps)
_LINES = st.one_of(_RECORDS, st.text(max_size=80).filter(lambda t: "\n" not in t and "\r" not in t))
_GOOD = _month_of_records(500)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile=st.lists(_LINES, min_size=1, max_size=12))
def test_random_records_never_break_an_import(tmp_path_factory, hostile):
    """Whatever is mixed into a month of good records: no exception, a file of serializer-written
    YAML that recommend accepts, and every record either counted as used or counted as rejected."""
    tmp = tmp_path_factory.mktemp("random")
    out, _result, summary = _import(tmp, [*_GOOD, *hostile])
    data = _assert_only_serialized_yaml(out)
    used = sum(w["requests_per_month"] for w in data["workloads"])
    m = re.search(r"([\d,]+) malformed record\(s\) skipped", summary)
    rejected = int(m.group(1).replace(",", "")) if m else 0
    # blank lines are not records: spaces only, as the importer reads them (DuckDB's trim); a line of
    # other whitespace ("\t", "\x1f") is a malformed record, counted (hypothesis found "\x1f")
    blank = sum(1 for line in hostile if not line.strip(" "))
    assert used + rejected + blank == len(_GOOD) + len(hostile)
    assert used >= len(_GOOD)
