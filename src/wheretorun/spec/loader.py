"""Read a workload file safely and turn every problem into a line the user can act on.

Hostile input is bounded before it is parsed: a size cap, a refusal of binary or non-UTF-8
bytes, and a cap on the expanded node count (the "billion laughs" bomb expands aliases into
exponentially many nodes; PyYAML shares them, but validation would walk every one). PyYAML's ``safe_load`` machinery is used throughout: no arbitrary tags or objects.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import InputError, Problem, did_you_mean
from .models import WorkloadFile

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 5_000_000

#: libyaml's safe loader when available (fast for fleet inventories); it shares aliased nodes, so
#: a bomb costs little to load -- the expanded-node budget below is what stops it.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the pydantic model that owns the location ``loc`` (for did-you-mean)."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


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


def problems_from_validation(err: ValidationError, file: str, model: type = WorkloadFile) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        path = path_from_loc(loc)
        kind = e["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(model, loc)
            hint = did_you_mean(key, allowed)
            msg = (
                f"unknown field '{key}'{hint}; allowed: {', '.join(allowed)}"
                if allowed
                else f"unknown field '{key}'"
            )
        elif kind == "missing":
            msg = "required field is missing"
        elif kind in ("finite_number",):
            msg = "must be a finite number (NaN and infinity are not allowed)"
        else:
            msg = e["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            inp = e.get("input")
            if kind not in ("model_type", "dict_type", "list_type") and isinstance(inp, str | int | float):
                shown = repr(inp) if not isinstance(inp, float) or math.isfinite(inp) else str(inp)
                if len(shown) <= 60:
                    msg = f"{msg} (got {shown})"
        problems.append(Problem(file, path, msg))
    return problems


def parse_text(text: str, file: str) -> Any:
    """YAML or JSON text -> Python data, bounded. JSON is a subset of YAML, but json is faster."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError([Problem(file, "", "the file is empty; expected a workload file with `workloads:`")])
    try:
        if stripped.startswith(("{", "[")):
            try:
                data = json.loads(text)
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
        with p.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Problem(file, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(file, "", "is a directory, not a workload file")]) from None
    except PermissionError:
        raise InputError([Problem(file, "", "permission denied: cannot read the file")]) from None
    except OSError as e:
        raise InputError([Problem(file, "", f"cannot read the file: {e.strerror or e}")]) from None
    return decode_bytes(raw, file)


def validate_data(data: Any, file: str) -> WorkloadFile:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise InputError(
            [Problem(file, "", f"expected a mapping with a `workloads:` list at the top level, got {kind}")]
        )
    try:
        return WorkloadFile.model_validate(data)
    except ValidationError as e:
        raise InputError(problems_from_validation(e, file)) from None


def load_workloads(source: str | Path | dict[str, Any], *, name: str | None = None) -> WorkloadFile:
    """Load and validate a workload file (a path, or already-parsed data).

    Raises :class:`~wheretorun.errors.InputError` listing every problem with its field path.
    """
    if isinstance(source, dict):
        return validate_data(source, name or "<input>")
    file = name or str(source)
    return validate_data(parse_text(read_file(source), file), file)


def load_text(text: str, *, name: str = "<input>") -> WorkloadFile:
    return validate_data(parse_text(text, name), name)
