"""Patch operations on a module's source: insert, modify or delete a named block or line range."""

from __future__ import annotations

import ast
import difflib
import textwrap
from dataclasses import dataclass

from vantageadapt.errors import PatchRejected
from vantageadapt.models import CodePatch, PatchOp


@dataclass(frozen=True)
class Block:
    """A top-level (or class-level, `Class.method`) definition's lines, 1-based inclusive."""

    name: str
    start: int
    end: int
    indent: int


def _names_of(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _block(node: ast.stmt, name: str) -> Block:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    end = node.end_lineno or node.lineno
    return Block(name=name, start=start, end=end, indent=node.col_offset)


def blocks(source: str, *, filename: str = "<module>") -> dict[str, Block]:
    """Every addressable block: top-level functions, classes, assignments and class methods."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise PatchRejected(f"{filename} does not parse at line {exc.lineno}: {exc.msg}") from None
    found: dict[str, Block] = {}
    for node in tree.body:
        for name in _names_of(node):
            found[name] = _block(node, name)
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                for name in _names_of(child):
                    found[f"{node.name}.{name}"] = _block(child, f"{node.name}.{name}")
    return found


def _find(source: str, name: str, filename: str) -> Block:
    found = blocks(source, filename=filename)
    if name in found:
        return found[name]
    hint = difflib.get_close_matches(name, list(found), n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    raise PatchRejected(
        f"{filename} has no function, class or assignment named {name!r} "
        f"(known: {', '.join(sorted(found))}){extra}"
    )


def _line_range(patch: CodePatch, lines: list[str], filename: str) -> Block:
    start, end = patch.line_start, patch.line_end or patch.line_start
    if start is None or end is None:
        raise PatchRejected(
            f"patch on {filename} ({patch.op.value}) names no function/class and no line range; "
            "give `name` or `line_start`/`line_end`"
        )
    if end < start or end > len(lines):
        raise PatchRejected(
            f"patch on {filename}: line range {start}-{end} is outside the file's "
            f"{len(lines)} lines; address the edit by function/class name instead"
        )
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    return Block(name=f"lines {start}-{end}", start=start, end=end, indent=indent)


def _code_lines(code: str, indent: int) -> list[str]:
    body = textwrap.dedent(code).strip("\n")
    if not body.strip():
        return []
    return [textwrap.indent(body, " " * indent) + "\n"]


def apply_patch(source: str, patch: CodePatch) -> str:
    """The source with the patch applied; PatchRejected when the edit cannot apply exactly."""
    filename = patch.target
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if patch.op is PatchOp.insert_code:
        if not patch.code.strip():
            raise PatchRejected(f"insert_code on {filename} carries no code; add the new code")
        if patch.after:
            anchor = _find(source, patch.after, filename)
        elif patch.line_start is not None:
            anchor = _line_range(patch, lines, filename)
        else:
            anchor = Block(name="end", start=len(lines), end=len(lines), indent=0)
        new = _code_lines(patch.code, anchor.indent)
        spacer = ["\n", "\n"] if anchor.indent == 0 else ["\n"]
        result = [*lines[: anchor.end], *spacer, *new, *lines[anchor.end :]]
    else:
        target = (
            _find(source, patch.name, filename)
            if patch.name
            else _line_range(patch, lines, filename)
        )
        if patch.op is PatchOp.modify_code:
            if not patch.code.strip():
                raise PatchRejected(
                    f"modify_code on {filename}:{target.name} carries no code; "
                    "use delete_code to remove it"
                )
            new = _code_lines(patch.code, target.indent)
        else:
            new = []
        result = [*lines[: target.start - 1], *new, *lines[target.end :]]
    text = "".join(result)
    if text == source or text.rstrip("\n") == source.rstrip("\n"):
        raise PatchRejected(f"patch on {filename} changes nothing; propose a real edit")
    return text


def unified_diff(before: str, after: str, target: str) -> str:
    """A `git apply`-able unified diff of one workspace module, paths a/<target>, b/<target>."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{target}",
            tofile=f"b/{target}",
        )
    )
