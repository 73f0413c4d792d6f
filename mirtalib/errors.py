"""Exception hierarchy of mirtalib.

Every error raised on purpose by the library derives from :class:`MirtaError`, so a notebook or the
CLI can catch one type and show one clear line. Messages name the field and the value at fault (but
never a secret value).
"""

from __future__ import annotations


class MirtaError(Exception):
    """Raised as the root of every error mirtalib raises on purpose."""


class ConfigurationError(MirtaError):
    """Raised when settings, a parameter file or an environment variable is missing or bad."""


class ParameterError(ConfigurationError):
    """Raised when a notebook or runbook parameter has a bad value (names it and the value)."""


class SecretError(ConfigurationError):
    """Raised when a named secret cannot be resolved from the environment or `.env`."""


class DataSourceError(MirtaError):
    """Raised when a database or file source cannot be reached, opened or understood."""


class SchemaError(DataSourceError):
    """Raised when a table or column the library needs is missing from the source."""


class ParseError(MirtaError):
    """Raised when a parser cannot make sense of its input (the only error a parser raises)."""


class TargetError(MirtaError):
    """Raised when a runbook target (local, SSH, replay) is unreachable or refuses an operation."""


class CommandError(TargetError):
    """Raised when a command run on a target exits with a failure the step did not allow."""


class ConfirmationRequired(MirtaError):
    """Raised when a changing operation (apply, rollback) lacks explicit confirmation."""


class NotebookError(MirtaError):
    """Raised when a notebook cannot be found, parameterized or executed."""
