"""Progress of a long run: a bar on a terminal, plain periodic lines in a log.

On a terminal the bar starts with the first finished chunk, so its rate and time left never
count the start-up (forking workers, and compiling the rules on the first run after installing,
~30 s); until then one line says what is happening. When the output is not a terminal (CI, a
log file, `nohup`), a plain line every `every` seconds replaces the bar's carriage returns.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


def duration(seconds: float) -> str:
    """A duration in words a reader takes in at a glance: 0.3 s, 45 s, 12 min, 3.5 h, 2.1 days
    (0.1 s at least: an estimate is not finer)."""
    if seconds < 0.95:
        return f"{max(seconds, 0.1):.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


QUIET_SECONDS = 2.0  # commands whose runs end sooner show no progress (`Progress`' `after`)
RATE_AFTER = 1.0  # seconds of runs before a rate is shown: results arriving together say none


class Progress:
    """Counts finished runs out of `total` (with `initial` already done) and shows them."""

    def __init__(self, total: int, initial: int, name: str, enabled: bool = True,
                 stream: TextIO | None = None, every: float = 10.0, after: float = 0.0) -> None:
        self.total, self.done, self.name = total, initial, name
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.terminal = enabled and self.stream.isatty()
        self.every = every
        self.after = after  # seconds before anything shows: a short run shows nothing
        self.bar: tqdm | None = None
        self.started = time.monotonic()
        self.first: tuple[float, int] | None = None  # time and count at the first chunk
        self.last_line: float | None = None  # when the last plain line was said

    def starting(self, what: str) -> None:
        """Say what happens before the first chunk can finish."""
        self._say(f"{self.name}: {what}")

    def update(self, runs: int) -> None:
        """`runs` more replications finished."""
        self.done += runs
        now = time.monotonic()
        if self.first is None:  # the start-up is over, the runs go
            self.first = (now, self.done - runs)
        if now - self.started < self.after:
            return
        if self.terminal:
            if self.bar is None:  # shown at once
                self.bar = tqdm(total=self.total, initial=self.done, unit="run", desc=self.name,
                                leave=False, file=self.stream)
            else:
                self.bar.update(runs)
        elif (self.last_line is None or now - self.last_line >= self.every
              or self.done == self.total):
            self.last_line = now
            self._say(self.line(now))

    def line(self, now: float) -> str:
        """The plain progress line: runs done, share, rate since the first chunk, time left."""
        share = self.done / self.total if self.total else 1.0
        text = f"{self.name}: {self.done:,}/{self.total:,} runs ({share:.0%})"
        if (self.first is not None and now - self.first[0] >= RATE_AFTER
                and self.done > self.first[1]):
            rate = (self.done - self.first[1]) / (now - self.first[0])
            text += f", {rate:,.0f} runs/s"
            if self.done < self.total:
                text += f", about {duration((self.total - self.done) / rate)} left"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _say(self, text: str) -> None:
        if self.enabled:
            print(f"mc11: {text}", file=self.stream, flush=True)
