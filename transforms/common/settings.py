"""Typed settings: every section of a run config or registry entry is a pydantic model that
refuses keys it does not know, checked once where the file is read.

A typo (`licnese:`, `sahrds:`) is an error naming the file, line and key, with a "did you
mean" when a known key is close, never a silently different run. Relative paths in a file are
resolved against that file's folder (`ConfigPath`).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from corpusgate.transforms.common.yamlfile import Document

M = TypeVar("M", bound=BaseModel)


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the file, line, key and expectation."""


class Settings(BaseModel):
    """Base of every settings model: unknown keys refused, values frozen after checking."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base")
    value = value.expanduser()
    if value.is_absolute() or base is None:
        return value
    return (Path(base) / value).resolve()


# A path written in a settings file: relative to that file's folder.
ConfigPath = Annotated[Path, AfterValidator(_resolve)]


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model a location points into (for "did you mean" suggestions)."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


_PLAIN = {
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def _key(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def describe(
    err: ValidationError,
    model: type[BaseModel],
    doc: Document | None,
    prefix: str = "",
    noun: str = "key",
) -> list[str]:
    """One line per problem: `key 'a.b' (line 3): what is wrong (did you mean ...)`."""
    lines = []
    for problem in err.errors():
        loc = tuple(str(p) for p in problem["loc"])
        parts = [*(prefix.split(".") if prefix else []), *loc]
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not loc and ": " in message:  # a check across keys names its own key first
            named, message = message.split(": ", 1)
            parts = [*parts, *named.replace("[", ".").replace("]", "").split(".")]
        key = _key(parts)
        line = doc.line_of(".".join(parts)) if doc else None
        at = f" (line {line})" if line else ""
        if problem["type"] == "extra_forbidden":
            parent = _model_at(model, tuple(loc[:-1]))
            known = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            lines.append(f"unknown {noun} '{key}'{at}{hint} (known here: {', '.join(known)})")
        elif problem["type"] == "missing":
            lines.append(f"{noun} '{key}'{at}: missing")
        else:
            plain = _PLAIN.get(problem["type"])
            got = problem.get("input")
            shown = "" if isinstance(got, dict) or got is None else f" (got {got!r})"
            lines.append(f"{noun} '{key}'{at}: {plain or message[:1].lower() + message[1:]}{shown}")
    return lines


def parse_settings(
    model: type[M],
    data: Any,
    *,
    doc: Document | None = None,
    prefix: str = "",
    base: Path | None = None,
    noun: str = "key",
) -> M:
    """Validate `data` (a mapping from `doc`, at key `prefix`) into `model`; SettingsError."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context={"base": base})
    except ValidationError as err:
        where = doc.where if doc else "settings"
        lines = describe(err, model, doc, prefix, noun)
        raise SettingsError("\n".join(f"{where}: {line}" for line in lines)) from None
