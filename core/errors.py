"""Errors of the bottom package (here so that every settings module can raise them without a cycle)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key."""
