"""Progress lines for a long seed: what is done, how far along, how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable

# Report a long step every this many percent, so that a million deals print 20 lines.
STEP_PERCENT = 5


class Progress:
    def __init__(
        self, write: Callable[[str], object], now: Callable[[], float] = time.monotonic
    ) -> None:
        self.write, self.now = write, now
        self.started = now()
        self.reported: dict[str, int] = {}

    @property
    def elapsed(self) -> float:
        return self.now() - self.started

    def done(self, label: str, count: int) -> None:
        self.write(f"{label} {count:,} {self.elapsed:.1f}s")

    def advance(self, label: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        step = percent // STEP_PERCENT
        if step > self.reported.get(label, -1) or done == total:
            self.reported[label] = step
            self.write(f"{label} {done:,}/{total:,} ({percent}%) {self.elapsed:.1f}s")
