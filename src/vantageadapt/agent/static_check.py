"""Static checks on a patched workspace module, by `ast`, before anything of it runs.

A first filter only: the boundary is the worker's sandbox. Names are an allow-list (the
module's own names, its imports and the builtins in ALLOWED_BUILTINS); attributes are checked
against names and prefixes that reach files, processes, the interpreter or numba internals;
getattr-style access by string is refused outright. Each message says what to write instead.
"""

from __future__ import annotations

import ast

from vantageadapt.errors import PatchRejected

# Import roots a workspace module may use; vantageadapt modules are listed one by one below.
ALLOWED_IMPORTS = frozenset({"numpy", "pandas", "math", "numba", "__future__", "typing"})
ALLOWED_SUBMODULES = frozenset({"collections.abc"})
# Package modules with no file, process or network access (data reads files, agent sandboxes).
ALLOWED_PACKAGE = frozenset(
    {
        "vantageadapt.models",
        "vantageadapt.errors",
        "vantageadapt.rules",
        "vantageadapt.backtest",
        "vantageadapt.optimize",
        "vantageadapt.optimize.space",
        "vantageadapt.optimize.scoring",
    }
)
# Builtins a workspace module may use; any other name must be defined or imported there.
ALLOWED_BUILTINS = frozenset(
    {
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
        "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "pow", "range",
        "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "zip", "callable",
        "None", "True", "False", "NotImplemented", "Ellipsis",
        "ArithmeticError", "AssertionError", "Exception", "FloatingPointError", "IndexError",
        "KeyError", "LookupError", "OverflowError", "RuntimeError", "TypeError", "ValueError",
        "ZeroDivisionError",
    }
)  # fmt: skip
# Attribute access by a string: attribute checks could not see the name, so none is allowed.
STRING_ACCESS = frozenset({"getattr", "setattr", "delattr", "hasattr"})
FORBIDDEN_CALLS = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "open",
        "__import__",
        "globals",
        "locals",
        "vars",
        "breakpoint",
        "input",
        "memoryview",
        "setattr",
        "delattr",
        "help",
        "print",  # workspace code runs in `vantage run --json`, whose stdout is one JSON object
        "exit",
        "quit",
        "license",
        "credits",
        "copyright",
    }
)
# Attributes that reach frames, code objects, native code or string-driven attribute access.
FORBIDDEN_ATTRS = frozenset(
    {
        "format",
        "format_map",
        "extending",
        "core",
        "cfunc",
        "carray",
        "farray",
        "intrinsic",
        "experimental",
        "open_memmap",
        "DataSource",
        "HDFStore",
        "ExcelWriter",
        "ExcelFile",
        "npyio",
        "dump",
        "dumps",
        "fromregex",
        "environ",
        "getenv",
        "connect",
        "objmode",
        "distutils",
        "modules",
        "import_module",
        "attrgetter",
        "methodcaller",
        "mro",
        "subclasses",
        "globals",
        "builtins",
    }
)
# Attribute prefixes of file readers and writers (pandas, numpy), besides `to_*`.
_FILE_PREFIXES = ("read_", "save", "write", "load", "open", "from_pickle", "to_pickle")
_FRAME_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_", "func_")
# From numba only the compilers and parallel range: numba.extending & co. write raw LLVM IR.
NUMBA_NAMES = frozenset({"njit", "jit", "prange", "vectorize", "guvectorize"})
# Names and attributes that reach the OS, the interpreter or files, whatever module holds them.
FORBIDDEN_NAMES = frozenset(
    {
        "os",
        "sys",
        "subprocess",
        "socket",
        "ctypes",
        "importlib",
        "builtins",
        "shutil",
        "pathlib",
        "io",
        "pickle",
        "marshal",
        "signal",
        "multiprocessing",
        "threading",
        "ctypeslib",
        "system",
        "popen",
        "spawn",
        "fork",
        "load",
        "loads",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "loadtxt",
        "genfromtxt",
        "fromfile",
        "tofile",
        "memmap",
        "read_pickle",
        "query",
        "f2py",
        "testing",
    }
)
_DUNDER_OK = frozenset({"__all__", "__name__", "__doc__"})
_SAFE_TO = frozenset({"to_numpy", "to_list", "to_dict", "to_frame"})


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and name not in _DUNDER_OK


def _import_allowed(module: str) -> bool:
    root = module.split(".")[0]
    if root == "vantageadapt":
        return module in ALLOWED_PACKAGE
    return root in ALLOWED_IMPORTS or module in ALLOWED_SUBMODULES


def _where(filename: str, node: ast.AST) -> str:
    return f"{filename}:{getattr(node, 'lineno', '?')}"


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds: assignments, arguments, defs, imports, handlers."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _numba_aliases(tree: ast.Module) -> set[str]:
    """Names bound to the numba module (`import numba`, `import numba as nb`)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "numba"
    }


class _Checker(ast.NodeVisitor):
    def __init__(self, filename: str, tree: ast.Module) -> None:
        self.filename = filename
        self.bound = _bound_names(tree)
        self.numba = _numba_aliases(tree)

    def _reject(self, node: ast.AST, what: str) -> None:
        raise PatchRejected(f"{_where(self.filename, node)}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("numba."):
                self._reject(node, f"import of {alias.name!r} is not allowed; use `import numba`")
            if not _import_allowed(alias.name):
                self._reject(node, f"import of {alias.name!r} is not allowed; {_ALLOWED_TEXT}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not _import_allowed(module):
            self._reject(node, f"import from {module or '.'!r} is not allowed; {_ALLOWED_TEXT}")
        for alias in node.names:
            if alias.name == "*" or _is_dunder(alias.name) or alias.name in FORBIDDEN_NAMES:
                self._reject(node, f"importing {alias.name!r} from {module!r} is not allowed")
            if module.split(".")[0] == "numba" and (
                module != "numba" or alias.name not in NUMBA_NAMES
            ):
                self._reject(
                    node,
                    f"from numba import only {', '.join(sorted(NUMBA_NAMES))}; not {alias.name!r}",
                )
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in STRING_ACCESS:
            self._reject(
                node,
                f"{name}() is not allowed: write the attribute itself (obj.name, not "
                f"{name}(obj, 'name')); keep optional values in a dict",
            )
        if name == "print":
            self._reject(node, "print() is not allowed: return values instead (stdout is data)")
        if name in FORBIDDEN_CALLS:
            self._reject(node, f"use of {name!r} is forbidden in workspace code")
        if name in FORBIDDEN_NAMES or _is_dunder(name):
            self._reject(node, f"name {name!r} is forbidden in workspace code")
        if isinstance(node.ctx, ast.Load) and name not in self.bound | ALLOWED_BUILTINS:
            self._reject(
                node,
                f"name {name!r} is not defined in this module and not an allowed builtin; "
                f"define or import it (allowed builtins: {', '.join(sorted(ALLOWED_BUILTINS))})",
            )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if _is_dunder(attr) or attr.startswith("_"):
            self._reject(node, f"attribute {attr!r} (private or dunder) is forbidden")
        if (
            attr in FORBIDDEN_NAMES
            or attr in FORBIDDEN_CALLS
            or attr in FORBIDDEN_ATTRS
            or attr.startswith(_FRAME_PREFIXES)
        ):
            self._reject(node, f"attribute {attr!r} is forbidden in workspace code")
        if attr.startswith(_FILE_PREFIXES) or (attr.startswith("to_") and attr not in _SAFE_TO):
            self._reject(
                node,
                f"attribute {attr!r} reads or writes files; workspace code only computes and "
                "returns values (to_numpy, to_list, to_dict, to_frame are fine)",
            )
        numba = isinstance(node.value, ast.Name) and node.value.id in self.numba
        if numba and attr not in NUMBA_NAMES:
            self._reject(
                node, f"numba.{attr} is not allowed; use only {', '.join(sorted(NUMBA_NAMES))}"
            )
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # "__" in any string: format strings like "{0.__class__}" reach attributes too.
        if isinstance(node.value, str) and "__" in node.value:
            self._reject(node, f"string {node.value[:40]!r} contains '__'; not allowed")

    def visit_Global(self, node: ast.Global) -> None:
        self._reject(node, "`global` is not allowed; keep module state in module constants")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self._reject(node, "`nonlocal` is not allowed")


_ALLOWED_TEXT = "allowed: numpy, pandas, math, numba, typing, collections.abc and " + ", ".join(
    sorted(ALLOWED_PACKAGE)
)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = node.args
    parts = [
        "pos:" + ",".join(a.arg for a in args.posonlyargs),
        "args:" + ",".join(a.arg for a in args.args),
        f"defaults:{len(args.defaults)}",
        "vararg:" + (args.vararg.arg if args.vararg else ""),
        "kw:" + ",".join(a.arg for a in args.kwonlyargs),
        "kwdefaults:" + ",".join(str(d is not None) for d in args.kw_defaults),
        "kwarg:" + (args.kwarg.arg if args.kwarg else ""),
        "async" if isinstance(node, ast.AsyncFunctionDef) else "sync",
    ]
    return " ".join(parts)


def public_api(tree: ast.Module) -> dict[str, str]:
    """Public top-level names with a signature (functions), 'class' or 'value' (assignments)."""
    api: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            api[node.name] = _signature(node)
        elif isinstance(node, ast.ClassDef):
            api[node.name] = "class"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    api[target.id] = "value"
    return {k: v for k, v in api.items() if not k.startswith("_")}


def check_source(source: str, *, filename: str, original: str | None = None) -> None:
    """Reject a module that does not parse, uses a forbidden thing, or changes its public API."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise PatchRejected(f"{filename}:{exc.lineno}: does not parse: {exc.msg}") from None
    _Checker(filename, tree).visit(tree)
    if original is None:
        return
    before = public_api(ast.parse(original, filename=filename))
    after = public_api(tree)
    for name, signature in before.items():
        if name not in after:
            raise PatchRejected(
                f"{filename}: public {name!r} was removed; the pipeline calls it, keep it"
            )
        if after[name] != signature:
            raise PatchRejected(
                f"{filename}: public {name!r} changed its signature ({signature} -> "
                f"{after[name]}); keep the signature, change the body"
            )
