"""The entry point: ``Client(api_url, api_key)``, or both from ``XAI_API_URL`` / ``XAI_API_KEY``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from ._transport import Transport
from ._uploads import DEFAULT_LARGE_FILE_THRESHOLD, Uploader
from .cache import Cache
from .datasets import Datasets
from .explanations import Explanations
from .models import Models
from .sessions import DEFAULT_PART_SIZE, SessionUploader
from .snapshots import snapshot_download

DEFAULT_API_URL = "http://127.0.0.1:3000"


class Client:
    """Datasets, models and explanations of one API.

    ``large_file_threshold`` (64 MiB): files from this size go by resumable direct upload in
    ``part_size`` parts, ``workers`` at a time. ``cache_dir`` / ``cache_max_bytes`` default to
    ``XAI_CACHE_DIR`` (``~/.cache/xai-artifacts``) / ``XAI_CACHE_MAX_BYTES`` (20 GiB)."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        cache_max_bytes: int | None = None,
        large_file_threshold: int = DEFAULT_LARGE_FILE_THRESHOLD,
        part_size: int = DEFAULT_PART_SIZE,
        workers: int = 4,
        timeout: float = 60.0,
        retries: int = 5,
    ) -> None:
        self.transport = Transport(
            api_url or os.environ.get("XAI_API_URL") or DEFAULT_API_URL,
            api_key if api_key is not None else os.environ.get("XAI_API_KEY") or None,
            timeout=timeout,
            retries=retries,
        )
        self.cache = Cache(Path(cache_dir) if cache_dir is not None else None, cache_max_bytes)
        # Signed storage URLs carry their own credential: the API key never goes to storage.
        self.storage_session = requests.Session()
        self.cache.session = self.storage_session
        self.sessions = SessionUploader(self.transport, self.cache.uploads_dir, workers=workers, part_size=part_size)
        self.uploader = Uploader(self.transport, self.sessions, large_file_threshold)
        self.datasets = Datasets(self)
        self.models = Models(self)
        self.explanations = Explanations(self)

    @property
    def api_url(self) -> str:
        return self.transport.api_url

    # The module function, as a method: ``client`` is this client (one signature, one docstring).
    snapshot_download = snapshot_download

    def health(self) -> dict[str, Any]:
        return self.transport.obj("GET", "/ready")
