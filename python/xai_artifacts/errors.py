"""The one exception the client raises: the API's problem details, or a local failure in the same shape."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal or failure. ``status`` is the HTTP status (``None`` when no answer came),
    ``code`` the API's stable problem code (or a local one: ``unreachable``,
    ``checksum_mismatch``, ``unmappable_path``), ``detail`` a sentence for people."""

    def __init__(self, status: int | None, code: str, detail: str, problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status or '-'} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem: dict[str, Any] = problem or {"code": code, "detail": detail}
