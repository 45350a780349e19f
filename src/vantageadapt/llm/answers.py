"""Reading a model's answer leniently: JSON as weak models write it, safe repairs with notes.

Every repair here is one a careful reader would make without guessing: control characters
inside strings, code fences, a `{"name", "arguments"}` wrapper around the arguments, numbers
outside a stated range (clamped to the bound), keys the schema does not have (dropped), and in
rules `high_{20}` (read as `high_20`) and a window parameter used but not given (added with the
search space's default window). Anything else is an error the model is asked to fix.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vantageadapt.optimize.space import DEFAULT_WINDOW

M = TypeVar("M", bound=BaseModel)  # a question's answer model (the strategists share it)

_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_BRACED_NUMBER = re.compile(r"_\{\s*(\d+)\s*\}")
_WINDOW_REF = re.compile(r"_\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_BOUNDS = {"less_than_equal": "le", "greater_than_equal": "ge"}
_WRAPPER_KEYS = ("arguments", "parameters", "input")


def loads_lenient(text: str) -> Any:
    """json.loads that accepts raw control characters inside strings (llama.cpp emits them)."""
    return json.loads(text, strict=False)


def json_from_text(text: str) -> dict[str, Any] | None:
    """The JSON object in an answer: the whole text, a fenced block, or the outermost braces."""
    candidates = [text.strip(), *(m.group(1) for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = loads_lenient(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def unwrap(arguments: dict[str, Any], tool_name: str) -> tuple[dict[str, Any], list[str]]:
    """Arguments without a `{"name": tool, "arguments": {...}}` wrapper (also as a JSON string)."""
    notes: list[str] = []
    while isinstance(arguments.get("name"), str) and len(arguments) <= 2:
        inner_key = next((k for k in _WRAPPER_KEYS if k in arguments), None)
        if inner_key is None:
            break
        inner = arguments[inner_key]
        if isinstance(inner, str):
            inner = json_from_text(inner)
        if not isinstance(inner, dict):
            break
        notes.append(f"unwrapped a {{name, {inner_key}}} wrapper around the {tool_name} arguments")
        arguments = inner
    return arguments, notes


def _at(data: Any, loc: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """(container, key) of the value at a pydantic error location, or None."""
    node = data
    for key in loc[:-1]:
        if (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        ):
            node = node[key]
        else:
            return None
    last = loc[-1] if loc else None
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        return node, last
    return None


def _fix(data: Any, error: dict[str, Any]) -> str | None:
    """Apply one safe fix for a validation error in place; a note saying what, or None."""
    loc = tuple(error.get("loc", ()))
    where = ".".join(str(part) for part in loc)
    found = _at(data, loc)
    if found is None:
        return None
    container, key = found
    value = container[key]
    bound_key = _BOUNDS.get(error.get("type", ""))
    if bound_key and isinstance(value, int | float) and not isinstance(value, bool):
        bound = error.get("ctx", {}).get(bound_key)
        if bound is None:
            return None
        container[key] = float(bound)
        side = "above the maximum" if bound_key == "le" else "below the minimum"
        return f"{where} {value!r} is {side} {bound}: clamped to {bound}"
    if error.get("type") == "extra_forbidden" and isinstance(container, dict):
        del container[key]
        return f"{where}: not a field of the answer, dropped"
    return None


def validate_with_repairs(
    model_cls: type[M], data: dict[str, Any], context: dict[str, Any] | None = None
) -> tuple[M, list[str]]:
    """Validate, clamping out-of-range numbers and dropping unknown keys, each with a note.

    Raises the last ValidationError (or RuleError) when something else is wrong.
    """
    data = copy.deepcopy(data)
    notes: list[str] = []
    for _ in range(100):
        try:
            return model_cls.model_validate(data, context=context), notes
        except ValidationError as exc:
            fixed = [note for error in exc.errors() if (note := _fix(data, error)) is not None]
            if not fixed:
                raise
            notes.extend(fixed)
    return model_cls.model_validate(data, context=context), notes


def repair_rules(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Rules with `name_{20}` read as `name_20` and missing window parameters added."""
    data = copy.deepcopy(data)
    notes: list[str] = []
    conditions = data.get("conditions")
    if not isinstance(conditions, dict):
        return data, notes
    parameters = data.get("parameters")
    if parameters is None:
        parameters = data["parameters"] = {}
        notes.append("parameters missing: started from none")
    for side in ("entry", "exit"):
        items = conditions.get(side)
        if isinstance(items, str):
            conditions[side] = items = [items]
            notes.append(f"{side} conditions given as one string: read as a list of one")
        if not isinstance(items, list):
            continue
        for i, text in enumerate(items):
            if not isinstance(text, str):
                continue
            fixed = _BRACED_NUMBER.sub(r"_\1", text)
            if fixed != text:
                notes.append(f"condition {text!r} read as {fixed!r}")
                items[i] = fixed
            if not isinstance(parameters, dict):
                continue
            for name in _WINDOW_REF.findall(fixed):
                if name not in parameters:
                    parameters[name] = DEFAULT_WINDOW
                    notes.append(
                        f"window parameter {name!r} of {fixed!r} missing: added with the search "
                        f"space's default window {DEFAULT_WINDOW} (searched around it)"
                    )
    return data, notes
