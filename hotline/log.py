"""Structured logging. Every line of a call carries its call id through `contextvars`.

Bind the id once at the start of the call's task (`bind_call`): everything logged by that task and
the coroutines it awaits carries it, and other calls' tasks never see it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog


def configure_logging(*, json: bool = False, level: str = "info", stream: TextIO | None = None) -> None:
    """Set up structlog for the whole process: JSON lines for machines, readable lines for people."""
    renderer: Any
    if json:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A logger for one module; `name` ends up as the `logger_name` field.

    (Not `logger=`: structlog's `get_logger` takes that keyword for itself.)
    """
    return structlog.get_logger(logger_name=name)


def bind_call(call_id: str, **extra: Any) -> None:
    """Bind the call id (and anything else) to every log line of the current task."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(call_id=call_id, **extra)
