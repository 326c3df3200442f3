"""Fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """A test that runs a command configures logging for the whole process (level, output stream);
    the next test starts from structlog's defaults again."""
    yield
    structlog.reset_defaults()
