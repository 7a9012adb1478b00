"""The terminal view as a FinOps lead reads it at 80 columns: short, nothing cut, in question order."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun import load_workloads, recommend
from wheretorun.cli import app
from wheretorun.report.adr import opened_keys, ordered_trace, short_reason, why_sentence
from wheretorun.report.markdown import render_markdown
from wheretorun.report.model import Blocker, MonthlyCost, Option, TraceStep
from wheretorun.report.table import render_table

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ai-product.yml"
runner = CliRunner()


@pytest.fixture(scope="module")
def report():
    return recommend(load_workloads(EXAMPLE))


@pytest.fixture(scope="module")
def at80() -> str:
    result = runner.invoke(app, ["recommend", str(EXAMPLE), "--format", "table"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_demo_fits_sixty_one_lines_of_eighty_columns(at80: str) -> None:
    # 60 lines, and one for the file's shared costs (a row of the system total, issue 15)
    lines = at80.splitlines()
    assert len(lines) <= 61, "\n".join(lines)
    assert max(len(line.rstrip()) for line in lines) <= 80


def test_at_80_columns_no_figure_or_instance_type_is_cut(report, at80: str) -> None:
    assert "…" not in at80 and "..." not in at80
    for w in report.workloads:
        for o in [*w.options, *w.model_options]:
            if o.feasible:
                # each feasible option: its total and its instance type, whole
                assert f"${o.monthly_cost_usd.total:,.2f}" in at80, o.platform
                if o.instance_type:
                    # a Fargate task's size is shown without the word "task" ("0.25 vCPU / 2 GB"), its
                    # architecture beside the platform ("fargate (arm64)   0.25 vCPU / 2 GB")
                    size, arm, _ = o.instance_type.partition(", arm64")
                    shown = size.removesuffix(" task")
                    if arm:
                        shown = f"{o.platform} (arm64)"
                        assert re.search(
                            rf"{re.escape(shown)}\s+{re.escape(size.removesuffix(' task'))}", at80
                        )
                    assert shown in at80 or shown.replace(" ", "\n") in at80
    assert f"${report.total_monthly_cost_usd:,.2f}" in at80


def test_one_line_per_feasible_option_and_blocked_platforms_grouped_once(report, at80: str) -> None:
    blocks = re.split(r"^\S.*─+$", at80, flags=re.M)[1:]  # a block per workload, under its rule
    assert len(blocks) == len(report.workloads)
    for w, block in zip(report.workloads, blocks, strict=True):
        rows = [line for line in block.splitlines() if re.search(r"\$[\d,]+\.\d\d\s*$", line)]
        feasible = [o for o in [*w.options, *w.model_options] if o.feasible]
        assert len(rows) - (1 if w is report.workloads[-1] else 0) >= len(feasible)
        blocked = " ".join(
            line for line in block.split("blocked:", 1)[-1].splitlines() if "warning" not in line
        )
        for o in [*w.options, *w.model_options]:
            if not o.feasible:
                assert re.search(rf"\b{re.escape(o.platform)}\b", blocked), (w.name, o.platform)


def test_the_why_sentence_of_the_demo(report) -> None:
    by_name = {w.name: w for w in report.workloads}
    # rag-retrieval: lambda $455.60 vs sagemaker-serverless $498.00 -> 498.00 - 455.60 = $42.40
    assert why_sentence(by_name["rag-retrieval"]) == (
        "Cheapest with engineering, $42.40/month below sagemaker-serverless (serverless 2 GB)."
    )
    # support-agent: lambda on arm64 = 2M x $0.20/1M + 20M GB-s x $0.0000133334 + 2M x $1.00/1M HTTP API
    # = $0.40 + $266.668 + $2.00 = $269.07 infra + $440 engineering = $709.07, vs step-functions, whose
    # Lambda steps run on arm64 too: $897.41 on x86 less 20M GB-s x ($0.0000166667 - $0.0000133334)
    # = $66.67 -> $830.75; 830.75 - 709.07 = $121.68; bedrock alone serves the model
    assert why_sentence(by_name["support-agent"]) == (
        "Code: cheapest with engineering, $121.68/month below step-functions; "
        "model: the only option no hard limit rules out."
    )
    # nightly-documents: bedrock-batch alone $375.50 (its $130.00 fixed engineering included) vs
    # bedrock $451.00 - $110.00 bedrock fixed engineering, which support-agent's model opens anyway:
    # $341.00 -> the file pays 375.50 - 341.00 = $34.50/month less with it on bedrock
    assert why_sentence(by_name["nightly-documents"], opened_keys(report)) == (
        "Joint placement, $34.50/month below bedrock-batch in this file."
    )


def test_the_system_total_lists_the_shared_costs_once(report, at80: str) -> None:
    # ai-product opens lambda ($330), bedrock ($110), ecs-ec2 ($1,500) and ecs-ec2:gpu ($1,140) fixed
    # engineering: 330 + 110 + 1,500 + 1,140 = $3,080.00, and the VPC's NAT gateways 2 x 730 h x $0.045 =
    # $65.70: one row at 80 columns (65.70 + 3,080.00 = $3,145.70), one per cost when wide
    assert re.search(r"shared\s+5 lines, once per file\s+\$65\.70\s+\$3,080\.00\s+\$3,145\.70", at80)
    wide = render_table(report, width=160)
    for label, usd in [
        ("lambda fixed engineering", "$330.00"),
        ("bedrock fixed engineering", "$110.00"),
        ("ecs-ec2 fixed engineering", "$1,500.00"),
        ("ecs-ec2:gpu fixed engineering", "$1,140.00"),
    ]:
        assert re.search(rf"shared\s+{re.escape(label)}\s.*{re.escape(usd)}\s*$", wide, re.M), label


def _option(platform: str, total: str, notes: list[str] | None = None) -> Option:
    t = Decimal(total)
    return Option(
        platform=platform,
        feasible=True,
        layer="model",
        monthly_cost_usd=MonthlyCost(infra=t, ops=Decimal(0), total=t),
        notes=notes or [],
    )


def test_the_why_sentence_names_a_cheaper_option_the_team_should_not_run(report) -> None:
    w = report.workloads[1].model_copy(
        update={
            "options": [
                _option("lambda", "500"),
                _option("eks-ec2", "300", ["not recommended: ops_capacity: none"]),
            ],
            "model_options": [],
        }
    )
    w.recommendation = w.recommendation.model_copy(update={"platform": "lambda"})
    # 500 - 300 = $200.00 cheaper, excluded for the team
    assert why_sentence(w) == "Eks-ec2 costs $200.00/month less but is not recommended: ops_capacity: none."


@pytest.mark.parametrize(
    ("limit", "value", "short"),
    [
        ("Lambda GPU support", "none (CPU only)", "no GPU"),  # a known limit: a few words
        ("Weights available to deploy", "proprietary models are API-only", "API-only model"),
        ("AWS Batch job start (queueing) [batch/job-start-s]", "180 s", "job start 180 s"),  # with its number
        (
            "Maximum function timeout (15 minutes) [lambda/timeout]",
            "900 s",
            "Maximum function timeout: 900 s",
        ),
    ],
)
def test_short_reasons_keep_the_number(limit: str, value: str, short: str) -> None:
    o = Option(platform="x", feasible=False, blockers=[Blocker(limit=limit, value=value, workload_needs="y")])
    assert short_reason(o) == short


def test_details_trace_runs_in_question_order(report) -> None:
    text = render_table(report, details=True, width=200)
    for block in text.split("Why, question by question")[1:]:
        numbers = [int(n) for n in re.findall(r"^\s+(?:\[orchestration\] )?(\d)\. ", block, flags=re.M)]
        assert numbers == sorted(numbers) and numbers, block[:400]


def test_ordered_trace_numbers_within_each_layer_then_the_checks() -> None:
    steps = [
        TraceStep(question=q, answer="", because="")
        for q in (
            "[orchestration] 1. a",
            "[orchestration] Which platforms break a hard limit?",
            "[orchestration] 7. b",
            "[orchestration] 5. c",
            "[model] 1. d",
            "[model] 4. e",
            "[model] 2. f",
            "At what volume?",
        )
    ]
    assert [s.question for s in ordered_trace(steps)] == [
        "[orchestration] 1. a",
        "[orchestration] 5. c",
        "[orchestration] 7. b",
        "[orchestration] Which platforms break a hard limit?",
        "[model] 1. d",
        "[model] 2. f",
        "[model] 4. e",
        "At what volume?",
    ]


def test_markdown_and_html_do_not_number_the_numbered_questions(report) -> None:
    md = render_markdown(report)
    assert not re.search(r"^\d+\. \*\*(\[\w+\] )?\d\.", md, flags=re.M)  # was "5. **7.** Does the work"
    assert "- **[orchestration] 7. Does the work take more than 15 minutes?**" in md


def test_sources_are_named_not_numbered(report) -> None:
    schema = runner.invoke(app, ["schema"]).stdout
    for text in (render_table(report, details=True, width=200), render_markdown(report), schema):
        assert not re.search(r"\bseed [12]\b", text, flags=re.I)
    assert "the playbook" in render_markdown(report)


def test_control_characters_in_a_name_never_reach_the_terminal_and_html_never_reaches_markdown(
    report,
) -> None:
    """Names are validated at the edge too (issue 10); the renderers escape whatever they get."""
    name = "a\x1b[2Jb<img src=x onerror=alert(1)>"
    w = report.workloads[1].model_copy(update={"name": name})
    hostile = report.model_copy(update={"workloads": [w]})
    text = render_table(hostile, details=True, width=100)
    assert "\x1b" not in text and "a\\x1b[2Jb" in text
    md = render_markdown(hostile)
    assert "<img" not in md and "&lt;img src=x" in md
