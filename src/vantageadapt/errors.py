"""Errors the user can act on; the CLI maps each family to an exit code."""

EXIT_INTERNAL = 4  # an unexpected exception reached the CLI edge (a bug): see the log file


class VantageError(Exception):
    """Base of every error VantageAdapt raises on purpose."""

    exit_code = 2


class DataError(VantageError):
    """Input data is missing, malformed or unsafe."""


class RuleError(VantageError):
    """A trading-rule condition does not parse or names an unknown term."""


class ConfigError(VantageError):
    """A setting, flag, range or file is invalid."""


class PatchRejected(VantageError):
    """A proposed code or prompt patch failed its checks."""


class SandboxError(VantageError):
    """The sandboxed run of a patch crashed, hung or broke its limits."""


class BudgetExceeded(VantageError):
    """The next strategist call would pass --max-cost or --max-tokens."""

    exit_code = 1


class ProviderError(VantageError):
    """An LLM provider failed after retries."""

    exit_code = 3


class StoreError(VantageError):
    """The database was unreachable or refused an operation."""

    exit_code = 3


class ExecutorError(VantageError):
    """A remote executor (Dask cluster) could not be reached."""

    exit_code = 3
