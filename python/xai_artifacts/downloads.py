"""Verified, resumable downloads. Bytes go to ``<dest>.<sha256 prefix>.part`` beside the
destination; after an interruption (a cut connection, a killed process) the next attempt asks
for the rest with a Range request; only bytes whose SHA-256 matches are renamed onto the
destination, so a path never holds a partial or wrong file."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import requests

from ._locks import file_lock
from ._progress import Progress
from ._transport import backoff
from .errors import ApiError

CHUNK = 1 << 20

#: Fetches a (fresh) download URL for the file: links expire, and a resume may need a new one.
LinkSource = Callable[[], str]


def partial_path(dest: Path, sha256: str) -> Path:
    return dest.with_name(f".{dest.name}.{sha256[:16]}.part")


def download_verified(
    link: LinkSource,
    dest: Path,
    *,
    sha256: str,
    size: int,
    retries: int = 8,
    progress: bool | None = None,
    session: requests.Session | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Downloads the file whose SHA-256 and size the API recorded to ``dest``; resumes a partial
    file left by an earlier attempt. Raises ApiError ``checksum_mismatch`` (and removes the
    partial file) if the bytes are not the recorded ones."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(dest, sha256)
    http = session or requests.Session()
    with file_lock(part.with_name(part.name + ".lock")), Progress(size, dest.name, progress) as bar:
        url: str | None = None
        attempt = 0
        if part.exists():
            bar.update(min(part.stat().st_size, size))
        while True:
            have = part.stat().st_size if part.exists() else 0
            if have > size:
                part.unlink()
                have = 0
            if have == size:
                break
            url = url or link()
            try:
                have = _fetch_rest(http, url, part, have, bar, on_bytes)
                if have >= size:
                    break
                raise requests.ConnectionError("the body ended early")
            except _ExpiredLink:
                url = None  # ask the API for a new link, then go on from where the file ends
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
                if attempt >= retries:
                    raise ApiError(None, "unreachable", f"Download of {dest.name} failed: {error}") from error
            time.sleep(backoff(attempt) if attempt else 0.1)
            attempt += 1
        actual = _sha256_of(part)
        if actual != sha256:
            part.unlink(missing_ok=True)
            raise ApiError(None, "checksum_mismatch", f"{dest.name}: expected SHA-256 {sha256}, received {actual}.")
        os.replace(part, dest)
    part.with_name(part.name + ".lock").unlink(missing_ok=True)
    return dest


class _ExpiredLink(Exception):
    pass


def _fetch_rest(
    http: requests.Session,
    url: str,
    part: Path,
    have: int,
    bar: Progress,
    on_bytes: Callable[[int], None] | None,
) -> int:
    headers = {"Range": f"bytes={have}-"} if have else {}
    with http.get(url, headers=headers, stream=True, timeout=(10, 120)) as response:
        if response.status_code in (401, 403):
            raise _ExpiredLink()
        if response.status_code == 416:
            return have
        if response.status_code >= 400:
            raise ApiError(response.status_code, f"http_{response.status_code}", response.text[:300])
        if have and response.status_code != 206:
            have = 0  # the store ignored the Range: start over
        mode = "ab" if have else "wb"
        with open(part, mode) as handle:
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
                have += len(chunk)
                bar.update(len(chunk))
                if on_bytes:
                    on_bytes(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
    return have


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()
