"""Large transfers: direct sessions in parts, resumed after the uploading process is killed;
downloads resumed with Range after a cut connection and after the downloading process is
killed; bytes checked by SHA-256 at every end."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from _proxy import Proxy
from conftest import HERE, PYTHON, child_env, sha256_of, write_csv, write_pattern

from xai_artifacts import ApiError, Client
from xai_artifacts.downloads import download_verified, partial_path

MiB = 1024 * 1024
CHILD = str(HERE / "_child.py")


def start(args: list[str], api_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([PYTHON, CHILD, *args], stdout=subprocess.PIPE, text=True, env=child_env(api_url))


def kill_after(process: subprocess.Popen[str], lines: int, prefix: str) -> list[str]:
    """Reads ``lines`` lines starting with ``prefix``, then kills the process (SIGKILL)."""
    seen: list[str] = []
    assert process.stdout is not None
    while len(seen) < lines:
        line = process.stdout.readline()
        assert line, f"the child ended before {lines} {prefix!r} lines (got {seen})"
        if line.startswith(prefix):
            seen.append(line.strip())
    process.kill()
    process.wait(timeout=30)
    return seen


def settled_session(client: Client, session_id: str) -> dict:
    """The session once a part the killed process had fully sent is stored (the server finishes
    receiving it after the kill): two reads 0.5 s apart that agree."""
    previous = None
    while True:
        session = client.transport.json("GET", f"/uploads/{session_id}")
        if previous is not None and previous["uploadedParts"] == session["uploadedParts"]:
            return session
        previous = session
        time.sleep(0.5)


def finish(process: subprocess.Popen[str]) -> list[str]:
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, out
    return out.splitlines()


def test_large_upload_and_download_survive_kills(api_url: str, tmp_path: Path, name: str, large_bytes: int) -> None:
    client = Client(api_url, cache_dir=tmp_path / "cache")
    client.datasets.create(name)
    source = write_csv(tmp_path / "train_transaction.csv", large_bytes)
    expected = sha256_of(source)
    cache = str(tmp_path / "cache")

    # Upload: killed after 3 parts are stored, then the same call again finishes it.
    first = kill_after(start(["upload", cache, str(source), name, "raw/train_transaction.csv"], api_url), 3, "part ")
    states = list((tmp_path / "cache" / "uploads").glob("*.json"))
    assert len(states) == 1, "the session is kept to resume"
    session_id = json.loads(states[0].read_text())["session"]
    before = settled_session(client, session_id)
    part_size, count = before["partSize"], before["partCount"]
    # Whole parts only: a part cut off by the kill may be stored short, and is sent again.
    stored_before = {
        p["partNumber"] for p in before["uploadedParts"] if p["size"] == min(part_size, large_bytes - (p["partNumber"] - 1) * part_size)
    }
    assert before["state"] == "uploading" and len(stored_before) >= len(first) >= 3
    assert len(stored_before) < count, "the kill landed mid-upload"

    lines = finish(start(["upload", cache, str(source), name, "raw/train_transaction.csv"], api_url))
    sent_after = {int(line.split()[1]) for line in lines if line.startswith("part ")}
    assert sent_after == set(range(1, count + 1)) - stored_before, "only the missing parts were sent"
    assert lines[-1] == f"done {expected}"
    assert not list((tmp_path / "cache" / "uploads").glob("*.json")), "the finished session is forgotten"
    stored = client.datasets.file(name, "raw/train_transaction.csv")
    assert (stored["sha256"], stored["size"]) == (expected, large_bytes)

    # Download: killed a third of the way (100 MiB of 300), then resumed from there with a Range request.
    dest = tmp_path / "downloaded" / "train_transaction.csv"
    third = large_bytes // 3
    kill_after(start(["download", cache, name, "raw/train_transaction.csv", str(dest), str(third)], api_url), 1, "bytes ")
    partial = partial_path(dest, expected)
    assert not dest.exists(), "the destination never holds a partial file"
    have = partial.stat().st_size
    assert third <= have < large_bytes
    lines = finish(start(["download", cache, name, "raw/train_transaction.csv", str(dest), str(10 * large_bytes)], api_url))
    assert lines[-1] == f"done {large_bytes - have}", "only the rest was fetched"
    assert sha256_of(dest) == expected and not partial.exists()


def test_cut_connection_resumes_with_range(client: Client, name: str, tmp_path: Path) -> None:
    source = write_pattern(tmp_path / "shap_values.npy", 12 * MiB, seed=7)
    client.datasets.upload(name, source, "explain/shap_values.npy".replace(".npy", ".csv"))
    proxy = Proxy()
    try:
        client.storage_session.proxies = {"http": proxy.url}
        proxy.log.cut_after = 5 * MiB
        dest = client.datasets.download(name, "explain/shap_values.csv", tmp_path / "copy.csv")
    finally:
        proxy.close()
    assert sha256_of(dest) == sha256_of(source)
    assert proxy.log.cuts == 1
    fetches = [r for r in proxy.log.requests if r[0] == "GET"]
    assert len(fetches) == 2 and fetches[0][2] is None
    assert fetches[1][2] is not None and fetches[1][2].startswith("bytes=")
    assert 0 < int(fetches[1][2][6:].rstrip("-")) <= 5 * MiB, "the second request asked only for the rest"


def test_wrong_bytes_are_never_delivered(client: Client, name: str, tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_bytes(b"a,b\n1,2\n")
    client.datasets.upload(name, source, "a.csv")
    dest = tmp_path / "out.csv"
    with pytest.raises(ApiError) as wrong:
        download_verified(lambda: client.datasets.download_url(name, "a.csv"), dest, sha256="0" * 64, size=8)
    assert wrong.value.code == "checksum_mismatch"
    assert not dest.exists() and not partial_path(dest, "0" * 64).exists()


def test_large_versions_go_by_sessions(api_url: str, tmp_path: Path, name: str) -> None:
    client = Client(api_url, cache_dir=tmp_path / "cache", large_file_threshold=1 * MiB, part_size=5 * MiB)
    data = write_csv(tmp_path / "train.csv", 11 * MiB)
    record = client.datasets.upload(name, data, "processed/train.csv")
    assert client.datasets.file(name, "processed/train.csv")["sha256"] == sha256_of(data) and record["version"] == 1

    folder = tmp_path / "sharded"
    write_pattern(folder / "model-00001.safetensors", 6 * MiB, seed=1)
    write_pattern(folder / "model-00002.safetensors", 7 * MiB, seed=2)
    (folder / "config.json").write_text('{"shards": 2}')
    model = client.models.upload(name, "net", folder, metrics={"auc": 0.8})
    assert model["state"] == "ready" and model["fileCount"] == 3
    stored = {f["path"]: f["sha256"] for f in client.models.get(model["id"])["files"]}
    assert stored == {p.name: sha256_of(p) for p in folder.iterdir()}
    out = client.models.download(model["id"])
    assert {p.name: sha256_of(p) for p in out.iterdir()} == stored
    assert not list((tmp_path / "cache" / "uploads").glob("*.json"))


def test_a_session_aborted_elsewhere_is_started_over(api_url: str, tmp_path: Path, name: str) -> None:
    client = Client(api_url, cache_dir=tmp_path / "cache")
    client.datasets.create(name)
    source = write_csv(tmp_path / "t.csv", 40 * MiB)
    cache = str(tmp_path / "cache")
    kill_after(start(["upload", cache, str(source), name, "raw/t.csv"], api_url), 1, "part ")
    (state,) = list((tmp_path / "cache" / "uploads").glob("*.json"))
    session_id = json.loads(state.read_text())["session"]
    settled_session(client, session_id)
    client.transport.request("DELETE", f"/uploads/{session_id}")  # another process gave up on it

    lines = finish(start(["upload", cache, str(source), name, "raw/t.csv"], api_url))
    assert sorted(int(line.split()[1]) for line in lines if line.startswith("part ")) == [1, 2, 3], "all parts, anew"
    assert lines[-1] == f"done {sha256_of(source)}"
    assert client.transport.obj("GET", f"/uploads/{session_id}")["state"] == "aborted"
