"""The content-addressed cache and snapshots: exact versions (digests recomputed from the files
on disk), bytes shared across versions, answers without network, LRU eviction within the bound,
and a snapshot interrupted by a killed process never left half-written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from conftest import HERE, PYTHON, child_env, sha256_of, write_pattern

from xai_artifacts import Client

MiB = 1024 * 1024


def digest_of(folder: Path) -> str:
    """The API's canonical manifest digest, recomputed from the files in the folder."""
    files = sorted(
        (p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file()
    )
    manifest = [{"path": rel, "sha256": sha256_of(p), "size": p.stat().st_size} for rel, p in files]
    return hashlib.sha256(json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def two_versions(client: Client, name: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    write_pattern(source / "raw" / "train_transaction.csv", 1 * MiB, seed=1)
    write_pattern(source / "raw" / "train_identity.csv", 1 * MiB, seed=2)
    write_pattern(source / "processed" / "données.csv", 1 * MiB, seed=3)
    client.datasets.upload(name, source)  # v1: three files
    changed = write_pattern(tmp_path / "changed.csv", 1 * MiB, seed=4)
    client.datasets.upload(name, changed, "processed/données.csv", overwrite=True)  # v2: one file changed


def test_snapshots_are_exact_and_share_bytes(client: Client, name: str, tmp_path: Path) -> None:
    two_versions(client, name, tmp_path)
    v1 = client.snapshot_download(name, 1)
    assert digest_of(v1) == client.datasets.version(name, 1)["digest"]
    assert sorted(p.relative_to(v1).as_posix() for p in v1.rglob("*") if p.is_file()) == [
        "processed/données.csv",
        "raw/train_identity.csv",
        "raw/train_transaction.csv",
    ]
    assert client.cache.stats.downloads == 3
    v2 = client.snapshot_download(name)  # latest
    assert v2 != v1 and digest_of(v2) == client.datasets.version(name, 2)["digest"]
    assert client.cache.stats.downloads == 4, "v2 fetched only the changed file"
    assert client.snapshot_download(name, 1) == v1 and client.cache.stats.downloads == 4

    raw_only = client.snapshot_download(name, 2, allow_patterns="raw/*")
    assert raw_only != v2 and sorted(p.name for p in raw_only.rglob("*") if p.is_file()) == [
        "train_identity.csv",
        "train_transaction.csv",
    ]
    copied = client.snapshot_download(name, 1, local_dir=tmp_path / "work")
    assert digest_of(copied) == digest_of(v1)


def test_cached_answers_need_no_network(client: Client, name: str, tmp_path: Path) -> None:
    two_versions(client, name, tmp_path)
    v1 = client.snapshot_download(name, 1)
    latest = client.snapshot_download(name)
    single = client.datasets.download(name, "raw/train_identity.csv", version=1)
    downloads = client.cache.stats.downloads

    dead = {"http": "http://127.0.0.1:9", "https": "http://127.0.0.1:9"}  # every request fails
    client.transport.session.proxies = dead
    client.storage_session.proxies = dead
    client.transport.retries = 0
    assert client.snapshot_download(name, 1) == v1
    assert client.snapshot_download(name) == latest, "latest as last seen"
    assert client.datasets.download(name, "raw/train_identity.csv", version=1) == single
    copy = client.datasets.download(name, "raw/train_identity.csv", tmp_path / "copy.csv", version=1)
    assert sha256_of(copy) == sha256_of(single)
    assert client.cache.stats.downloads == downloads


def test_eviction_keeps_the_bound_and_the_recently_used(api_url: str, name: str, tmp_path: Path) -> None:
    client = Client(api_url, cache_dir=tmp_path / "cache", cache_max_bytes=int(2.5 * MiB))
    paths = []
    for seed in range(3):
        paths.append(f"f{seed}.csv")
        client.datasets.upload(name, write_pattern(tmp_path / f"f{seed}.csv", 1 * MiB, seed=seed), f"f{seed}.csv")
    blob = {p: client.datasets.file(name, p)["sha256"] for p in paths}

    for p in paths:  # f0 is the least recently used when f2 arrives
        client.datasets.download(name, p)
        time.sleep(0.02)
    info = client.cache.info()
    assert info.size_bytes <= 2.5 * MiB and info.blobs == 2
    assert client.cache.stats.evicted == [blob["f0.csv"]]

    client.datasets.download(name, "f1.csv")  # a hit: f1 becomes the most recent
    time.sleep(0.02)
    client.datasets.download(name, "f0.csv")  # evicts f2, not f1
    assert client.cache.stats.evicted == [blob["f0.csv"], blob["f2.csv"]]
    assert client.cache.cached(blob["f1.csv"]) and client.cache.cached(blob["f0.csv"])

    snapshot = client.snapshot_download(name)  # three files, more than the bound: all kept while needed
    assert sorted(p.name for p in snapshot.iterdir()) == paths and client.cache.info().size_bytes == 3 * MiB
    client.cache.evict()  # nothing protected now: a blob goes, and the snapshot linking it with it
    assert client.cache.info().size_bytes <= 2.5 * MiB
    assert not snapshot.exists(), "a snapshot is whole or gone, never partial"

    client.cache.clear()
    assert client.cache.info().size_bytes == 0 and client.cache.info().blobs == 0


def test_interrupted_snapshot_is_never_half_written(api_url: str, name: str, tmp_path: Path) -> None:
    client = Client(api_url, cache_dir=tmp_path / "cache")
    two_versions(client, name, tmp_path)
    child = subprocess.Popen(
        [PYTHON, str(HERE / "_child.py"), "snapshot", str(tmp_path / "cache"), name, "1", "1"],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(api_url),
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith("fetched 1")
    child.kill()
    child.wait(timeout=30)
    base = client.cache.snapshots_dir(api_url, name)
    assert not base.exists() or not any(not p.name.startswith(".") for p in base.iterdir()), "no snapshot folder yet"

    folder = client.snapshot_download(name, 1)
    assert digest_of(folder) == client.datasets.version(name, 1)["digest"]
    assert client.cache.stats.downloads == 2, "the file fetched before the kill is reused"
    assert [p.name for p in base.iterdir()] == [folder.name], "no temp folder left"
    assert os.stat(client.cache.blob_path(sha256_of(folder / "raw" / "train_identity.csv"))).st_mode & 0o222 == 0
