"""Prompt templates: package defaults, an override folder, versions with history."""

from __future__ import annotations

import difflib
import hashlib
import json
import string
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from vantageadapt.errors import ConfigError
from vantageadapt.home import vantage_home

CATEGORIES: tuple[str, ...] = ("analysis", "strategy", "rules", "improvement")
_SUFFIX = ".prompt"
_HISTORY = "history.json"


class PromptVersion(BaseModel):
    """One stored version of a template."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    template: str
    reason: str
    created_at: str
    sha256: str
    source: str  # "package", "override" (a plain file in the root) or "update"


def placeholders(template: str, *, name: str = "<template>") -> set[str]:
    """The `{field}` names of a template; ConfigError on bad syntax or non-identifier fields."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(
            f"prompt {name!r} has unbalanced braces ({exc}); write literal braces as {{{{ }}}}"
        ) from None
    fields: set[str] = set()
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        # Only plain names: `{x.attr}` or `{x[0]}` would let an edited template reach into objects.
        if not field.isidentifier() or spec or conversion:
            raise ConfigError(
                f"prompt {name!r} has placeholder {{{field}}} with attribute/index/format parts; "
                "use plain names like {theme}, and double literal braces"
            )
        fields.add(field)
    return fields


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _default_root() -> Path:
    return vantage_home() / "prompts"


class PromptManager:
    """Templates named `category/name`, read from the package and overridden under `root`.

    Layout under `root`: an optional plain `<category>/<name>.prompt` replaces the package
    template as version 1 (a run workspace copies templates that way); later versions live in
    `<category>/<name>.versions/v<N>.prompt` with `history.json` beside them, and are never
    overwritten: `update_prompt` and `rollback` each append a new version.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else _default_root()

    # reading -----------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every template name, package and override, sorted."""
        found: set[str] = set()
        package = resources.files("vantageadapt.prompts") / "templates"
        for category in CATEGORIES:
            folder = package / category
            if folder.is_dir():
                found.update(
                    f"{category}/{item.name.removesuffix(_SUFFIX)}"
                    for item in folder.iterdir()
                    if item.name.endswith(_SUFFIX)
                )
            local = self.root / category
            if local.is_dir():
                found.update(f"{category}/{p.stem}" for p in local.glob(f"*{_SUFFIX}"))
                found.update(
                    f"{category}/{p.name.removesuffix('.versions')}"
                    for p in local.glob("*.versions")
                )
        return sorted(found)

    def get(self, name: str) -> tuple[str, int]:
        """The current template text and its version number."""
        current = self.versions(name)[-1]
        return current.template, current.version

    def versions(self, name: str) -> list[PromptVersion]:
        """All versions of a template, oldest first (version 1 is the base)."""
        base = self._base(name)
        history = self._read_history(name)
        return [base, *history]

    def format_prompt(self, name: str, **values: object) -> str:
        """Fill the current template; ConfigError on a missing or an unknown placeholder."""
        template, version = self.get(name)
        return self.format_template(template, name=f"{name} v{version}", **values)

    @staticmethod
    def format_template(template: str, *, name: str = "<template>", **values: object) -> str:
        """Fill a template text, checking placeholders both ways."""
        fields = placeholders(template, name=name)
        missing = sorted(fields - values.keys())
        unknown = sorted(values.keys() - fields)
        if missing:
            raise ConfigError(
                f"prompt {name!r} needs placeholder(s) {missing} that were not given; "
                f"pass them to format_prompt or remove them from the template"
            )
        if unknown:
            raise ConfigError(
                f"prompt {name!r} has no placeholder(s) {unknown}; the template uses "
                f"{sorted(fields)}; add them to the template or stop passing them"
            )
        return template.format(**values)

    def diff(self, name: str, old: int, new: int | None = None) -> str:
        """A unified diff between two versions (new defaults to the current one)."""
        by_version = {v.version: v for v in self.versions(name)}
        newest = max(by_version)
        new = newest if new is None else new
        for wanted in (old, new):
            if wanted not in by_version:
                raise ConfigError(
                    f"prompt {name!r} has no version {wanted}; versions are 1..{newest}"
                )
        return "".join(
            difflib.unified_diff(
                by_version[old].template.splitlines(keepends=True),
                by_version[new].template.splitlines(keepends=True),
                fromfile=f"{name} v{old}",
                tofile=f"{name} v{new}",
            )
        )

    # writing -----------------------------------------------------------------------------
    def update_prompt(self, name: str, template: str, reason: str) -> int:
        """Store `template` as a new version of `name` and return its number.

        The new text must keep exactly the placeholders of the current version, so code that
        formats it keeps working; otherwise ConfigError.
        """
        current, version = self.get(name)
        wanted = placeholders(current, name=f"{name} v{version}")
        got = placeholders(template, name=f"{name} (proposed)")
        if got != wanted:
            raise ConfigError(
                f"new version of prompt {name!r} changes placeholders: missing "
                f"{sorted(wanted - got)}, unknown {sorted(got - wanted)}; keep exactly "
                f"{sorted(wanted)} and double literal braces"
            )
        return self._append(name, template, reason or "updated", version + 1)

    def rollback(self, name: str, version: int) -> int:
        """Make an old version current again by appending a copy of it; returns the new number."""
        all_versions = self.versions(name)
        match = [v for v in all_versions if v.version == version]
        if not match:
            raise ConfigError(
                f"prompt {name!r} has no version {version}; versions are "
                f"1..{all_versions[-1].version} (see `vantage prompts history {name}`)"
            )
        return self._append(
            name, match[0].template, f"rollback to v{version}", all_versions[-1].version + 1
        )

    # storage -----------------------------------------------------------------------------
    def _split(self, name: str) -> tuple[str, str]:
        category, _, leaf = name.partition("/")
        if category not in CATEGORIES or not leaf or not leaf.replace("_", "").isalnum():
            known = ", ".join(self.names())
            raise ConfigError(
                f"unknown prompt name {name!r}; names are category/name with category one of "
                f"{', '.join(CATEGORIES)} (known: {known})"
            )
        return category, leaf

    def _base(self, name: str) -> PromptVersion:
        category, leaf = self._split(name)
        local = self.root / category / f"{leaf}{_SUFFIX}"
        if local.is_file():
            text = local.read_text(encoding="utf-8")
            stamp = datetime.fromtimestamp(local.stat().st_mtime, UTC).isoformat()
            source = "override"
        else:
            item = resources.files("vantageadapt.prompts") / "templates" / category
            item = item / f"{leaf}{_SUFFIX}"
            if not item.is_file():
                raise ConfigError(
                    f"unknown prompt {name!r}; known prompts: {', '.join(self.names())}"
                )
            text = item.read_text(encoding="utf-8")
            stamp, source = "", "package"
        return PromptVersion(
            name=name,
            version=1,
            template=text,
            reason="base template",
            created_at=stamp,
            sha256=_sha(text),
            source=source,
        )

    def _folder(self, name: str) -> Path:
        category, leaf = self._split(name)
        return self.root / category / f"{leaf}.versions"

    def _read_history(self, name: str) -> list[PromptVersion]:
        folder = self._folder(name)
        path = folder / _HISTORY
        if not path.is_file():
            return []
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"prompt history {path} is not valid JSON ({exc}); fix or remove it"
            ) from None
        out = []
        for entry in entries:
            text = (folder / f"v{entry['version']}{_SUFFIX}").read_text(encoding="utf-8")
            out.append(PromptVersion(name=name, template=text, source="update", **entry))
        return out

    def _append(self, name: str, template: str, reason: str, version: int) -> int:
        folder = self._folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"v{version}{_SUFFIX}"
        if target.exists():
            raise ConfigError(f"prompt version file {target} already exists; never overwritten")
        target.write_text(template, encoding="utf-8")
        path = folder / _HISTORY
        entries = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        entries.append(
            {
                "version": version,
                "reason": reason,
                "created_at": datetime.now(UTC).isoformat(),
                "sha256": _sha(template),
            }
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=2), encoding="utf-8")
        tmp.replace(path)
        return version
