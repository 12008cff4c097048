"""A multipart/form-data body read from disk as it is sent (requests' own ``files=`` builds the
whole body in memory), with its exact Content-Length, fields in the order given: the API needs
the fields that place a file before the file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FilePart:
    """A file to send: its path within the dataset or version, and where it is on disk."""

    path: str
    local: Path
    content_type: str = "application/octet-stream"


def _quote(value: str) -> str:
    # RFC 7578: UTF-8 as is; quotes and line breaks percent-encoded, as browsers do.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """File-like: ``read(n)`` and ``len()``, so requests sends it with a Content-Length."""

    def __init__(
        self,
        fields: list[tuple[str, str]],
        files: list[FilePart],
        *,
        sha256s: dict[str, str] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self.boundary = f"xai-{uuid.uuid4().hex}"
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._on_bytes = on_bytes
        segments: list[bytes | Path] = []
        for name, value in fields:
            segments.append(self._field(name, value))
        for part in files:
            # A `path` field names the file's path (any characters); a `sha256` field is checked by the server.
            segments.append(self._field("path", part.path))
            if sha256s and part.path in sha256s:
                segments.append(self._field("sha256", sha256s[part.path]))
            head = (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{_quote(part.path)}"\r\n'
                f"Content-Type: {part.content_type}\r\n\r\n"
            )
            segments.extend([head.encode(), part.local, b"\r\n"])
        segments.append(f"--{self.boundary}--\r\n".encode())
        self._segments = segments
        self._length = sum(s.stat().st_size if isinstance(s, Path) else len(s) for s in segments)
        self._index = 0
        self._offset = 0
        self._open: object | None = None

    def _field(self, name: str, value: str) -> bytes:
        return (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        size = 1 << 20 if size is None or size < 0 else size
        while self._index < len(self._segments):
            segment = self._segments[self._index]
            if isinstance(segment, Path):
                if self._open is None:
                    self._open = open(segment, "rb")  # noqa: SIM115 - closed when its bytes are sent
                chunk = self._open.read(size)  # type: ignore[attr-defined]
                if chunk:
                    return self._sent(chunk)
                self._open.close()  # type: ignore[attr-defined]
                self._open = None
            else:
                if self._offset < len(segment):
                    chunk = segment[self._offset : self._offset + size]
                    self._offset += len(chunk)
                    return self._sent(chunk)
                self._offset = 0
            self._index += 1
        return b""

    def _sent(self, chunk: bytes) -> bytes:
        if self._on_bytes:
            self._on_bytes(len(chunk))
        return chunk

    def close(self) -> None:
        if self._open is not None:
            self._open.close()  # type: ignore[attr-defined]
            self._open = None


def file_size(path: Path) -> int:
    return os.stat(path).st_size
