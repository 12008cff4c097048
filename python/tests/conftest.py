"""The suite runs against a real API process named by XAI_API_URL (test/python-client.test.ts
starts one per backend and runs this suite against each); without it the suite fails, it never
skips."""

from __future__ import annotations

import hashlib
import os
import sys
import uuid
from pathlib import Path

import pytest

from xai_artifacts import Client

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("XAI_API_URL"):
        raise pytest.UsageError("XAI_API_URL must name a running API (npm test starts one per backend).")


@pytest.fixture(scope="session")
def api_url() -> str:
    return os.environ["XAI_API_URL"]


@pytest.fixture(scope="session")
def large_bytes() -> int:
    """The size of the interrupted-transfer files (300 MiB unless XAI_TEST_LARGE_MIB says)."""
    return int(os.environ.get("XAI_TEST_LARGE_MIB", "300")) * 1024 * 1024


@pytest.fixture
def client(api_url: str, tmp_path: Path) -> Client:
    return Client(api_url, cache_dir=tmp_path / "cache")


@pytest.fixture
def name() -> str:
    """A dataset name no other test uses."""
    return f"t-{uuid.uuid4().hex[:12]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_pattern(path: Path, size: int, seed: int = 1) -> Path:
    """``size`` bytes that differ per seed and position, written 1 MiB at a time."""
    block = hashlib.sha256(str(seed).encode()).digest() * (1 << 15)  # 1 MiB
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        left = size
        counter = 0
        while left > 0:
            chunk = counter.to_bytes(8, "big") + block[8:]
            handle.write(chunk[:left] if left < len(chunk) else chunk)
            left -= len(chunk)
            counter += 1
    return path


def child_env(api_url: str) -> dict[str, str]:
    return {**os.environ, "XAI_API_URL": api_url, "PYTHONUNBUFFERED": "1"}


PYTHON = sys.executable


def write_csv(path: Path, size: int) -> Path:
    """A CSV of about ``size`` bytes (exactly ``size``), each 1 MiB block numbered so no two match."""
    block = "".join(f"{i},{i * 31 % 977},{i % 2}\n" for i in range(60_000)).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"id,amount,label\n")
        left = size - 16
        counter = 0
        while left > 0:
            chunk = f"{counter},0,0\n".encode() + block
            handle.write(chunk[:left])
            left -= min(left, len(chunk))
            counter += 1
    return path
