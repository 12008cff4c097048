"""List routes answer ``{items, nextCursor}``; this walks every page lazily."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._transport import Transport


def pages(transport: Transport, path: str, params: Mapping[str, Any] | None = None, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
    query = {**(params or {}), "limit": page_size}
    while True:
        answer = transport.json("GET", path, params=query)
        yield from answer["items"]
        cursor = answer.get("nextCursor")
        if not cursor:
            return
        query["cursor"] = cursor


def q(segment: str | int) -> str:
    """One path segment, escaped (dataset names and aliases are plain, paths are not)."""
    from urllib.parse import quote

    return quote(str(segment), safe="")
