"""A run's workspace: copies of the patchable modules and prompt templates, loaded by importlib."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from vantageadapt.errors import ConfigError

MODULE_FILES: tuple[str, ...] = (
    "strategy_generator.py",
    "search_space.py",
    "scoring.py",
    "indicators.py",
)
_TEMPLATE_PACKAGE = "vantageadapt.agent"
_TEMPLATE_DIR = "workspace_template"


def template_sources() -> dict[str, str]:
    """The pristine patchable modules shipped with the package (read, never written)."""
    folder = resources.files(_TEMPLATE_PACKAGE) / _TEMPLATE_DIR
    return {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}


@dataclass(frozen=True)
class WorkspaceModules:
    """The workspace's hooks as the pipeline uses them."""

    compose_rules: Callable[[Any, Any, str], dict[str, Any] | None]
    adjust_search_space: Callable[[Any], Any]
    score: Callable[[Mapping[str, float], Mapping[str, float] | None, int], float]
    custom_indicators: dict[str, Callable[..., Any]]
    modules: dict[str, ModuleType]
    version: str  # sha256 over the module sources, so callers can cache per version

    def register_indicators(self) -> None:
        """Make each custom indicator a `name_N` term of the rule language (process-wide)."""
        from vantageadapt.rules import register_indicator

        for name, fn in self.custom_indicators.items():
            register_indicator(name, fn)

    def unregister_indicators(self) -> None:
        """Remove this version's custom indicators from the rule language."""
        from vantageadapt.rules import unregister_indicator

        for name in self.custom_indicators:
            unregister_indicator(name)


def load_modules(folder: Path) -> WorkspaceModules:
    """Import every workspace module from `folder` under a name unique to its content."""
    sources = {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}
    version = hashlib.sha256("".join(sources[n] for n in MODULE_FILES).encode()).hexdigest()
    loaded: dict[str, ModuleType] = {}
    for name in MODULE_FILES:
        module_name = f"vantage_workspace_{version[:12]}_{name.removesuffix('.py')}"
        spec = importlib.util.spec_from_file_location(module_name, folder / name)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot import workspace module {folder / name}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded[name] = module
    return WorkspaceModules(
        compose_rules=loaded["strategy_generator.py"].compose_rules,
        adjust_search_space=loaded["search_space.py"].adjust_search_space,
        score=loaded["scoring.py"].score,
        custom_indicators=dict(loaded["indicators.py"].CUSTOM_INDICATORS),
        modules=loaded,
        version=version,
    )


class Workspace:
    """`<run_dir>/workspace/`: modules/ (the kept versions), prompts/, candidates/, scratch/."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.modules_dir = self.root / "modules"
        self.prompts_dir = self.root / "prompts"
        self.candidates_dir = self.root / "candidates"
        self.scratch_dir = self.root / "scratch"

    @classmethod
    def create(cls, run_dir: Path | str) -> Workspace:
        """Copy the patchable modules and prompt templates under the run; reuse an existing one."""
        workspace = cls(Path(run_dir) / "workspace")
        workspace.modules_dir.mkdir(parents=True, exist_ok=True)
        for name, text in template_sources().items():
            path = workspace.modules_dir / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")
        workspace._copy_prompts()
        for folder in (workspace.candidates_dir, workspace.scratch_dir):
            folder.mkdir(exist_ok=True)
        return workspace

    def _copy_prompts(self) -> None:
        """Plain `<category>/<name>.prompt` files: PromptManager(root) reads them as version 1."""
        try:
            templates = resources.files("vantageadapt.prompts") / "templates"
        except ModuleNotFoundError:
            return
        if not templates.is_dir():
            return
        for category in templates.iterdir():
            if not category.is_dir():
                continue
            for item in category.iterdir():
                if item.name.endswith(".prompt"):
                    path = self.prompts_dir / category.name / item.name
                    if not path.exists():
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")

    def sources(self) -> dict[str, str]:
        """The current (kept) source of every module."""
        return {n: (self.modules_dir / n).read_text(encoding="utf-8") for n in MODULE_FILES}

    def load(self) -> WorkspaceModules:
        """Import the kept modules (importlib); `.register_indicators()` makes them terms."""
        return load_modules(self.modules_dir)

    def stage(self, patch_id: str, target: str, source: str) -> Path:
        """A candidate folder: the kept modules with `target` replaced by `source`."""
        if target not in MODULE_FILES:
            raise ConfigError(
                f"unknown workspace module {target!r}; patchable: {', '.join(MODULE_FILES)}"
            )
        folder = self.candidates_dir / patch_id
        folder.mkdir(parents=True, exist_ok=False)
        for name in MODULE_FILES:
            shutil.copyfile(self.modules_dir / name, folder / name)
        (folder / target).write_text(source, encoding="utf-8")
        return folder

    def restore(self, sources: Mapping[str, str]) -> None:
        """Make `sources` the kept modules again (a resumed run rewinding a cut-off iteration)."""
        for name in MODULE_FILES:
            tmp = self.modules_dir / f".{name}.tmp"
            tmp.write_text(sources[name], encoding="utf-8")
            tmp.replace(self.modules_dir / name)

    def keep(self, candidate: Path, target: str) -> None:
        """Make a checked candidate's module the kept version (atomic replace)."""
        tmp = self.modules_dir / f".{target}.tmp"
        shutil.copyfile(candidate / target, tmp)
        tmp.replace(self.modules_dir / target)
