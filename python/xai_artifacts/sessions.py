"""Large files through /uploads sessions: parts straight to storage in parallel, each part's
SHA-256 signed into its URL, the whole file's SHA-256 computed in the same single read, retries
with backoff, and resumable across process restarts: the session id is kept in the cache folder
under a key of (API, file, target), so the next call with the same file and target finds it,
asks the server which parts it has, and sends only the others."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from . import _state
from ._progress import Progress
from ._transport import Transport, backoff
from .errors import ApiError

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 16 * MiB
#: A session's answers that mean it cannot finish: the next attempt starts a new one.
RESTARTABLE = frozenset({"upload_expired", "upload_not_open", "upload_not_found"})


class SessionUploader:
    def __init__(self, transport: Transport, state_dir: Path, *, workers: int = 4, part_size: int = DEFAULT_PART_SIZE) -> None:
        self.transport = transport
        self.state_dir = state_dir
        self.workers = max(1, workers)
        self.part_size = part_size
        # Storage URLs carry their own signature: no API credential goes to them.
        self._storage = requests.Session()
        #: Called with each part number once storage has it (progress reports, logs).
        self.on_part: Callable[[int], None] | None = None

    def state_file(self, local: Path, target: dict[str, Any]) -> Path:
        key = json.dumps([self.transport.api_url, str(local.resolve()), target], sort_keys=True)
        return self.state_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def upload(self, local: Path, target: dict[str, Any], *, progress: bool | None = None) -> dict[str, Any]:
        """Uploads (or finishes uploading) one file into ``target``; answers the session when ready.
        A resumed session that can no longer finish (expired, aborted elsewhere) is replaced by a
        new one once."""
        try:
            return self._upload(local, target, progress)
        except ApiError as error:
            if error.code not in RESTARTABLE:
                raise
            return self._upload(local, target, progress)

    def _upload(self, local: Path, target: dict[str, Any], progress: bool | None) -> dict[str, Any]:
        info = os.stat(local)
        fingerprint = {"size": info.st_size, "mtime_ns": info.st_mtime_ns}
        state_path = self.state_file(local, target)
        resumed = self._resume(state_path, fingerprint)
        if resumed is not None:
            session = resumed
        else:
            session = self.transport.obj(
                "POST", "/uploads", json={"target": target, "size": info.st_size, "partSize": self.part_size}
            )
            _state.write_json(state_path, {"session": session["id"], **fingerprint})
        try:
            sha256 = self._send_parts(local, session, progress)
            if session["state"] == "uploading":
                session = self.transport.obj("POST", f"/uploads/{session['id']}/complete", retry=True)
            session = self._settled(session)
        except ApiError as error:
            if error.code in RESTARTABLE:
                _state.remove(state_path)  # the session cannot finish: the next call starts a new one
            raise
        _state.remove(state_path)
        if session["state"] != "ready":
            problem = session.get("problem") or {}
            raise ApiError(
                422 if problem.get("code") == "checksum_mismatch" else None,
                problem.get("code", f"upload_{session['state']}"),
                problem.get("detail", f"The upload ended {session['state']}."),
                problem or None,
            )
        stored = stored_sha256(session.get("result"), target.get("path") or target.get("filename"))
        if stored not in (None, sha256):
            raise ApiError(None, "checksum_mismatch", f"The server stored {stored}; the file read {sha256} (it changed while uploading?).")
        session["localSha256"] = sha256
        return session

    def _resume(self, state_path: Path, fingerprint: dict[str, int]) -> dict[str, Any] | None:
        """The saved session of this file and target, if it can still finish."""
        saved = _state.read_json(state_path)
        if not isinstance(saved, dict) or "session" not in saved:
            return None
        if saved.get("size") != fingerprint["size"] or saved.get("mtime_ns") != fingerprint["mtime_ns"]:
            # The file changed since: its parts are not this file's. Abort the old session.
            try:
                self.transport.request("DELETE", f"/uploads/{saved['session']}")
            except ApiError:
                pass
            _state.remove(state_path)
            return None
        try:
            session = self.transport.obj("GET", f"/uploads/{saved['session']}")
        except ApiError as error:
            if error.status in (404, 409, 410):
                _state.remove(state_path)
                return None
            raise
        if session["state"] in ("failed", "aborted"):
            _state.remove(state_path)
            return None
        return session

    def _send_parts(self, local: Path, session: dict[str, Any], progress: bool | None) -> str:
        """Reads the file once, in order, hashing it; parts storage lacks go out on worker threads
        (at most ``workers`` parts in memory beside the one being read)."""
        size, part_size, count = session["size"], session["partSize"], session["partCount"]

        def expected(n: int) -> int:
            return int(min(part_size, size - (n - 1) * part_size))

        done = {
            p["partNumber"] for p in session.get("uploadedParts", []) if p["size"] == expected(p["partNumber"])
        }
        if session["state"] != "uploading":
            done = set(range(1, count + 1))
        whole = hashlib.sha256()
        failure: list[BaseException] = []
        lock = threading.Lock()
        with Progress(size, local.name, progress) as bar, open(local, "rb") as handle:
            bar.update(sum(expected(n) for n in done))
            with ThreadPoolExecutor(self.workers, thread_name_prefix="xai-part") as pool:
                in_flight: deque[Future[None]] = deque()
                for n in range(1, count + 1):
                    data = handle.read(expected(n))
                    if len(data) != expected(n):
                        raise ApiError(None, "file_changed", f"{local} is shorter than when the upload began.")
                    whole.update(data)
                    if n in done:
                        continue
                    in_flight.append(pool.submit(self._put_part, session["id"], n, data, bar, lock))
                    while len(in_flight) >= self.workers:
                        _collect(in_flight.popleft(), failure)
                    if failure:
                        break
                while in_flight:
                    _collect(in_flight.popleft(), failure)
        if failure:
            raise failure[0]
        return whole.hexdigest()

    def _put_part(self, session_id: str, n: int, data: bytes, bar: Progress, lock: threading.Lock) -> None:
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        attempts = self.transport.retries + 1
        for attempt in range(attempts):
            # A fresh URL each attempt: an expired one is never reused.
            signed = self.transport.obj(
                "POST",
                f"/uploads/{session_id}/parts",
                json={"partNumbers": [n], "sha256": {str(n): checksum}},
                retry=True,
            )["parts"][0]
            try:
                response = self._storage.put(
                    self.transport.url(signed["url"]), data=data, headers=signed["headers"], timeout=(10, 600)
                )
                if response.ok:
                    with lock:
                        bar.update(len(data))
                        if self.on_part:
                            self.on_part(n)
                    return
                if response.status_code < 500 and response.status_code not in (403, 408, 429):
                    raise ApiError(response.status_code, "part_refused", f"Part {n}: {response.text[:300]}")
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == attempts - 1:
                    raise ApiError(None, "unreachable", f"Part {n} could not be sent: {error}") from error
            time.sleep(backoff(attempt))
        raise ApiError(None, "part_failed", f"Part {n} failed {attempts} times.")

    def _settled(self, session: dict[str, Any]) -> dict[str, Any]:
        delay = 0.2
        while session["state"] == "verifying":
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
            session = self.transport.obj("GET", f"/uploads/{session['id']}")
        return session


def stored_sha256(record: Any, path: str | None) -> str | None:
    """The SHA-256 the server computed for the file at ``path`` of a dataset or version record."""
    if not isinstance(record, dict) or path is None:
        return None
    for file in record.get("files") or []:
        if file.get("path") == path:
            return str(file.get("sha256"))
    return None


def _collect(future: Future[None], failure: list[BaseException]) -> None:
    try:
        future.result()
    except BaseException as error:  # noqa: BLE001 - the first failure is raised after the others end
        failure.append(error)
