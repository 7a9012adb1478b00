"""The Price List's note in an entry's ``source``: which offer file (URL, publicationDate) and SKU
each region's figure came from, written after the source a person gave and read back on the next
update (``[AWS Price List: us-east-1 URL (publicationDate 2026-06-01, SKU X); ...]``).
"""

from __future__ import annotations

import datetime as dt
import re

from ..store import SUPPORTED_REGIONS

_NOTE = re.compile(r" \[AWS Price List: (?P<notes>.*)\]$")
_REGION_NOTE = re.compile(r"^(?P<region>[a-z0-9-]+) .*\(publicationDate (?P<date>\d{4}-\d{2}-\d{2})")


def split_source(source: str) -> tuple[str, dict[str, str]]:
    """(the source before any Price List note, region -> that region's note)."""
    m = _NOTE.search(source)
    if not m:
        return source, {}
    notes = {}
    for part in m.group("notes").split("; "):
        r = _REGION_NOTE.match(part)
        if r:
            notes[r.group("region")] = part
    return source[: m.start()], notes


def join_source(base: str, notes: dict[str, str]) -> str:
    parts = [notes[r] for r in SUPPORTED_REGIONS if r in notes]
    return f"{base} [AWS Price List: {'; '.join(parts)}]"


def region_note(region: str, url: str, published: dt.date, sku: str) -> str:
    """One region's note: the offer file and SKU its figure was read from."""
    return f"{region} {url} (publicationDate {published.isoformat()}, SKU {sku})"


def note_date(note: str) -> dt.date:
    """The publicationDate of a note ``region_note`` wrote."""
    return dt.date.fromisoformat(_REGION_NOTE.match(note).group("date"))  # type: ignore[union-attr]
