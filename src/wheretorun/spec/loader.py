"""Read a workload file safely and turn every problem into a line the user can act on.

Hostile input is bounded before it is parsed: a size cap, a refusal of binary or non-UTF-8
bytes, and a cap on the expanded node count (the "billion laughs" bomb expands aliases into
exponentially many nodes; PyYAML shares them, but validation would walk every one). PyYAML's
``safe_load`` machinery is used throughout: no arbitrary tags or objects. Integers of more than
``bounds.MAX_INT_DIGITS`` digits are kept as :class:`HugeNumber` and refused by validation with
their field path (Python itself refuses to convert more than 4,300 digits, which would be an
internal error).

Every problem is reported in one pass (issue 16): the schema, the cross-field checks (also of
workloads whose fields failed), the names only the catalog knows (region, model ids, price keys,
services: a :class:`~wheretorun.spec.checks.Vocabulary` the caller passes) and the files the
document names (``FileAccess``), at most ``errors.MAX_PROBLEMS`` of them listed.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from .._perf import safe_yaml_loader
from ..errors import MAX_PROBLEMS, InputError, MoreProblems, Problem, did_you_mean
from .bounds import MAX_INT_DIGITS, shown
from .models import LOADER_CHECKS, WorkloadFile

if TYPE_CHECKING:
    from .checks import Vocabulary
    from .files import FileAccess

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 5_000_000


class HugeNumber:
    """An integer written with more than ``MAX_INT_DIGITS`` digits: no field accepts it."""

    __slots__ = ("digits",)

    def __init__(self, text: str):
        self.digits = sum(c.isalnum() for c in text)

    def __repr__(self) -> str:
        return f"<a number with {self.digits:,} digits>"

    def describe(self) -> str:
        return f"a number with {self.digits:,} digits"


def _json_int(text: str) -> int | HugeNumber:
    return HugeNumber(text) if len(text) > MAX_INT_DIGITS else int(text)


class _Loader(safe_yaml_loader()):  # type: ignore[misc]
    """libyaml's safe loader when available (fast for fleet inventories); it shares aliased nodes,
    so a bomb costs little to load -- the expanded-node budget below is what stops it."""


def _yaml_int(loader: Any, node: Any) -> int | HugeNumber:
    text = loader.construct_scalar(node)
    if len(re.sub(r"[^0-9a-fA-F]", "", text)) > MAX_INT_DIGITS:
        return HugeNumber(text)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)


class _TooComplex(Exception):
    pass


def _count_nodes(data: Any) -> None:
    """Walk the loaded data as validation would, refusing more than MAX_NODES nodes."""
    stack = [data]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise _TooComplex(f"the document expands to more than {MAX_NODES:,} values")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def path_from_loc(loc: tuple[Any, ...]) -> str:
    """('workloads', 0, 'duration_s') -> 'workloads[0].duration_s'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union", "lax-or-strict")):
            continue
        elif part == "[key]":
            continue  # pydantic's marker for "the key itself": the path already ends with the key
        else:
            out += ("." if out else "") + shown(part, 80)
    return out


def _allowed_keys(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the pydantic model that owns the location ``loc`` (for did-you-mean)."""
    from typing import get_origin

    from pydantic import BaseModel

    current: Any = model
    key_next = False  # the previous field was a mapping: this part is one of its keys
    for part in loc[:-1]:
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        key_next = any(get_origin(a) is dict for a in (field.annotation, *_args(field.annotation)))
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _args(annotation: Any) -> tuple[Any, ...]:
    from typing import get_args

    return get_args(annotation)


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


#: The message of a problem past the listed ones: counted, never shown.
NOT_LISTED = "(not listed)"
_QUOTED = re.compile(r"'([^']*)'")


def problems_from_validation(err: ValidationError, file: str, model: type = WorkloadFile) -> list[Problem]:
    """One problem per validation error, the first ``MAX_PROBLEMS`` worded in full (with their
    did-you-mean), the rest counted only: 200,000 unknown keys cost a count, not a search each."""
    problems: list[Problem] = []
    for n, e in enumerate(err.errors(include_url=False, include_context=True)):
        loc = tuple(e["loc"])
        path = path_from_loc(loc)
        if n >= MAX_PROBLEMS:
            problems.append(Problem(file, path, NOT_LISTED))
            continue
        problems.append(Problem(file, path, _message(e, loc, model)))
    return problems


def _message(e: Any, loc: tuple[Any, ...], model: type) -> str:
    kind = e["type"]
    inp = e.get("input")
    if isinstance(inp, HugeNumber):
        return f"{inp.describe()} is out of range; allowed: {_bounds_of(model, loc)}"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(model, loc)
        hint = did_you_mean(key, allowed)
        if allowed:
            return f"unknown field '{shown(key)}'{hint}; allowed: {', '.join(allowed)}"
        return f"unknown field '{shown(key)}'"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return "must be a finite number (NaN and infinity are not allowed)"
    if kind == "literal_error" and loc and loc[-1] == "[key]":
        choices = _QUOTED.findall(e.get("ctx", {}).get("expected", ""))
        what = "platform id" if loc[0] == "engineering" else "key"
        return (
            f"unknown {what} '{shown(inp)}'{did_you_mean(str(inp), choices)}; allowed: {', '.join(choices)}"
        )
    msg = str(e["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "literal_error" and isinstance(inp, str):
        msg += did_you_mean(inp, _QUOTED.findall(e.get("ctx", {}).get("expected", "")))
    if kind not in ("model_type", "dict_type", "list_type") and isinstance(inp, str | int | float):
        text = repr(inp) if not isinstance(inp, float) or math.isfinite(inp) else str(inp)
        if len(text) <= 60:
            msg = f"{msg} (got {shown(text)})"
    return msg


def _bounds_of(model: type, loc: tuple[Any, ...]) -> str:
    """'0 to 10,000,000' for the numeric field at ``loc`` (from its pydantic constraints)."""
    from pydantic import BaseModel

    current: Any = model
    field = None
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            break
        current = _inner_model(field.annotation)
    low = high = None
    for meta in _constraints(field):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        low = getattr(meta, "gt", None) if getattr(meta, "gt", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
        high = getattr(meta, "lt", None) if getattr(meta, "lt", None) is not None else high
    if low is None and high is None:
        return "see `wheretorun schema` for the field's range"
    return f"{_num(low) if low is not None else 'any'} to {_num(high) if high is not None else 'any'}"


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _constraints(field: Any) -> list[Any]:
    """The constraint objects of a field, its own and those of its (optional) annotated type."""
    from typing import get_args

    if field is None:
        return []
    found = list(field.metadata)
    stack = [field.annotation]
    while stack:
        ann = stack.pop()
        for meta in getattr(ann, "__metadata__", ()):
            found.extend(getattr(meta, "metadata", [meta]))  # a Field(...) holds its constraints
        stack.extend(get_args(ann))
    return found


def parse_text(text: str, file: str) -> Any:
    """YAML or JSON text -> Python data, bounded. JSON is a subset of YAML, but json is faster."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError([Problem(file, "", "the file is empty; expected a workload file with `workloads:`")])
    try:
        if stripped.startswith(("{", "[")):
            try:
                data = json.loads(text, parse_int=_json_int)
            except json.JSONDecodeError as e:
                raise InputError(
                    [Problem(file, "", f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")]
                ) from None
        else:
            loader = _Loader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        _count_nodes(data)
    except _TooComplex as e:
        raise InputError([Problem(file, "", f"refused: {e}")]) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError([Problem(file, "", f"invalid YAML{where}: {e.problem or e.context}")]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(file, "", f"invalid YAML: {e}")]) from None
    except RecursionError:
        raise InputError([Problem(file, "", "refused: the document nests too deeply")]) from None
    return data


def decode_bytes(raw: bytes, file: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            [Problem(file, "", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")]
        )
    if b"\x00" in raw[:65536]:
        raise InputError([Problem(file, "", "this looks like a binary file, not YAML or JSON text")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            [
                Problem(
                    file,
                    "",
                    f"not valid UTF-8 text (byte {e.start}: {raw[e.start : e.start + 1]!r}); save it as UTF-8",
                )
            ]
        ) from None
    return text


def read_file(path: str | Path) -> str:
    file = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                [Problem(file, "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")]
            )
        if stat.S_ISREG(p.stat().st_mode):
            with p.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
        else:
            raw = _read_stream(p, file)
            if len(raw) > MAX_FILE_BYTES:
                raise InputError(
                    [
                        Problem(
                            file,
                            "",
                            f"more than {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes",
                        )
                    ]
                )
    except FileNotFoundError:
        raise InputError([Problem(file, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(file, "", "is a directory, not a workload file")]) from None
    except PermissionError:
        raise InputError([Problem(file, "", "permission denied: cannot read the file")]) from None
    except OSError as e:
        raise InputError([Problem(file, "", f"cannot read the file: {e.strerror or e}")]) from None
    return decode_bytes(raw, file)


#: How long a pipe (``<(generate-workloads)``, a FIFO) may keep the reader waiting for its next bytes.
STREAM_WAIT_S = 30.0


def _read_stream(p: Path, file: str) -> bytes:
    """A pipe or device, read without blocking forever: a FIFO nobody writes to reads as empty at
    once, a writer that stalls for ``STREAM_WAIT_S`` is an error, and no more than
    ``MAX_FILE_BYTES`` + 1 bytes are read (the size check then refuses the rest)."""
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    chunks: list[bytes] = []
    got = 0
    try:
        while got <= MAX_FILE_BYTES:
            try:  # read first: a FIFO without a writer reads as empty at once (select would wait)
                chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - got))
            except BlockingIOError:  # a writer, nothing written yet
                ready, _, _ = select.select([fd], [], [], STREAM_WAIT_S)
                if not ready:
                    raise InputError(
                        [
                            Problem(
                                file,
                                "",
                                f"nothing came through the pipe for {STREAM_WAIT_S:g} s: stopped reading",
                            )
                        ]
                    ) from None
                continue
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def validate_data(
    data: Any,
    file: str,
    *,
    vocabulary: Vocabulary | None = None,
    files: FileAccess | None = None,
) -> WorkloadFile:
    """Validate parsed data; every problem of every stage in one InputError (see the module doc).

    ``vocabulary``: check region, model ids, price keys and services against the catalog.
    ``files``: check the files the document names (``traffic_profile``) against these folders.
    """
    from .checks import raw_problems

    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise InputError(
            [Problem(file, "", f"expected a mapping with a `workloads:` list at the top level, got {kind}")]
        )
    problems: list[Problem] = []
    wf = None
    try:
        wf = WorkloadFile.model_validate(data, context={LOADER_CHECKS: True})
    except ValidationError as e:
        problems = problems_from_validation(e, file)
    problems += raw_problems(data, file, vocabulary=vocabulary, files=files)
    if problems:
        raise InputError(_in_document_order(problems))
    assert wf is not None
    return wf


_INDEX = re.compile(r"^workloads\[(\d+)\]")


def _in_document_order(problems: list[Problem]) -> list[Problem]:
    """Duplicates dropped, the file's own sections first, then workload by workload; "(not listed)" problems are only counted."""
    unique = list(dict.fromkeys(problems))

    def key(p: Problem) -> int:
        m = _INDEX.match(p.path)
        return int(m.group(1)) if m else -1

    unique.sort(key=key)
    return [MoreProblems(p.file, "", "", 1) if p.message == NOT_LISTED else p for p in unique]


def load_workloads(
    source: str | Path | dict[str, Any],
    *,
    name: str | None = None,
    vocabulary: Vocabulary | None = None,
    files: FileAccess | None = None,
) -> WorkloadFile:
    """Load and validate a workload file (a path, or already-parsed data).

    Raises :class:`~wheretorun.errors.InputError` listing every problem with its field path.
    ``vocabulary`` and ``files`` add the catalog's and the file checks to the same pass (the CLI
    passes both; ``catalog.vocabulary.vocabulary()`` builds the first, ``spec.files.FileAccess``
    says which folders files may be read from).
    """
    if isinstance(source, dict):
        return validate_data(source, name or "<input>", vocabulary=vocabulary, files=files)
    file = name or str(source)
    return validate_data(parse_text(read_file(source), file), file, vocabulary=vocabulary, files=files)


def load_text(text: str, *, name: str = "<input>", vocabulary: Vocabulary | None = None) -> WorkloadFile:
    """Validate a document given as text (the web API's body): it came from no file, so it reads none."""
    from .files import FileAccess

    return validate_data(parse_text(text, name), name, vocabulary=vocabulary, files=FileAccess(None))
