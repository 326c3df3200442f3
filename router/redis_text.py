"""Text in and out of redis-py, typed: it types hash fields as any encodable value and answers str
or bytes depending on `decode_responses`. Everything the hotline stores in Redis is UTF-8 text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from redis.typing import EncodableT


def text(value: bytes | str) -> str:
    """Redis answers str with decode_responses=True and bytes without: accept both."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def texts(values: Iterable[bytes | str]) -> set[str]:
    return {text(v) for v in values}


def text_hash(raw: Mapping[bytes | str, bytes | str] | None) -> dict[str, str]:
    return {text(k): text(v) for k, v in (raw or {}).items()}


def fields(values: Mapping[str, str]) -> dict[EncodableT, EncodableT]:
    """A hash mapping as redis-py's signatures want it; ours are text."""
    return dict(values.items())
