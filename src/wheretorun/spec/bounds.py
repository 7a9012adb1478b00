"""Bounds on what a workload file may hold: text that is safe to show, numbers a real workload has.

Every name, id and label reaches a terminal, a web page, a Markdown file and a chart library. A
control character (BEL, ESC and its terminal escape sequences, C1 controls), a Unicode bidi
override (which makes ``evil.exe`` display as ``exe.live``, CVE-2021-42574 "Trojan Source") or a
lone surrogate (not encodable as UTF-8) has no business in any of them, so it is refused where the
file is read, with the field path, instead of being escaped by every renderer.

Numeric bounds are documented on each field (``spec.models``, ``wheretorun schema``) and in
docs/input-safety.md: upper bounds sit far above any real workload, so that an absurd value
(a price of 1e308 USD, a 5,000-digit integer) is an input error naming the field, not an overflow
deep in the invoice arithmetic.
"""

from __future__ import annotations

import re

#: Requests per month: 10 trillion (3.8 million requests per second all month) is above the
#: busiest public APIs by orders of magnitude.
MAX_REQUESTS_PER_MONTH = 1e13
#: A unit price you negotiated, USD per catalog unit: the dearest catalog units (an hour of a
#: p5.48xlarge, a million tokens of the largest models) cost well under $100.
MAX_PRICE_USD = 1_000_000
#: Entries of ``prices.overrides`` (the catalog has a few hundred keys) and ``prices.discount_pct``
#: (one per service): counted before any key is checked, so 100,000 keys cost nothing.
MAX_PRICE_OVERRIDES = 2_000
MAX_DISCOUNT_ENTRIES = 100
#: Unknown keys tolerated in one mapping beyond the model's own fields before it is refused whole.
MAX_EXTRA_KEYS = 50
#: Integers longer than this many digits are refused while parsing (Python refuses to convert
#: more than 4,300 digits; every bound here is below 1e14).
MAX_INT_DIGITS = 30

#: C0 controls and DEL, C1 controls, the Arabic letter mark and the bidi marks, embeddings,
#: overrides and isolates (Unicode TR9), line and paragraph separators, and surrogates.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_NAMES = {
    "\x07": "a bell (BEL)",
    "\x1b": "an escape (ESC, terminal escape sequences)",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x00": "a NUL byte",
}


def forbidden_character(text: str) -> str | None:
    """A description of the first forbidden character in ``text`` and where it is, or None."""
    m = _FORBIDDEN.search(text)
    if m is None:
        return None
    ch = m.group()
    code = ord(ch)
    if ch in _NAMES:
        what = _NAMES[ch]
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or ch in "\u061c\u200e\u200f":
        what = "a bidi control"
    elif 0xD800 <= code <= 0xDFFF:
        what = "a lone surrogate"
    else:
        what = "a control character"
    return f"{what} (U+{code:04X}) at character {m.start() + 1}"


def check_text(value: str) -> str:
    """Pydantic validator: refuse control characters, bidi controls and surrogates in a name or id."""
    found = forbidden_character(value)
    if found:
        raise ValueError(
            f"contains {found}; allowed: printable text without control characters or bidi controls"
        )
    return value


def shown(text: object, limit: int = 60) -> str:
    """``text`` quoted for an error message: control characters escaped, at most ``limit`` characters."""
    s = str(text)
    cut = s[:limit]
    out = repr(cut)[1:-1] if _FORBIDDEN.search(cut) or not cut.isprintable() else cut
    return out + ("..." if len(s) > limit else "")
