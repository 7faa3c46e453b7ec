"""Requests per key per minute, as a token bucket in this process.

Each key's bucket holds up to `per_minute` requests and refills continuously, so a register may
send a burst after a quiet spell, then `per_minute / 60` a second. The buckets live in the
process: with several instances each allows the full rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, at)

    def take(self, key_id: int) -> float:
        """Spend one request of this key: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        tokens, at = self._buckets.get(key_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key_id] = (tokens - 1, now)
            return 0.0
        self._buckets[key_id] = (tokens, now)
        return (1 - tokens) / self.rate

    @staticmethod
    def retry_after(seconds: float) -> str:
        """The Retry-After header: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(seconds)))
