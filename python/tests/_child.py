"""A client process the transfer tests start and kill with SIGKILL mid-transfer, as a crash
would: it says on stdout how far it got, and can hold still at a point so the kill lands there.

    _child.py upload <cache> <file> <dataset> <path>
    _child.py download <cache> <dataset> <path> <dest> <pause-after-bytes>
    _child.py snapshot <cache> <dataset> <version> <pause-after-files>
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from xai_artifacts import Client
from xai_artifacts.downloads import download_verified


def main(command: str, cache: str, *args: str) -> None:
    # XAI_API_URL from the environment; files from 8 MiB by session, so small test files take that path too
    client = Client(cache_dir=cache, workers=2, large_file_threshold=8 << 20)
    if command == "upload":
        file, dataset, path = args
        client.sessions.on_part = lambda n: print(f"part {n}", flush=True)
        record = client.datasets.upload(dataset, file, path)
        print("done", next(f["sha256"] for f in record["files"] if f["path"] == path), flush=True)
    elif command == "download":
        dataset, path, dest, pause_after = args
        file = client.datasets.file(dataset, path)
        seen = [0, False]

        def on_bytes(count: int) -> None:
            seen[0] += count
            if not seen[1] and seen[0] >= int(pause_after):
                seen[1] = True
                print(f"bytes {seen[0]}", flush=True)
                time.sleep(120)  # killed here

        download_verified(
            lambda: client.datasets.download_url(dataset, path), Path(dest), sha256=file["sha256"], size=file["size"], on_bytes=on_bytes
        )
        print(f"done {seen[0]}", flush=True)
    elif command == "snapshot":
        dataset, version, pause_after = args
        fetch = client.cache.fetch
        fetched = [0]

        def pausing_fetch(*a, **k):  # type: ignore[no-untyped-def]
            result = fetch(*a, **k)
            fetched[0] += 1
            print(f"fetched {fetched[0]}", flush=True)
            if fetched[0] == int(pause_after):
                time.sleep(120)  # killed here
            return result

        client.cache.fetch = pausing_fetch  # type: ignore[method-assign]
        print("done", client.snapshot_download(dataset, int(version)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
