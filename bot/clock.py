"""Time as a dependency: the bot asks a clock, so tests and the sandbox can move time forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AdjustableClock:
    """Real time shifted by an offset that can only move forward; or frozen at a moment."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._frozen = frozen
        self._offset = timedelta(0)
        self._at = start or datetime.now(UTC)
        if start is not None and not frozen:
            self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        if self._frozen:
            return self._at
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        if self._frozen:
            self._at += delta
        else:
            self._offset += delta
        return self.now()
