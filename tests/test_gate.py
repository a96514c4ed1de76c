"""The slow demo's PacedGate: one step per interval on the gate's own clock, stop and pause still at once."""

from cnnviz.gate import PacedGate


class Clock:
    """A clock that moves only when the test moves it, so waits end by the test's rules, not the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def verdicts(clock: Clock, answers: dict[int, bool | None], advance_at: int | None = None, by: float = 0.0):
    """A verdict that records its calls, answers True (or `answers[call]`) and moves the clock at call `advance_at`."""
    calls: list[float] = []

    def verdict() -> bool | None:
        calls.append(clock.now)
        if len(calls) == advance_at:
            clock.now += by
        return answers.get(len(calls), True)

    return verdict, calls


def test_the_first_step_goes_at_once_and_the_next_only_when_its_time_has_come():
    clock = Clock()
    gate = PacedGate(2.0, clock=clock)
    verdict, calls = verdicts(clock, {})
    assert gate.pass_when(verdict, poll_s=0.001) and len(calls) == 1
    verdict, calls = verdicts(clock, {}, advance_at=5, by=2.0)  # the gate looks again until the clock says go
    assert gate.pass_when(verdict, poll_s=0.001)
    assert len(calls) == 5 and clock.now == 2.0


def test_stop_ends_a_wait_for_the_pace_and_pause_holds_it():
    clock = Clock()
    gate = PacedGate(5.0, clock=clock)
    assert gate.pass_when(lambda: True, poll_s=0.001)
    verdict, calls = verdicts(clock, {3: False})  # the clock never moves: only stop can end the wait
    assert gate.pass_when(verdict, poll_s=0.001) is False
    assert len(calls) == 3
    verdict, calls = verdicts(clock, {2: None, 3: None}, advance_at=4, by=5.0)  # paused twice, then time is up
    assert gate.pass_when(verdict, poll_s=0.001)
    assert len(calls) == 4
