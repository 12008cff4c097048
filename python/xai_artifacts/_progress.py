"""Progress bars with tqdm when it is installed and wanted; silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class Progress:
    def __init__(self, total: int, description: str, enabled: bool | None) -> None:
        self._bar: Any = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            try:
                from tqdm.auto import tqdm  # optional dependency
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=description, leave=False)

    def update(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    @property
    def callback(self) -> Callable[[int], None]:
        return self.update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
