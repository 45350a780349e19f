"""A run's workspace: copies of the patchable modules and prompt templates.

The main process only reads and writes these files; their code runs in a worker
(`vantageadapt.agent.worker_main`), never here.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

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


def version_of(sources: Mapping[str, str]) -> str:
    """sha256 over the module sources in MODULE_FILES order: one id per workspace version."""
    return hashlib.sha256("".join(sources[n] for n in MODULE_FILES).encode()).hexdigest()


class Workspace:
    """`<run_dir>/workspace/`: modules/ (the kept versions), prompts/, candidates/."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.modules_dir = self.root / "modules"
        self.prompts_dir = self.root / "prompts"
        self.candidates_dir = self.root / "candidates"

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
        workspace.candidates_dir.mkdir(exist_ok=True)
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
