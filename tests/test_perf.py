"""The performance machinery (``wheretorun._perf``) and its one cache policy: caches are bounded and
keyed by value, and the shortcuts around pydantic's constructors and serialiser give exactly what
the plain code gives."""

from __future__ import annotations

import ast
import datetime as dt
import gc
import io
import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wheretorun
from wheretorun import _perf
from wheretorun._perf import (
    Bounded,
    construct,
    memo,
    parsed_yaml,
    read_yaml,
    rebuild,
    splice_list,
    start_up_done,
    start_up_paused,
)
from wheretorun.results import Blocker

SRC = Path(wheretorun.__file__).parent


def test_a_memo_is_bounded_and_drops_the_least_recently_used():
    calls: list[int] = []

    @memo(maxsize=2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(1), square(2), square(1), square(3)] == [1, 4, 1, 9]  # 3 evicts 2 (1 was used since)
    assert [square(1), square(2)] == [1, 4]  # 1 still cached, 2 computed again
    assert calls == [1, 2, 3, 2]


def test_bounded_keeps_at_most_maxsize_and_computes_each_missing_key_once():
    cache: Bounded[str, int] = Bounded(2)
    computed: list[str] = []

    def value(k: str) -> int:
        computed.append(k)
        return len(k)

    for k in ["a", "bb", "a", "ccc", "bb", "a"]:
        assert cache.get(k, lambda k=k: value(k)) == len(k)
        assert len(cache) <= 2
    # a, bb, (a hit), ccc evicts bb, bb evicts a, a evicts ccc
    assert computed == ["a", "bb", "ccc", "bb", "a"]


@pytest.mark.parametrize("maxsize", [0, -1])
def test_an_unbounded_cache_is_refused(maxsize):
    with pytest.raises(ValueError, match="bounded"):
        memo(maxsize)
    with pytest.raises(ValueError, match="bounded"):
        Bounded(maxsize)


BLOCKER = {
    "limit": "lambda/timeout-max",
    "value": "900 s",
    "workload_needs": "1,200 s",
    "source": "limits.yml",
}


def test_construct_and_rebuild_give_the_validated_model():
    validated = Blocker.model_validate(BLOCKER)
    built = construct(Blocker, **BLOCKER)
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert rebuild(Blocker, dict(validated.__dict__)) == validated


def test_construct_with_fields_missing_fills_the_defaults_as_pydantic_does():
    partial = {k: v for k, v in BLOCKER.items() if k != "source"}
    assert construct(Blocker, **partial) == Blocker.model_construct(**partial)


def test_rebuild_is_what_the_inventory_pickler_calls():
    from wheretorun.decide.inventory import _dumps

    validated = Blocker.model_validate(BLOCKER)
    assert pickle.loads(_dumps([validated])) == [validated]


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8)), max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_a_spliced_list_is_the_whole_document_byte_for_byte(items):
    """Each item serialised on its own and spliced in gives the bytes of the whole document, whatever
    the items hold (nested objects, newlines and quotes in strings). ``Report.write_json`` relies on
    it (tests/report/test_json_contract.py checks that on a real report)."""
    doc = {"format": 1, "rows": items, "tail": ["x\n", {"y": []}]}
    whole = (json.dumps(doc, indent=2) + "\n").encode()
    skeleton = (json.dumps({**doc, "rows": []}, indent=2) + "\n").encode()
    out = io.BytesIO()
    assert splice_list(out, skeleton, b"rows", (json.dumps(i, indent=2).encode() for i in items))
    assert out.getvalue() == whole


def test_splice_list_refuses_a_skeleton_without_the_list_and_writes_nothing():
    out = io.BytesIO()
    assert not splice_list(out, b'{\n  "other": []\n}\n', b"rows", [b"1"])
    assert out.getvalue() == b""


# ---- the policy holds across the code -------------------------------------------------------------
#: Caches written before ``_perf`` in modules other branches are restructuring (issue #11): each
#: moves to ``_perf`` there. A new cache anywhere else fails this test.
NOT_YET_MOVED: dict[str, int] = {}
#: ``id()`` in cache keys, in the same modules: to key on ``Catalog.digest`` instead. (report/charts.py
#: compares the identity of two options within one call: no cache.)
ID_KEYS = {"report/charts.py": 2}


def _caches(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            name = node.attr if isinstance(node, ast.Attribute) else node.id
            if name in ("lru_cache", "cache") and not (
                isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
            ):
                count += 1
    return count


def _ids(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "id"
    )


def test_no_new_cache_is_keyed_by_id():
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        n = _ids(path)
        if n:
            found[path.relative_to(SRC).as_posix()] = n
    assert {k: v for k, v in found.items() if k not in ID_KEYS} == {}
    assert "catalog/store.py" not in found  # priced_instances: keyed by the catalog's digest


def test_every_cache_decorator_is_perfs_memo():
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "_perf.py":
            continue
        n = _caches(path)
        if n:
            found[rel] = n
    assert {k: v for k, v in found.items() if k not in NOT_YET_MOVED} == {}


# ---- start-up: the parsed-YAML disk cache and the collector's pause ---------------------------------
YAML_WITH_EVERY_KIND = b"""
prices:
  - {key: a, usd: 0.0000166667, as_of: 2026-11-22, verified: true, tiers: [1, 2.5, null]}
  - {key: b, when: 2026-11-22T10:00:00, note: "caf\xc3\xa9 \\u0007"}
shaped_like_a_date: {$date: not a date}
"""


def test_parsed_yaml_gives_what_yaml_gives_from_the_cache_too(tmp_path, monkeypatch):
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", str(tmp_path))
    expected = read_yaml(YAML_WITH_EVERY_KIND)
    first = parsed_yaml(YAML_WITH_EVERY_KIND)
    assert first == expected
    # the one mapping shaped like an encoded date cannot round-trip: nothing is written for it
    assert list(tmp_path.glob("*.json")) == []
    plain = b"a: 2026-11-22\nb: [1, 2.5, true, null, '2026-11-22']\n"
    assert parsed_yaml(plain) == read_yaml(plain)
    [entry] = tmp_path.glob("*.json")
    assert parsed_yaml(plain) == {"a": dt.date(2026, 11, 22), "b": [1, 2.5, True, None, "2026-11-22"]}
    # what the entry holds is what is returned: proof the second call read it, not the YAML
    entry.write_text('{"a": "from the cache"}')
    assert parsed_yaml(plain) == {"a": "from the cache"}


def test_a_damaged_entry_or_an_unwritable_folder_only_costs_a_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", str(tmp_path))
    raw = b"k: [1, 2]\n"
    parsed_yaml(raw)
    [entry] = tmp_path.glob("*.json")
    entry.write_bytes(b'{"k": [1,')  # cut short
    assert parsed_yaml(raw) == {"k": [1, 2]}
    assert json.loads(entry.read_text()) == {"k": [1, 2]}  # written anew
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", str(blocked / "cache"))
    assert parsed_yaml(raw) == {"k": [1, 2]}
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", "")  # empty: no disk cache at all
    assert parsed_yaml(b"x: 1\n") == {"x": 1}


def test_the_disk_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_perf, "DISK_ENTRIES", 3)
    for i in range(5):
        parsed_yaml(f"n: {i}\n".encode())
    assert len(list(tmp_path.glob("*.json"))) == 3


def test_the_catalog_read_through_the_cache_is_the_catalog(tmp_path, monkeypatch):
    from wheretorun.catalog.store import DATA_DIR, load_catalog_dir

    monkeypatch.setenv("WHERETORUN_CACHE_DIR", "")
    direct = load_catalog_dir(DATA_DIR)
    monkeypatch.setenv("WHERETORUN_CACHE_DIR", str(tmp_path))
    load_catalog_dir(DATA_DIR)  # writes the entries
    assert len(list(tmp_path.glob("*.json"))) == len(list(DATA_DIR.glob("*.yml")))
    cached = load_catalog_dir(DATA_DIR)
    assert cached == direct and cached.digest == direct.digest


def test_the_start_up_pause_is_the_console_scripts_alone(monkeypatch):
    assert gc.isenabled()
    start_up_done()  # no pause in effect (a test, a library): nothing happens
    assert gc.isenabled() and gc.get_freeze_count() == 0
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    try:
        start_up_paused()
        assert not gc.isenabled()
        start_up_done()
        assert gc.isenabled() and freezes == [1]
        start_up_done()
        assert freezes == [1]  # once
    finally:
        gc.enable()


def test_a_command_run_from_the_shell_resumes_the_collector_before_it_answers(tmp_path, monkeypatch):
    """The console script pauses the collector for start-up; recommend resumes it once its imports
    and the catalog are in (a long inventory or a server never runs without it)."""
    from wheretorun.__main__ import main

    one = tmp_path / "one.yml"
    one.write_text("workloads:\n  - {name: glue, role: glue, requests_per_month: 1000}\n")
    seen: list[bool] = []
    import wheretorun.decide

    real = wheretorun.decide.recommend

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(wheretorun.decide, "recommend", spy)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process's objects stay collectable
    monkeypatch.setattr("sys.argv", ["wheretorun", "recommend", str(one), "-f", "json"])
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        gc.enable()
    assert done.value.code == 0 and seen == [True]
