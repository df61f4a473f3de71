"""Named errors. Each carries one line for the user that names the file, symbol or date."""

from __future__ import annotations


class AltseasonError(Exception):
    """A clear, expected failure: the CLI prints the message and exits 1."""

    exit_code = 1


class UsageError(AltseasonError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class ConfigError(AltseasonError):
    """The configuration file is missing or wrong."""


class PriceDataError(AltseasonError):
    """A price file or a fetched series fails validation."""


class SymbolNotFound(AltseasonError):
    """A source returned nothing for a symbol and nothing is cached for it."""


class NetworkUnreachable(AltseasonError):
    """Yahoo Finance could not be reached."""


class RateLimited(AltseasonError):
    """Yahoo Finance kept refusing requests as too many."""


class StaleData(AltseasonError):
    """Data exists but ends too long before the week it is needed for."""


class LedgerError(AltseasonError):
    """The verdict ledger is unreadable; it is never repaired by rewriting."""
