"""What the offline improver reads: the ideas a run already tried, the metrics of the context,
and literal values in the workspace's module sources (parsed with `ast`, never imported)."""

from __future__ import annotations

import ast
import re
from importlib import resources

from vantageadapt.models import ImprovementContext

_TAG = re.compile(r"\[offline:([^\]]+)\]")


def tried(ctx: ImprovementContext) -> set[str]:
    """The `[offline:KEY]` tags of the patches the run's history holds."""
    return {m for item in ctx.history for m in _TAG.findall(str(item.get("reason", "")))}


def metric(metrics: dict[str, float], name: str) -> float:
    """One metric value (0 when missing)."""
    return float(metrics.get(name, 0.0))


def decay_gap(ctx: ImprovementContext) -> float:
    """How far the in-sample sortino beats the validation sortino."""
    return metric(ctx.in_sample, "sortino_ratio") - metric(ctx.out_of_sample, "sortino_ratio")


def module_source(ctx: ImprovementContext, name: str) -> str:
    """A workspace module's source: the run's copy when the context has it, else as shipped."""
    if name in ctx.modules:
        return ctx.modules[name]
    # The pristine module as shipped (package data; read, never imported).
    folder = resources.files("vantageadapt") / "agent" / "workspace_template"
    return (folder / name).read_text(encoding="utf-8")


def _assigned(source: str, name: str) -> ast.expr | None:
    """The value assigned to a top-level `name` (plain or annotated) in a module source."""
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name and node.value is not None:
            return node.value
    return None


def constant(source: str, name: str) -> object:
    """The literal value assigned to a top-level `name` in a module source."""
    value = _assigned(source, name)
    if value is None:
        raise KeyError(name)
    return ast.literal_eval(value)


def constant_keys(source: str, name: str) -> set[str]:
    """The string keys of a top-level dict display `name = {...}` (values need not be literals)."""
    value = _assigned(source, name)
    if not isinstance(value, ast.Dict):
        return set()
    return {k.value for k in value.keys if isinstance(k, ast.Constant)}
