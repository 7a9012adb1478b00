"""The data files edited in place as text: only the figures of mapped entries, their ``source`` and
``as_of`` and their ``unverified_regions`` change; comments, anchors, order and layout are kept, and
each edited file is re-read to check it says exactly what was meant.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from ..._perf import read_yaml, safe_yaml_loader
from ..store import CatalogError
from .offers import Offer
from .provenance import join_source, note_date, region_note, split_source
from .skus import Found


@dataclass
class Change:
    """One figure read from an offer file: changed, or confirmed as it was (``changed`` False)."""

    key: str
    region: str
    old: str
    new: str
    changed: bool = True

    @property
    def pct(self) -> float | None:
        try:
            old = Decimal(self.old)
            return float((Decimal(self.new) - old) / old * 100) if old else None
        except ArithmeticError:
            return None


@dataclass
class Edit:
    regions: dict[str, Found]  # region -> new figure
    offers: dict[str, Offer]  # region -> its offer file


def _scalar(value: str, like: yaml.ScalarNode) -> str:
    """``value`` quoted as the scalar it replaces was (double quotes when it was plain)."""
    if like.style == "'":
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _as_of_text(date: dt.date, like: yaml.ScalarNode) -> str:
    return date.isoformat() if like.style is None else _scalar(date.isoformat(), like)


def _tiers_text(tiers: list[dict[str, Any]]) -> str:
    items = []
    for t in tiers:
        bound = f"up_to: {t['up_to']}, " if "up_to" in t else ""
        items.append(f'{{{bound}price: "{t["price"]}"}}')
    return "[" + ", ".join(items) + "]"


def _value_end(text: str, node: yaml.Node) -> int:
    """End of a node's own text (block collections' end marks run on to the next line)."""
    start, end = node.start_mark.index, node.end_mark.index
    return start + len(text[start:end].rstrip())


def compose_yaml(text: str) -> yaml.Node:
    """The node tree of a data file, each node marked with where its text starts and ends.

    libyaml's composer when PyYAML has it: the pure-Python one took two thirds of a ``prices
    update``. Given text (not bytes), libyaml's marks count characters as PyYAML's do
    (tests/catalog/test_update.py compares every mark and style of every shipped file); a rewrite
    whose result does not load as exactly the intended data is refused (``rewrite``)."""
    root = yaml.compose(text, Loader=safe_yaml_loader())  # noqa: S506 - a safe loader
    if root is None:
        raise CatalogError("empty data file")
    stack = [root]
    while stack:  # libyaml marks a plain scalar's style '', PyYAML None (``_scalar`` keeps styles)
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            node.style = node.style or None
        elif isinstance(node, yaml.MappingNode):
            stack += [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return root


def rewrite(text: str, data: Any, name: str, edits: dict[str, Edit]) -> tuple[str, list[Change]]:
    """Apply ``edits`` to one data file's ``text`` (which parses to ``data``); return the new text
    and the changes made."""
    root = compose_yaml(text)  # the file parsed (it was read and validated before)
    expected = copy.deepcopy(data)
    spans: list[tuple[int, int, str]] = []
    changes: list[Change] = []
    prices_node = next(v for k, v in root.value if k.value == "prices")
    for item_node, entry in zip(prices_node.value, expected["prices"], strict=True):
        edit = edits.get(entry["key"])
        if edit is None:
            continue
        fields = {k.value: (k, v) for k, v in item_node.value}
        base, notes = split_source(entry["source"])
        form = "tiers" if "tiers" in entry else "regions"
        map_node = fields[form][1]
        pairs = {k.value: (k, v) for k, v in map_node.value}
        refreshed = []
        for region, found in edit.regions.items():
            if region not in entry[form]:
                continue  # no figure there (the catalog says why under `unavailable`): not added here
            old = entry[form][region]
            new = found.value
            if isinstance(new, list) != (form == "tiers"):
                raise CatalogError(
                    f"{name}: {entry['key']}: the offer has {'tiers' if isinstance(new, list) else 'a flat price'}, the catalog {form}"
                )
            changes.append(Change(entry["key"], region, _show(old), _show(new), not _same(old, new)))
            refreshed.append(region)
            offer = edit.offers[region]
            notes[region] = region_note(region, offer.url, offer.published, found.sku)
            if _same(old, new):
                continue
            entry[form][region] = new
            if form == "regions":
                v = pairs[region][1]
                spans.append((v.start_mark.index, v.end_mark.index, _scalar(str(new), v)))
        if not refreshed:
            continue
        if form == "tiers":
            spans += _tier_spans(text, pairs, entry["tiers"])
        entry["source"] = join_source(base, notes)
        k, v = fields["source"]
        spans.append((v.start_mark.index, v.end_mark.index, json.dumps(entry["source"], ensure_ascii=False)))
        priced = set(entry[form])
        if priced <= set(notes):  # every figure of the entry now comes from the Price List
            dates = [note_date(notes[r]) for r in priced]
            k, v = fields["as_of"]
            # a quoted date stays a quoted string (the loader reads either)
            entry["as_of"] = min(dates) if isinstance(entry["as_of"], dt.date) else min(dates).isoformat()
            spans.append((v.start_mark.index, v.end_mark.index, _as_of_text(min(dates), v)))
        if "unverified_regions" in entry and set(refreshed) & set(entry["unverified_regions"]):
            entry["unverified_regions"] = [r for r in entry["unverified_regions"] if r not in refreshed]
            k, v = fields["unverified_regions"]
            listed = ", ".join(entry["unverified_regions"])
            spans.append((k.end_mark.index, _value_end(text, v), f": [{listed}]"))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    if read_yaml(text) != expected:  # the edit must say exactly what was meant, nothing else
        raise CatalogError(
            f"{name}: could not rewrite the file in place (unexpected layout); nothing was changed"
        )
    return text, changes


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(old, list) and [
            (Decimal(str(t.get("up_to"))) if "up_to" in t else None, Decimal(str(t["price"]))) for t in old
        ] == [(Decimal(str(t.get("up_to"))) if "up_to" in t else None, Decimal(str(t["price"]))) for t in new]
    return Decimal(str(old)) == Decimal(str(new))


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " / ".join(
            f"{t['price']}" + (f" to {t['up_to']:,}" if t.get("up_to") is not None else "") for t in value
        )
    return str(value)


_ANCHOR = re.compile(r":[ \t]*&([^\s]+)[ \t]*")
_ALIAS = re.compile(r":[ \t]*\*([^\s]+)")


def _tier_spans(
    text: str, pairs: dict[str, tuple[yaml.Node, yaml.Node]], new: dict[str, Any]
) -> list[tuple[int, int, str]]:
    """Text edits for an entry's tiers, ``new`` being every region's value after the refresh.

    The data files share tiers between regions with anchors (``us-east-1: &x86 [...]``,
    ``us-west-2: *x86``). An anchored value that changed is rewritten in place, keeping its anchor;
    an alias stays an alias while its value is still the anchor's, and is written out in full when
    it now differs (a region refreshed alone, or a region left as it was while the anchor moved).
    """
    anchors: dict[str, str] = {}
    for region, (k, _v) in pairs.items():
        m = _ANCHOR.match(text, k.end_mark.index)
        if m:
            anchors[m.group(1)] = region
    spans = []
    for region, (k, v) in pairs.items():
        alias = _ALIAS.match(text, k.end_mark.index)
        if alias:
            source = anchors.get(alias.group(1))
            if source is None or not _same(new[region], new[source]):
                spans.append((k.end_mark.index, alias.end(), f": {_tiers_text(new[region])}"))
            continue
        if _same(new[region], read_yaml(yaml.serialize(v))):
            continue
        anchor = _ANCHOR.match(text, k.end_mark.index)
        label = f"&{anchor.group(1)} " if anchor else ""
        spans.append((k.end_mark.index, _value_end(text, v), f": {label}{_tiers_text(new[region])}"))
    return spans
