"""Where a training worker waits before each step, so that tests, not the machine, set its pace.

The worker calls ``pass_when(verdict)`` before every pull from the engine; the job wakes the gate on
pause, resume and stop so the worker looks again at once. The default gate is always open and only
counts nothing. A test holds one (``StepGate(0)``), lets ``release(n)`` pulls through and
``wait_idle()``s until the worker waits again with nothing it may do: then step counts are exact,
however fast or slow the machine is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class StepGate:
    """Where the worker waits before each pull from the engine: always open unless a test holds it."""

    def __init__(self, steps: int | None = None):
        self._cond = threading.Condition()
        self._permits = steps  # None: open, no counting
        self._idle = False

    def release(self, steps: int = 1) -> None:
        """Let this many more pulls (steps, or an epoch's evaluation) through a held gate."""
        with self._cond:
            if self._permits is not None:
                self._permits += steps
            self._wake_locked()

    def open(self) -> None:
        """Let the worker run freely from now on."""
        with self._cond:
            self._permits = None
            self._wake_locked()

    def wake(self) -> None:
        """The job's state changed (pause, resume, stop): the waiting worker looks again."""
        with self._cond:
            self._wake_locked()

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Test side: block until the worker waits at the gate with nothing it may do (timeout: a hang guard)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._idle, timeout):
                raise TimeoutError(f"the training worker did not come back to its gate within {timeout:.0f} s")

    def pass_when(self, verdict: Callable[[], bool | None], poll_s: float) -> bool:
        """Worker side: True to take a step, False to stop; waits while verdict() is None or no step is left."""
        with self._cond:
            while True:
                go = verdict()
                if go is False:
                    return False
                if go and self._permits != 0:
                    if self._permits is not None:
                        self._permits -= 1
                    return True
                self._idle = True
                self._cond.notify_all()
                self._cond.wait(poll_s)

    def _wake_locked(self) -> None:
        self._idle = False
        self._cond.notify_all()


class PacedGate(StepGate):
    """An open gate that lets one step through every `seconds` at most: a slow demo a teacher can narrate.

    Pause, resume and stop wake it at once (wake()), so a paused or stopped slow run answers as fast as
    a normal one; `clock` is injectable so a test decides when time has passed."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.seconds, self._clock = seconds, clock
        self._next: float | None = None  # when the next step may go

    def pass_when(self, verdict: Callable[[], bool | None], poll_s: float) -> bool:
        while super().pass_when(verdict, poll_s):
            with self._cond:
                now = self._clock()
                if self._next is None or now >= self._next:
                    self._next = now + self.seconds
                    return True
                self._cond.wait(min(poll_s, self._next - now))
        return False
