"""One upload path for every kind: a version's files go as one streamed multipart request when
they are small, and through resumable /uploads sessions (one per file) from
``large_file_threshold`` (64 MiB) on."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._multipart import FilePart, MultipartBody
from ._progress import Progress
from ._transport import Transport, backoff
from .errors import ApiError
from .sessions import SessionUploader

MiB = 1024 * 1024
DEFAULT_LARGE_FILE_THRESHOLD = 64 * MiB


def file_parts(local: str | os.PathLike[str], path_in: str | None = None, *, first: Callable[[str], bool] | None = None) -> list[FilePart]:
    """A file (as ``path_in`` or its name) or a folder's files (by their paths inside it, under
    ``path_in`` when given). ``first`` picks the file to send first (a model version's model file)."""
    root = Path(local)
    if root.is_file():
        return [FilePart(path_in or root.name, root)]
    if not root.is_dir():
        raise FileNotFoundError(str(root))
    prefix = f"{path_in.strip('/')}/" if path_in else ""
    parts = [
        FilePart(prefix + child.relative_to(root).as_posix(), child)
        for child in sorted(root.rglob("*"))
        if child.is_file() and not child.name.startswith(".")
    ]
    if not parts:
        raise FileNotFoundError(f"{root} holds no files")
    if first is not None:
        goes_first = first
        parts.sort(key=lambda part: (not goes_first(part.path), part.path))
    return parts


#: List fields the API reads as one JSON field (tags, by contrast, repeat).
JSON_LIST_FIELDS = frozenset({"features"})


def form_fields(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Form fields as the API reads them: objects as JSON text, lists as repeated fields."""
    fields: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, dict) or name in JSON_LIST_FIELDS:
            fields.append((name, json.dumps(value)))
        elif isinstance(value, (list, tuple)):
            fields.extend((name, str(item)) for item in value)
        else:
            fields.append((name, str(value)))
    return fields


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Uploader:
    def __init__(self, transport: Transport, sessions: SessionUploader, large_file_threshold: int) -> None:
        self.transport = transport
        self.sessions = sessions
        self.large_file_threshold = large_file_threshold

    def is_large(self, parts: Sequence[FilePart]) -> bool:
        return any(part.local.stat().st_size >= self.large_file_threshold for part in parts)

    def form(
        self,
        url_path: str,
        fields: Mapping[str, Any],
        parts: Sequence[FilePart],
        *,
        params: Mapping[str, Any] | None = None,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """One multipart request; each file's SHA-256 goes before it, so the server keeps nothing
        that differs. Refusals before storing (429, 503) are retried with a fresh body."""
        sha256s = {part.path: sha256_file(part.local) for part in parts}
        total = sum(part.local.stat().st_size for part in parts)
        attempt = 0
        while True:
            with Progress(total, parts[0].path if parts else url_path, progress) as bar:
                body = MultipartBody(form_fields(fields), list(parts), sha256s=sha256s, on_bytes=bar.update)
                try:
                    return self.transport.obj(
                        "POST", url_path, data=body, params=params, headers={"Content-Type": body.content_type}
                    )
                except ApiError as error:
                    if error.status not in (429, 503) or attempt >= self.transport.retries:
                        raise
                    retry_after = (error.problem or {}).get("retryAfter")
                    time.sleep(backoff(attempt, str(retry_after) if retry_after else None))
                    attempt += 1
                finally:
                    body.close()

    def version(
        self,
        kind: str,
        url_path: str,
        fields: Mapping[str, Any],
        parts: Sequence[FilePart],
        *,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """A model version or an explanation (``kind``) of one or more files: one multipart
        request when they are small, else one resumable session per file — the first reserves
        the version (``{kind}`` target), the others name it (``{kind}-file``). Answers the version."""
        if not self.is_large(parts):
            return self.form(url_path, fields, parts, progress=progress)
        first = {"type": kind, **{k: v for k, v in fields.items() if v is not None}}
        session = self.sessions.upload(parts[0].local, {**first, "filename": parts[0].path, "files": len(parts)}, progress=progress)
        version_id = session["artifactId"]
        for part in parts[1:]:
            target = {"type": f"{kind}-file", kind: version_id, "path": part.path}
            session = self.sessions.upload(part.local, target, progress=progress)
        result: dict[str, Any] = session["result"]
        return result
