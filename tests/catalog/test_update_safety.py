"""`prices update` as an unlucky operator meets it: a folder that is not a catalog is refused and left
alone; a failure or a crash at any step of the swap leaves a whole catalog (the old one or the new
one, never none and never a mix) and never loses prices refreshed before; a second update at the
same time is refused."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.catalog.store import DATA_DIR, MARKER, catalog_files_dir, load_catalog_dir
from wheretorun.catalog.update import update_catalog
from wheretorun.cli import app
from wheretorun.errors import InputError

_spec = importlib.util.spec_from_file_location(
    "import_fixtures", Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "make_fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["import_fixtures"] = fx
_spec.loader.exec_module(fx)  # type: ignore[union-attr]

runner = CliRunner()
EMBEDDED_VCPU = Decimal("0.04048")  # fargate/vcpu-x86 us-east-1 in the shipped fargate.yml
EMBEDDED_REQUESTS = Decimal("0.20")  # lambda/requests us-east-1, per 1M requests


def _mirror(root: Path, vcpu: str, request_per_1m: str) -> Path:
    """Fargate and Lambda offers for us-east-1 (Lambda's request price is per request in the offer).
    The two smallest price files: an update takes a fraction of a second, and the faults below are
    injected at every one of its steps."""
    per_request = str(Decimal(request_per_1m) / 1_000_000)
    return fx.write_mirror(
        root,
        {
            ("AmazonECS", "us-east-1"): fx.fargate_offer("us-east-1", vcpu=vcpu),
            ("AWSLambda", "us-east-1"): fx.lambda_offer("us-east-1", request=per_request),
        },
    )


def _figures(target: Path) -> tuple[Decimal, Decimal]:
    """(fargate/vcpu-x86, lambda/requests) in us-east-1 as the runtime reads the catalog copy."""
    prices = load_catalog_dir(target).prices
    return prices["fargate/vcpu-x86"].regions["us-east-1"], prices["lambda/requests"].regions["us-east-1"]


def _run_cli(target: Path, mirror: Path):
    return runner.invoke(
        app,
        ["prices", "update", "--region", "us-east-1", "--service", "fargate", "--service", "lambda"]
        + ["--from-dir", str(mirror), "--catalog-dir", str(target)],
    )


# ---- what is a catalog ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "contents",
    [
        {"notes.txt": "my notes"},  # a folder of someone's files
        {"ec2.yml": "my own ec2 notes: not a catalog\n", "todo.md": "x"},  # a catalog name among others
        {"ec2.yml": "prices: [oops\n"},  # only catalog names, but not a catalog
        {"versions/mine.txt": "a user's own versions folder"},
    ],
    ids=["foreign files", "foreign file beside a catalog name", "broken yml", "foreign versions folder"],
)
def test_a_folder_that_is_not_a_catalog_is_refused_and_left_alone(tmp_path, contents):
    target = tmp_path / "target"
    for name, text in contents.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    before = sorted((str(p.relative_to(target)), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    r = _run_cli(target, _mirror(tmp_path / "m", "0.045", "0.18"))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert f"--catalog-dir: {target} is not a wheretorun catalog" in r.stderr
    assert "nothing was changed" in r.stderr
    after = sorted((str(p.relative_to(target)), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "target"]  # no sibling written either


def test_a_file_as_catalog_dir_is_refused(tmp_path):
    target = tmp_path / "catalog"
    target.write_text("precious")
    r = _run_cli(target, _mirror(tmp_path / "m", "0.045", "0.18"))
    assert r.exit_code == 2 and "it is a file, not a folder" in r.stderr
    assert target.read_text() == "precious"


def test_a_new_or_empty_folder_is_seeded_from_the_embedded_catalog(tmp_path):
    mirror = _mirror(tmp_path / "m", "0.045", "0.18")
    for target in (tmp_path / "new" / "catalog", tmp_path / "empty"):
        if target.name == "empty":
            target.mkdir()
        assert _run_cli(target, mirror).exit_code == 0
        assert _figures(target) == (Decimal("0.045"), Decimal("0.18"))
        assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "versions"])


def test_a_copy_written_by_an_earlier_version_is_migrated_with_its_prices(tmp_path):
    """Earlier `prices update` wrote the data files at the folder's top level: they are read (their
    refreshed price kept), the new layout written, and the old files removed once it is current."""
    target = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, target)
    fargate = target / "fargate.yml"
    fargate.write_text(fargate.read_text().replace('us-east-1: "0.04048"', 'us-east-1: "0.044"', 1))
    assert _figures(target)[0] == Decimal("0.044")
    # refresh Lambda only: Fargate's figure must come from the copy, not the embedded catalog
    mirror = fx.write_mirror(
        tmp_path / "m", {("AWSLambda", "us-east-1"): fx.lambda_offer("us-east-1", request="0.00000018")}
    )
    update_catalog(target, ["lambda"], ["us-east-1"], mirror)
    assert _figures(target) == (Decimal("0.044"), Decimal("0.18"))
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "versions"])


def test_an_unreadable_current_version_is_an_error_not_a_reseed(tmp_path):
    target = tmp_path / "catalog"
    mirror = _mirror(tmp_path / "m", "0.045", "0.18")
    update_catalog(target, ["fargate"], ["us-east-1"], mirror)
    shutil.rmtree(catalog_files_dir(target))
    with pytest.raises(InputError) as exc:
        update_catalog(target, ["fargate"], ["us-east-1"], mirror)
    assert "its catalog cannot be read" in str(exc.value) and "nothing was changed" in str(exc.value)


def test_a_concurrent_update_is_refused(tmp_path):
    target = tmp_path / "catalog"
    mirror = _mirror(tmp_path / "m", "0.045", "0.18")
    update_catalog(target, ["fargate"], ["us-east-1"], mirror)
    held = os.open(target, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(InputError) as exc:
            update_catalog(target, ["fargate", "lambda"], ["us-east-1"], mirror)
        assert "another `prices update` is writing this catalog" in str(exc.value)
    finally:
        os.close(held)
    assert _figures(target) == (Decimal("0.045"), EMBEDDED_REQUESTS)


def test_two_versions_are_kept_and_older_ones_removed(tmp_path):
    target = tmp_path / "catalog"
    for i, price in enumerate(("0.045", "0.042", "0.041")):
        update_catalog(target, ["fargate"], ["us-east-1"], _mirror(tmp_path / f"m{i}", price, "0.18"))
    assert _figures(target)[0] == Decimal("0.041")
    assert len(list((target / "versions").iterdir())) == 2  # the current and the previous one


# ---- faults at every step --------------------------------------------------------------------------
#: every call by which an update changes the disk or makes it durable (pathlib, shutil and
#: files.write_atomically all go through these): each staged file is synced once written, so a
#: fault at each fsync also stands for one after the file before it
STEPS = [(os, "mkdir"), (os, "fsync"), (os, "rename"), (os, "replace"), (os, "unlink"), (os, "rmdir")]


class Fault(OSError):
    pass


def _inject(monkeypatch: pytest.MonkeyPatch, at: int | None, crash: bool) -> list[str]:
    """Count the STEPS calls; the ``at``-th raises (or, with ``crash``, ends the process at once)."""
    # the parsed-YAML cache (_perf.parsed_yaml) writes on its first read only: not the update's steps
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", "")
    calls: list[str] = []
    for module, name in STEPS:
        real = getattr(module, name)

        def step(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            if len(calls) == at:
                if crash:
                    os._exit(70)  # as kill -9 would: no except, no finally, no atexit
                raise Fault(28, f"injected failure at {_name}")
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, step)
    return calls


OLD, NEW = (Decimal("0.045"), Decimal("0.18")), (Decimal("0.042"), Decimal("0.17"))


def _refreshed_twice(base: Path) -> Path:
    """A catalog copy refreshed twice (figures now OLD), so the next update also removes a version."""
    target = base / "catalog"
    update_catalog(target, ["fargate", "lambda"], ["us-east-1"], _mirror(base / "older", "0.05", "0.19"))
    update_catalog(target, ["fargate", "lambda"], ["us-east-1"], _mirror(base / "old", "0.045", "0.18"))
    return target


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """(a catalog copy refreshed twice, the next update's offers, the disk calls that update makes)."""
    base = tmp_path_factory.mktemp("before")
    target = _refreshed_twice(base)
    mirror = _mirror(base / "new", "0.042", "0.17")
    trial = base / "trial"
    shutil.copytree(target, trial)
    with pytest.MonkeyPatch.context() as mp:
        calls = _inject(mp, None, crash=False)
        update_catalog(trial, ["fargate", "lambda"], ["us-east-1"], mirror)
    assert _figures(trial) == NEW
    assert set(calls) == {"mkdir", "fsync", "rename", "replace", "unlink", "rmdir"}
    return target, mirror, len(calls)


def _check_after_fault(target: Path, tmp_path: Path, at: int) -> None:
    """A whole catalog, old or new; the next update works; the refreshed prices were never lost."""
    state = _figures(target)
    assert state in (OLD, NEW), f"step {at}: {state}"
    assert EMBEDDED_VCPU not in state
    # the next update (Lambda only) works, and Fargate's refreshed figure is still there
    mirror = fx.write_mirror(
        tmp_path / f"next-{at}",
        {("AWSLambda", "us-east-1"): fx.lambda_offer("us-east-1", request="0.00000016")},
    )
    update_catalog(target, ["lambda"], ["us-east-1"], mirror)
    assert _figures(target) == (state[0], Decimal("0.16")), f"step {at}"
    versions = sorted(p.name for p in (target / "versions").iterdir())
    assert len(versions) <= 2 and not any(v.startswith(".") for v in versions), f"step {at}: {versions}"
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "versions"])


def test_a_failure_at_any_step_leaves_a_whole_catalog_and_the_next_update_works(tmp_path, before):
    prepared, new, n = before
    for at in range(1, n + 1):
        base = tmp_path / f"raise-{at}"
        target = base / "catalog"
        shutil.copytree(prepared, target)
        with pytest.MonkeyPatch.context() as mp:
            _inject(mp, at, crash=False)
            # the failure surfaces, or the tidying after the swap swallowed it
            with contextlib.suppress(Fault, InputError):
                update_catalog(target, ["fargate", "lambda"], ["us-east-1"], new)
        _check_after_fault(target, base, at)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a crash is simulated in a forked process")
def test_a_crash_at_any_step_leaves_a_whole_catalog_and_the_next_update_works(tmp_path, before):
    prepared, new, n = before
    crashed = 0
    for at in range(1, n + 1):
        base = tmp_path / f"crash-{at}"
        target = base / "catalog"
        shutil.copytree(prepared, target)
        pid = os.fork()
        if pid == 0:  # the update, ended abruptly at step `at`
            try:
                with pytest.MonkeyPatch.context() as mp:
                    _inject(mp, at, crash=True)
                    update_catalog(target, ["fargate", "lambda"], ["us-east-1"], new)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        crashed += os.waitstatus_to_exitcode(status) == 70
        _check_after_fault(target, base, at)
    assert crashed == n  # every step was reached, and crashed at
