"""Each import kind on realistic fixtures: volumes match the logs, malformed records are counted and
quoted, the workload file validates and feeds recommend."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wheretorun import load_workloads, recommend
from wheretorun.cli import app
from wheretorun.errors import InputError
from wheretorun.importers import bedrock_logs, import_usage

_spec = importlib.util.spec_from_file_location(
    "import_fixtures", Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "make_fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["import_fixtures"] = fx
_spec.loader.exec_module(fx)  # type: ignore[union-attr]

runner = CliRunner()


@pytest.fixture(scope="module")
def bedrock_dir(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("logs")
    return root, fx.bedrock_logs(root)


def test_bedrock_logs_volumes_match_the_logs_exactly(bedrock_dir, tmp_path):
    root, totals = bedrock_dir
    out = tmp_path / "system.yml"
    result = import_usage("bedrock-logs", [str(root)], out)
    wf = load_workloads(out)
    by_name = {w.name: w for w in wf.workloads}
    haiku = by_name["claude-3-5-haiku"]
    llama = by_name["llama-3.1-8b"]  # the us. inference profile maps to the catalog model
    assert haiku.requests_per_month == totals[fx.HAIKU][0]  # 28 days of logs: a month, not scaled
    assert llama.requests_per_month == totals[fx.LLAMA][0]
    assert haiku.input_tokens == round(totals[fx.HAIKU][1] / totals[fx.HAIKU][0])
    assert haiku.output_tokens == round(totals[fx.HAIKU][2] / totals[fx.HAIKU][0])
    # the measured shape: business hours are 3x busier
    assert haiku.peak_to_mean > 1.5
    profile = (out.parent / haiku.traffic_profile).read_text().splitlines()
    assert profile[0] == "timestamp,requests"
    assert sum(float(line.split(",")[1]) for line in profile[1:]) == totals[fx.HAIKU][0]
    # malformed records are counted and the first ones quoted with file and line
    assert any("2 malformed record(s)" in s for s in result.summary)
    assert any(".json.gz:" in s and "not a JSON record" in s for s in result.summary)
    # and the file feeds recommend
    report = recommend(wf, file=str(out), base_dir=out.parent)
    assert {w.name for w in report.workloads} == {"claude-3-5-haiku", "llama-3.1-8b"}


def test_bedrock_logs_globs_and_single_files(bedrock_dir, tmp_path):
    root, _ = bedrock_dir
    files = sorted(root.rglob("*.json.gz"))[:5]
    out = tmp_path / "s.yml"
    import_usage("bedrock-logs", [str(files[0]), str(root / "AWSLogs/**/2025/01/01/01/*.json.gz")], out)
    assert load_workloads(out).workloads


def test_short_window_is_scaled_to_a_730_hour_month(tmp_path):
    root = tmp_path / "logs"
    fx.bedrock_logs(root, days=1, bad_lines=0)
    out = tmp_path / "s.yml"
    import_usage("bedrock-logs", [str(root)], out)
    header = out.read_text().splitlines()[1]
    assert "scaled" in header and "730-hour month" in header


def test_no_usable_record_is_exit_2(tmp_path):
    f = tmp_path / "junk.json"
    f.write_text('{"hello": 1}\nnot json\n')
    result = runner.invoke(app, ["import", "bedrock-logs", str(f), "--out", str(tmp_path / "o.yml")])
    assert result.exit_code == 2
    assert "no usable Bedrock invocation record" in result.stderr


def test_unknown_kind_and_missing_path_are_exit_2(tmp_path):
    r = runner.invoke(app, ["import", "bedrok-logs", str(tmp_path)])
    assert r.exit_code == 2 and "did you mean 'bedrock-logs'" in r.stderr
    r = runner.invoke(app, ["import", "cur", str(tmp_path / "nope.parquet")])
    assert r.exit_code == 2 and "file not found" in r.stderr


def test_inference_profile_ids_map_to_the_model_behind_them():
    assert bedrock_logs.base_model_id("us.meta.llama3-1-8b-instruct-v1:0") == "meta.llama3-1-8b-instruct-v1:0"
    arn = "arn:aws:bedrock:us-east-1:1:inference-profile/global.anthropic.claude-sonnet-4-20250514-v1:0"
    assert bedrock_logs.base_model_id(arn) == "anthropic.claude-sonnet-4-20250514-v1:0"


def test_lambda_report_lines(tmp_path):
    n = fx.lambda_report_lines(tmp_path / "aws/lambda/invoice-parser/export.log")
    out = tmp_path / "fns.yml"
    result = import_usage("lambda-logs", [str(tmp_path / "aws")], out)
    w = load_workloads(out).workloads[0]
    assert w.name == "invoice-parser"
    assert w.memory_gb == 0.5
    assert 0.1 < w.duration_s < 0.141
    assert w.duration_p99_s >= w.duration_s
    assert any("3 malformed record(s)" in s for s in result.summary)
    header = out.read_text()
    assert f"{n:,} invocations" in header and "cold starts" in header


def test_cloudwatch_csv_and_get_metric_data_json(tmp_path):
    ts = [f"2025-01-{d:02d}T{h:02d}:00:00Z" for d in range(1, 29) for h in range(24)]
    rows = ["timestamp,namespace,metric,ModelId,value"]
    for i, t in enumerate(ts):
        rows += [
            f"{t},AWS/Bedrock,Invocations,{fx.HAIKU},{10 + i % 5}",
            f"{t},AWS/Bedrock,InputTokenCount,{fx.HAIKU},{(10 + i % 5) * 900}",
            f"{t},AWS/Bedrock,OutputTokenCount,{fx.HAIKU},{(10 + i % 5) * 100}",
        ]
    (tmp_path / "bedrock.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "lambda.json").write_text(
        json.dumps(
            {
                "MetricDataResults": [
                    {
                        "Id": "a",
                        "Label": "resize-images Invocations",
                        "Timestamps": ts,
                        "Values": [100.0] * len(ts),
                    },
                    {
                        "Id": "b",
                        "Label": "resize-images Duration",
                        "Timestamps": ts,
                        "Values": [250.0] * len(ts),
                    },
                ]
            }
        )
    )
    out = tmp_path / "cw.yml"
    import_usage("cloudwatch", [str(tmp_path)], out)
    by_name = {w.name: w for w in load_workloads(out).workloads}
    expected = sum(10 + i % 5 for i in range(len(ts)))
    assert by_name["claude-3-5-haiku"].requests_per_month == expected
    assert by_name["claude-3-5-haiku"].input_tokens == 900
    assert by_name["resize-images"].requests_per_month == 100 * len(ts)
    assert by_name["resize-images"].duration_s == 0.25


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_cur_summary_and_lambda_workload(tmp_path, fmt):
    import pandas as pd

    rows = []
    for d in range(1, 31):
        base = {
            "line_item_line_item_type": "Usage",
            "line_item_usage_start_date": f"2025-01-{d:02d}T00:00:00Z",
        }
        rows += [
            {
                **base,
                "line_item_product_code": "AWSLambda",
                "line_item_usage_type": "Request",
                "line_item_resource_id": "arn:aws:lambda:us-east-1:1:function:parser",
                "line_item_usage_amount": 1000.0,
                "line_item_unblended_cost": 0.0002,
            },
            {
                **base,
                "line_item_product_code": "AWSLambda",
                "line_item_usage_type": "Lambda-GB-Second",
                "line_item_resource_id": "arn:aws:lambda:us-east-1:1:function:parser",
                "line_item_usage_amount": 2500.0,
                "line_item_unblended_cost": 0.0417,
            },
            {
                **base,
                "line_item_product_code": "AmazonEC2",
                "line_item_usage_type": "BoxUsage:g5.2xlarge",
                "line_item_resource_id": "i-1",
                "line_item_usage_amount": 24.0,
                "line_item_unblended_cost": 29.088,
            },
        ]
    rows.append(
        {
            "line_item_product_code": "AWSLambda",
            "line_item_usage_type": "Request",
            "line_item_usage_amount": "n/a",
            "line_item_unblended_cost": "x",
        }
    )
    df = pd.DataFrame(rows).astype(str) if fmt == "csv" else pd.DataFrame(rows[:-1])
    path = tmp_path / f"cur.{fmt}"
    df.to_parquet(path) if fmt == "parquet" else df.to_csv(path, index=False)
    out = tmp_path / "cur.yml"
    result = import_usage("cur", [str(path)], out)
    w = load_workloads(out).workloads[0]
    assert w.name == "parser" and w.requests_per_month == 30_000
    assert w.memory_gb * w.duration_s * w.requests_per_month == pytest.approx(75_000)  # GB-s match the bill
    assert any("BoxUsage:g5.2xlarge: 720.0 instance-hours" in s for s in result.summary)
    if fmt == "csv":
        assert any("1 line item(s)" in s for s in result.summary)


def test_cur_without_the_columns_is_exit_2(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError) as exc:
        import_usage("cur", [str(tmp_path / "x.csv")], tmp_path / "o.yml")
    assert "not a CUR 2.0 export" in str(exc.value)


def test_athena_sql_is_the_same_text_wheretorun_runs(bedrock_dir, tmp_path, monkeypatch):
    """The SQL DuckDB executes during an import and the SQL printed for Athena come from one text:
    swapping Athena's table names for wheretorun's views turns one into the other."""
    from wheretorun.importers import athena, common

    executed: list[str] = []
    real_connect = common.connect

    class Recording:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            executed.append(sql)
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    monkeypatch.setattr("wheretorun.importers.connect", lambda: Recording(real_connect()))
    root, _ = bedrock_dir
    import_usage("bedrock-logs", [str(root)], tmp_path / "s.yml")
    ran = "\n".join(executed)
    printed = athena.script("bedrock-logs")
    for template, ours in (
        (bedrock_logs.RECORDS_SQL, {"lines": "lines"}),
        (bedrock_logs.PER_MODEL_SQL, {"records": "(SELECT *, true AS is_json FROM good) AS usable"}),
    ):
        theirs = common.render(template, **athena.TABLES["bedrock-logs"])
        assert theirs in printed
        assert common.render(template, **ours) in ran
        # the only difference is the table references
        for name, ref in athena.TABLES["bedrock-logs"].items():
            theirs = theirs.replace(ref, ours.get(name, ref))
        assert theirs == common.render(template, **ours)
    # Athena has none of DuckDB's own function names
    for duck_only in ("json_extract_string", "json_valid", "quantile_cont", "regexp_matches", "time_bucket"):
        assert duck_only not in printed + athena.script("lambda-logs") + athena.script("cur")


def test_docs_show_the_printed_athena_sql():
    from wheretorun.importers import athena

    doc = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
    for kind in ("bedrock-logs", "cur"):
        assert athena.script(
            kind, "s3://my-bucket/AWSLogs/123456789012/BedrockModelInvocationLogs/"
        ) in doc or (athena.script(kind) in doc), kind


def test_print_sql_needs_no_input_and_rejects_other_dialects():
    r = runner.invoke(app, ["import", "lambda-logs", "--print-sql", "athena"])
    assert r.exit_code == 0 and "CREATE EXTERNAL TABLE lambda_lines_raw" in r.stdout
    r = runner.invoke(app, ["import", "cloudwatch", "--print-sql", "athena"])
    assert r.exit_code == 2 and "allowed: bedrock-logs, lambda-logs, cur" in r.stderr
    r = runner.invoke(app, ["import", "cur", "--print-sql", "bigquery"])
    assert r.exit_code == 2 and "allowed: athena" in r.stderr


def test_written_file_is_valid_yaml_with_provenance_comments(bedrock_dir, tmp_path):
    root, _ = bedrock_dir
    out = tmp_path / "s.yml"
    import_usage("bedrock-logs", [str(root)], out)
    text = out.read_text()
    assert text.startswith("# Imported by `wheretorun import bedrock-logs`")
    assert yaml.safe_load(text)["workloads"]


def test_binary_junk_is_exit_2_not_a_traceback(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_bytes(bytes(range(256)) * 4000)
    r = runner.invoke(app, ["import", "bedrock-logs", str(junk), "--out", str(tmp_path / "o.yml")])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output + r.stderr


def test_over_long_and_non_utf8_lines_are_counted_as_malformed(bedrock_dir, tmp_path):
    root, _ = bedrock_dir
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"a": "' + b"x" * (9 * 1024 * 1024) + b'"}\n' + b"\xff\xfe not utf-8\n")
    out = tmp_path / "s.yml"
    files = [str(p) for p in sorted(root.rglob("*.json.gz"))[:3]]
    result = import_usage("bedrock-logs", [*files, str(bad)], out)
    text = "\n".join(result.summary)
    assert "line size over maximum" in text
    assert "malformed record(s)" in text


def test_every_workload_is_measured_over_the_whole_window(tmp_path):
    """A model used only on the last day of a month of logs is a month's volume, not a day's x30."""
    root = tmp_path / "logs"
    totals = fx.bedrock_logs(root, days=28, per_hour=1, bad_lines=0)
    late = root / "AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2025/01/28/12/late.json"
    late.write_text(
        "\n".join(
            fx.bedrock_record(
                fx.START + timedelta(days=27, hours=12, minutes=i), "mistral.mistral-large-2407-v1:0", 500, 50
            )
            for i in range(7)
        )
        + "\n"
    )
    out = tmp_path / "s.yml"
    result = import_usage("bedrock-logs", [str(root)], out)
    by_name = {w.name: w for w in load_workloads(out).workloads}
    late_w = next(w for name, w in by_name.items() if "mistral" in name)
    assert late_w.requests_per_month == 7
    assert late_w.model.bedrock_id == "mistral.mistral-large-2407-v1:0"  # not in the catalog: kept as is
    assert late_w.peak_to_mean > 20  # 7 requests in one hour of 28 days
    assert by_name["claude-3-5-haiku"].requests_per_month == totals[fx.HAIKU][0]
    assert any("warning: mistral.mistral-large-2407-v1:0 has no catalog card" in s for s in result.summary)
    assert late_w.model.params_b is None  # "large" is no size
    profile = (out.parent / late_w.traffic_profile).read_text().splitlines()
    assert profile[1].startswith("2025-01-01T00:00:00Z,0")  # the idle weeks are in the profile


def test_cloudwatch_logs_export_latency_and_cost_now(tmp_path):
    """CloudWatch Logs exports put a timestamp before each JSON record; Converse logs carry latencyMs."""
    lines = []
    for i in range(600):
        ts = fx.START + timedelta(seconds=4 * i)
        record = json.loads(fx.bedrock_record(ts, fx.HAIKU, 2000, 400))
        record["output"]["outputBodyJson"] = {"metrics": {"latencyMs": 800 + (i % 100) * 10}}
        lines.append(f"{ts:%Y-%m-%dT%H:%M:%S}.000Z {json.dumps(record)}")
    (tmp_path / "export.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "s.yml"
    result = import_usage("bedrock-logs", [str(tmp_path / "export.txt")], out)
    w = load_workloads(out).workloads[0]
    assert w.duration_s == pytest.approx(1.295)  # mean of 800..1790 ms
    assert 1.7 < w.duration_p99_s <= 1.79
    text = "\n".join(result.summary)
    assert "scaled x" in text and "730-hour month" in text  # 40 minutes of logs: the summary says so
    # today's cost: tokens x genai-prices price, with the price and its source
    assert "1.2 1M tokens x $0.8 = $0.9600" in text and "genai-prices" in text


def test_cloudwatch_gaps_are_zero_filled_and_bad_points_quoted(tmp_path):
    rows = ["timestamp,metric,FunctionName,value"]
    for h in range(0, 24 * 28):
        if h % 24 < 8:
            continue  # CloudWatch omits periods without data
        t = f"{fx.START + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ}"
        rows += [f"{t},Invocations,thumbnailer,60", f"{t},Duration,thumbnailer,120.5"]
    rows += ["not-a-time,Invocations,thumbnailer,5", "2025-01-02T00:00:00Z,Invocations,thumbnailer,lots"]
    (tmp_path / "lambda.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "cw.yml"
    result = import_usage("cloudwatch", [str(tmp_path / "lambda.csv")], out)
    w = load_workloads(out).workloads[0]
    assert w.requests_per_month == 60 * 16 * 28
    profile = (out.parent / w.traffic_profile).read_text().splitlines()
    assert len(profile) - 1 == 24 * 28 - 8  # every hour from the first datapoint, zeros included
    assert profile[17].endswith(",0")
    assert w.peak_to_mean == pytest.approx(60 / (60 * 16 * 28 / (24 * 28 - 8)), rel=1e-3)
    text = "\n".join(result.summary)
    assert "2 malformed record(s)" in text
    assert "lambda.csv (line " in text and "no readable timestamp" in text and "no numeric value" in text


def test_lambda_cost_now_is_priced_from_the_catalog(tmp_path):
    fx.lambda_report_lines(tmp_path / "aws/lambda/invoice-parser/export.log", bad=0)
    result = import_usage("lambda-logs", [str(tmp_path / "aws")], tmp_path / "f.yml")
    text = "\n".join(result.summary)
    assert "Requests: 0.0005 1M requests x $0.20" in text
    assert "Duration (x86, first 6B GB-s)" in text and "[lambda/duration-x86;" in text


def test_progress_runs_the_scan_and_passes_errors_on(tmp_path):
    from wheretorun.importers.common import connect, with_progress

    con = connect()
    assert (
        with_progress(con, lambda: con.execute("SELECT count(*) FROM range(1000)").fetchone()[0], True, "x")
        == 1000
    )
    with pytest.raises(ZeroDivisionError):
        with_progress(con, lambda: 1 / 0, True, "x")


def test_import_bench_row_shape():
    from bench.import_bench import run

    (row,) = run(3000)
    assert set(row) >= {"name", "wheretorun_s", "baseline_s", "ratio", "target", "met"}
    assert row["ratio"] == pytest.approx(row["baseline_s"] / row["wheretorun_s"])
    assert "records/s" in row["name"]


@pytest.mark.parametrize(
    "bedrock_id, expected",
    [
        ("anthropic.claude-3-5-haiku-20241022-v1:0", {"id": "claude-3-5-haiku"}),  # a catalog card
        (
            "meta.llama3-2-90b-instruct-v1:0",
            {"bedrock_id": "meta.llama3-2-90b-instruct-v1:0", "params_b": 90.0},
        ),
        ("mistral.mistral-7b-instruct-v0:2", {"id": "mistral-7b"}),
        ("writer.palmyra-x5-v1:0", {"bedrock_id": "writer.palmyra-x5-v1:0"}),  # no size in the id
    ],
)
def test_model_ids_map_to_catalog_cards_or_keep_the_bedrock_id(bedrock_id, expected):
    from wheretorun.catalog.store import load_catalog

    assert bedrock_logs.model_spec(bedrock_id, load_catalog())[0] == expected


def test_s3_without_the_duckdb_extensions_is_exit_2_with_what_to_do(tmp_path, monkeypatch):
    """No network here: DuckDB cannot install its aws extension, and says so in one line."""
    from wheretorun.importers import common

    class NoExtensions:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if "SECRET" in sql:
                import duckdb

                raise duckdb.IOException('Failed to download extension "aws"\nmore')
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    real = common.connect
    monkeypatch.setattr("wheretorun.importers.connect", lambda: NoExtensions(real()))
    r = runner.invoke(app, ["import", "cur", "s3://bucket/cur/*.parquet", "--out", str(tmp_path / "o.yml")])
    assert r.exit_code == 2
    assert "cannot read S3 with your credentials" in r.stderr and "aws s3 sync" in r.stderr


def test_an_out_that_is_a_folder_is_exit_2(bedrock_dir, tmp_path):
    root, _ = bedrock_dir
    folder = tmp_path / "reports"
    folder.mkdir()
    r = runner.invoke(app, ["import", "bedrock-logs", str(root), "--out", str(folder)])
    assert r.exit_code == 2, r.output
    assert f"--out: cannot write {folder}" in r.stderr and "internal error" not in r.stderr


def _cur_day(day: str, end: str | None) -> dict:
    return {
        "line_item_line_item_type": "Usage",
        "line_item_usage_start_date": day,
        **({"line_item_usage_end_date": end} if end else {}),
        "line_item_product_code": "AWSLambda",
        "line_item_usage_type": "Request",
        "line_item_resource_id": "arn:aws:lambda:us-east-1:1:function:parser",
        "line_item_usage_amount": 10_000.0,
        "line_item_unblended_cost": 0.002,
    }


def test_one_day_of_cur_is_scaled_as_a_day_or_refused(tmp_path):
    """One daily line: with its end date, a day is 24 h (10,000 requests x 730/24 = 304,166.7 a month);
    without one, the period cannot be told, so no volume is guessed (it was taken as one hour: x730)."""
    import pandas as pd

    dated = tmp_path / "dated.csv"
    pd.DataFrame([_cur_day("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]).to_csv(dated, index=False)
    import_usage("cur", [str(dated)], tmp_path / "dated.yml")
    assert load_workloads(tmp_path / "dated.yml").workloads[0].requests_per_month == pytest.approx(
        10_000 * 730 / 24
    )
    undated = tmp_path / "undated.csv"
    pd.DataFrame([_cur_day("2025-01-01T00:00:00Z", None)]).to_csv(undated, index=False)
    with pytest.raises(InputError) as exc:
        import_usage("cur", [str(undated)], tmp_path / "undated.yml")
    (problem,) = exc.value.problems
    assert problem.path == "line_item_usage_end_date" and "cannot be told" in problem.message
    assert not (tmp_path / "undated.yml").exists()


def test_cloudwatch_datapoints_repeated_by_overlapping_exports_count_once(tmp_path):
    """Two exports of the same 28 days (an overlap, or one file listed twice): each datapoint counts
    once (it counted 4x: the latency weights joined every repeat with every repeat)."""
    ts = [f"2025-01-{d:02d}T{h:02d}:00:00Z" for d in range(1, 29) for h in range(24)]
    metrics = {
        "MetricDataResults": [
            {"Id": "a", "Label": "resize-images Invocations", "Timestamps": ts, "Values": [100.0] * len(ts)},
            {"Id": "b", "Label": "resize-images Duration", "Timestamps": ts, "Values": [250.0] * len(ts)},
        ]
    }
    for name in ("week-1-to-4.json", "again.json"):
        (tmp_path / name).write_text(json.dumps(metrics))
    out = tmp_path / "cw.yml"
    result = import_usage("cloudwatch", [str(tmp_path)], out)
    (w,) = load_workloads(out).workloads
    assert w.requests_per_month == 100 * len(ts) and w.duration_s == 0.25  # 67,200 invocations
    assert any(f"{2 * len(ts):,} repeated datapoint(s)" in s for s in result.summary)


def test_a_function_faster_than_a_millisecond_is_imported_at_1_ms(tmp_path):
    """REPORT lines of 0.85 ms beside a normal function: the fast one is written at the file's
    smallest duration, 1 ms (Lambda's billing step), and the import goes on (it failed whole)."""
    fx.lambda_report_lines(tmp_path / "aws/lambda/invoice-parser/export.log")
    fast = tmp_path / "aws/lambda/ping/export.log"
    fast.parent.mkdir(parents=True)
    lines = [
        f"2025-01-{1 + i // 100:02d}T00:{i % 60:02d}:00.000Z REPORT RequestId: p{i}\tDuration: 0.85 ms\t"
        "Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB"
        for i in range(600)
    ]
    fast.write_text("\n".join(lines) + "\n")
    out = tmp_path / "fns.yml"
    import_usage("lambda-logs", [str(tmp_path / "aws")], out)
    by_name = {w.name: w for w in load_workloads(out).workloads}
    assert by_name["ping"].duration_s == 0.001 and by_name["ping"].duration_p99_s == 0.001
    assert 0.1 < by_name["invoice-parser"].duration_s < 0.141


def test_one_absurd_bedrock_latency_is_a_malformed_record_not_the_mean(tmp_path):
    """4e13 ms in one record among 3,000 at 800 ms made duration_s 154 days: it is rejected."""
    from datetime import datetime, timedelta

    def timed(i: int, latency: float) -> str:
        record = json.loads(
            fx.bedrock_record(datetime(2025, 1, 1) + timedelta(minutes=13 * i), fx.HAIKU, 900, 100)
        )
        record["output"]["outputBodyJson"] = {"metrics": {"latencyMs": latency}}
        return json.dumps(record)

    logs = tmp_path / "logs.json"
    logs.write_text("\n".join([timed(i, 800) for i in range(3000)] + [timed(3000, 4e13)]) + "\n")
    out = tmp_path / "b.yml"
    result = import_usage("bedrock-logs", [str(logs)], out)
    (w,) = load_workloads(out).workloads
    assert w.duration_s == 0.8
    assert any("1 malformed record(s)" in s for s in result.summary)


def test_functions_whose_names_make_the_same_workload_name_are_both_imported(tmp_path):
    """My_Fn and my-fn both slug to my-fn: the second is my-fn-2 (the import failed on the duplicate)."""
    for fn in ("My_Fn", "my-fn"):
        fx.lambda_report_lines(tmp_path / f"aws/lambda/{fn}/export.log", n=200, bad=0)
    out = tmp_path / "fns.yml"
    import_usage("lambda-logs", [str(tmp_path / "aws")], out)
    names = sorted(w.name for w in load_workloads(out).workloads)
    assert names == ["my-fn", "my-fn-2"]
    assert sorted(p.name for p in tmp_path.glob("fns.*.csv")) == ["fns.my-fn-2.csv", "fns.my-fn.csv"]
