"""What a new user meets first: --version, clean help, honest formats, install hints, breakeven."""

from __future__ import annotations

import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ai-product.yml"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"wheretorun {version('wheretorun')}\n"


@pytest.mark.parametrize(
    "command", [[], ["recommend"], ["breakeven"], ["size"], ["serve"], ["prices", "show"]]
)
def test_flags_show_no_bool_placeholder(command: list[str]) -> None:
    result = run(*command, "--help", env={"COLUMNS": "100"})
    assert result.exit_code == 0 and "--help" in result.stdout
    assert "<bool>" not in result.stdout


def test_details_written_to_a_file_is_the_table_not_json(tmp_path: Path) -> None:
    result = run("recommend", str(EXAMPLE), "--details")  # stdout is not a terminal here
    assert result.exit_code == 0
    assert not result.stdout.lstrip().startswith("{") and "Invoice: lambda" in result.stdout


def test_details_with_another_format_is_refused() -> None:
    result = run("recommend", str(EXAMPLE), "--details", "--format", "json")
    assert result.exit_code == 2 and "--details: shapes the table only" in result.stderr


@pytest.mark.parametrize(
    ("args", "module", "hint"),
    [
        (["recommend", str(EXAMPLE), "--format", "html"], "altair", "pip install 'wheretorun[charts]'"),
        (["recommend", str(EXAMPLE), "--format", "html"], "vl_convert", "pip install 'wheretorun[charts]'"),
        (["serve", "--port", "8765"], "uvicorn", "pip install 'wheretorun[web]'"),
    ],
)
def test_a_missing_extra_is_the_users_to_install(
    monkeypatch: pytest.MonkeyPatch, args: list[str], module: str, hint: str
) -> None:
    from wheretorun.report import charts

    monkeypatch.setattr(charts, "_charts_extra", False)  # forget an earlier test's successful check
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert hint in result.stderr and "internal error" not in result.stderr


def _money(cell: str) -> float:
    return float(cell.replace("$", "").replace(",", ""))


def _tokens(cell: str) -> float:
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    return float(cell[:-1]) * scale[cell[-1]] if cell[-1] in scale else float(cell)


@pytest.mark.parametrize(
    ("example", "workload"),
    [
        ("self-hosted-70b.yml", "llama-70b-api"),
        ("ai-product.yml", "nightly-documents"),
    ],
)
def test_breakeven_agrees_with_its_table(example: str, workload: str) -> None:
    """The stated volume lies between the last row where Bedrock is cheaper and the first row from
    which self-hosting stays cheaper, and one unit family (K/M/B/T) is used throughout."""
    result = run("breakeven", str(ROOT / "examples" / example), "-w", workload, env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    m = re.search(r"from ([\d.,]+[KMBT])\s+tokens/month", text)
    row = r"^\s+([\d.,]+[KMBT]?)\s+(\$[\d,.]+)\s+(\$[\d,.]+)\s+(?:.*\s)?(bedrock|self-hosted\*?)\s*$"
    rows = re.findall(row, text, flags=re.M)
    assert m and len(rows) >= 20, text
    stated = _tokens(m.group(1))
    losing = [_tokens(t) for t, b, h, _ in rows if _money(h) > _money(b)]
    for_good = [_tokens(t) for t, _, _, cheaper in rows if cheaper == "self-hosted"]
    assert losing and for_good
    assert max(losing) < stated <= min(for_good)
    # a row where self-hosting wins below the break-even is marked as a passing win, never plain
    assert all(c == "self-hosted*" for t, b, h, c in rows if _money(h) <= _money(b) and _tokens(t) < stated)
    assert not re.search(r"\d,\d{3}(\.\d)?[MB]\b", text)  # never "236,520.0M" beside "237B"


def test_prices_show_models_reads_whole_at_80_columns() -> None:
    result = run("prices", "show", "--service", "models", env={"COLUMNS": "80"})
    assert result.exit_code == 0 and "…" not in result.stdout
    assert max(len(line.rstrip()) for line in result.stdout.splitlines()) <= 80
    row = next(line for line in result.stdout.splitlines() if line.split()[:1] == ["claude-3-5-haiku"])
    assert row.split()[-2:] == ["0.80", "4"]  # Bedrock's $0.80 in / $4 out per 1M tokens, whole


@pytest.mark.parametrize(
    "extra",
    [[], ["--rate", "2", "--max-ttft-ms", "2000", "--input-tokens", "1000", "--output-tokens", "300"]],
    ids=["unloaded", "at a rate with a target"],
)
def test_size_reads_whole_at_80_columns(extra: list[str]) -> None:
    result = run("size", "--model", "llama-3.1-70b", "--precision", "fp8", *extra, env={"COLUMNS": "80"})
    assert result.exit_code == 0 and "…" not in result.stdout
    assert max(len(line.rstrip()) for line in result.stdout.splitlines()) <= 80
    h200 = next(line.split() for line in result.stdout.splitlines() if line.startswith(" 1x H200"))
    # the H200 row keeps its whole instance type and its price per hour ($63.296 in the catalog)
    assert h200[2:5] == ["76.5", "p5en.48xlarge", "$63.296"]
    if extra:  # the serving figures come in tables of their own, every column present
        for header in ("TTFT p99", "max conc.", "max req/s", "latency s"):
            assert header in result.stdout


def test_serve_on_a_port_in_use_is_the_users_to_change() -> None:
    """uvicorn exits 3 when it cannot bind (the --fail-above status): serve checks first, exit 2."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.exit_code == 2, result.output
    assert f"--port: cannot listen on 127.0.0.1:{port}: the port is in use" in result.stderr


def test_serve_on_an_address_that_is_not_this_machines() -> None:
    result = run("serve", "--host", "999.1.1.1", "--port", "18791")
    assert result.exit_code == 2, result.output
    assert "--host: cannot listen on 999.1.1.1: not an address of this machine" in result.stderr


@pytest.mark.parametrize("name", ["[/]", "[/bold]", "[bold]b", ":x: :smile:"])
def test_a_name_that_looks_like_rich_markup_is_printed_as_written(tmp_path, name: str) -> None:
    """Tables quote the user's names: a name is text, never Rich markup (it crashed) or emoji."""
    f = tmp_path / "w.yml"
    f.write_text(
        f'workloads:\n  - {{name: "{name}", role: glue, requests_per_month: 1000, duration_s: 0.1}}\n'
    )
    for args in (
        ("recommend", str(f), "--format", "table"),
        ("recommend", str(f), "--format", "table", "--details"),
        ("diff", str(f), str(f)),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert name in result.stdout and "internal error" not in result.stderr
