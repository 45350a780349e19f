"""OptimizeSettings: one validated place for every knob of a parameter search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from vantageadapt.errors import ConfigError
from vantageadapt.optimize.executors import parse_dask_address
from vantageadapt.optimize.samplers import SAMPLERS
from vantageadapt.optimize.scoring import SCORES
from vantageadapt.optimize.space import ParamSpec, parse_spec

# The named choices a setting must be one of.
_CHOICES: dict[str | None, tuple[str, ...]] = {"sampler": tuple(SAMPLERS), "score": tuple(SCORES)}


class OptimizeSettings(BaseModel):
    """How to search: sampler, budget, score, subset, executor, splits and space overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampler: str = "random"
    trials: int = Field(default=200, ge=1)
    score: str = "default"
    subset_size: int = Field(default=5, ge=1)
    seed: int = 0
    executor: str = "local"
    walk_forward: int = Field(default=0, ge=0, description="folds; 0 uses the inner holdout")
    holdout_fraction: float = Field(default=0.25, gt=0.0, lt=1.0)
    validation_fraction: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="held-out tail when no validation_start is given"
    )
    tpe_batch: int = Field(default=32, ge=1)
    prior_trials: int = Field(default=0, ge=0, description="backtests run before this search")
    significance: bool = Field(
        default=True, description="measure the pick's deflated Sharpe and PBO after the search"
    )
    space_file: Path | None = None
    overrides: dict[str, ParamSpec] = Field(default_factory=dict)

    @field_validator("sampler", "score")
    @classmethod
    def _known_name(cls, value: str, info: ValidationInfo) -> str:
        names = _CHOICES[info.field_name]
        if value not in names:
            raise ConfigError(
                f"unknown {info.field_name} {value!r}; choose one of {', '.join(names)}"
            )
        return value

    @field_validator("executor")
    @classmethod
    def _executor(cls, value: str) -> str:
        if value != "local":
            parse_dask_address(value)
        return value

    @field_validator("overrides", mode="before")
    @classmethod
    def _overrides(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                name: spec if isinstance(spec, ParamSpec) else parse_spec(name, spec)
                for name, spec in value.items()
            }
        return value

    @classmethod
    def build(cls, **values: Any) -> OptimizeSettings:
        """Validate settings; any problem becomes a one-line ConfigError naming the field."""
        try:
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            raise ConfigError(f"optimize setting {where}: {err['msg']}") from None
