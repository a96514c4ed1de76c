"""What the server keeps per browser: isolation by token, expiry on a fake clock, caps, notices, threads."""

import threading
from dataclasses import replace

import pytest

from cnnviz import sessions
from cnnviz.gate import StepGate
from cnnviz.jobs import JobRegistry
from cnnviz.models import build_model
from cnnviz.train import TrainConfig

MODEL = build_model("lenet5")
CARD = {"model": "lenet5"}


class Clock:
    """Moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock) -> sessions.BrowserStore:
    return sessions.BrowserStore(keep_for_s=60, max_browsers=3, keep_models=2, clock=clock)


def test_tokens_are_unguessable_and_checked():
    tokens = {sessions.new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(sessions.valid_token(t) for t in tokens)
    for bad in [None, "", "short", "a" * 31, "a" * 33, "a" * 31 + "/", "a" * 31 + "=", 42]:
        assert not sessions.valid_token(bad)


def test_a_browser_sees_only_its_own_models(store):
    a, b = sessions.new_token(), sessions.new_token()
    store.keep(a, "mine", MODEL, CARD)
    assert list(store.models(a)) == ["mine"] and store.models(a)["mine"].model is MODEL
    assert store.models(b) == {} and store.job(b) is None
    assert store.tokens() == [a]  # looking does not make an entry: only keeping something does


def test_models_expire_after_the_keep_time_without_a_visit_and_the_next_visit_is_told_once(store, clock):
    a, b = sessions.new_token(), sessions.new_token()
    store.keep(a, "one", MODEL, CARD)
    store.keep(b, "two", MODEL, CARD)
    clock.now += 60
    assert store.visit(a) is None  # exactly the keep time: still there, and kept for another 60 s
    clock.now += 59
    dropped = store.expire()
    assert list(dropped) == [b] and store.tokens() == [a]
    assert dropped[b] == sessions.Dropped(models=1, training=False, idle_s=119, full=False)
    notice = store.visit(b)
    assert notice.message() == "Your 1 model from earlier was removed after 2 minutes without a visit."
    assert store.visit(b) is None and store.models(b) == {}  # said once
    assert list(store.models(a)) == ["one"]


def test_each_browser_keeps_its_newest_models(store):
    a = sessions.new_token()
    assert store.keep(a, "first", MODEL, CARD) == [] and store.keep(a, "second", MODEL, CARD) == []
    assert store.keep(a, "third", MODEL, CARD) == ["first"]
    assert store.keep(a, "second", MODEL, CARD) == [] and list(store.models(a)) == ["third", "second"]


def test_more_browsers_than_the_cap_drop_the_least_recently_seen(store, clock):
    a, b, c, d = (sessions.new_token() for _ in range(4))
    for token in (a, b, c):
        clock.now += 1
        store.keep(token, token[:4], MODEL, CARD)
    clock.now += 1
    store.models(a)  # a looks again: b is now the least recently seen
    store.keep(d, "new", MODEL, CARD)
    assert store.tokens() == [c, a, d]
    notice = store.visit(b)
    assert notice.full and notice.models == 1 and "at most 3 browsers" in notice.message(3)
    store.keep(b, "back", MODEL, CARD)  # keeping again makes room once more, without an old notice
    assert store.visit(b) is None and len(store.tokens()) == 3


def test_notices_are_capped(clock, monkeypatch):
    monkeypatch.setattr(sessions, "NOTICES", 2)
    store = sessions.BrowserStore(keep_for_s=60, max_browsers=10, clock=clock)
    tokens = [sessions.new_token() for _ in range(4)]
    for token in tokens:
        store.keep(token, "m", MODEL, CARD)
    clock.now += 61
    assert len(store.expire()) == 4
    assert [store.visit(t) is not None for t in tokens] == [False, False, True, True]


def test_the_message_names_what_was_lost():
    assert sessions.Dropped(2, True, 1800, False).message() == (
        "Your training and 2 models from earlier were removed after 30 minutes without a visit."
    )
    assert sessions.Dropped(0, True, 1900, False).message().startswith("Your training from earlier was removed")


def test_a_browsers_training_is_kept_touched_by_visits_and_stopped_when_dropped(store, clock, mnist_train, mnist_test):
    config = TrainConfig(model="lenet5", epochs=1, batch_size=64, train_size=512, seed=0)
    registry, gate = JobRegistry(max_jobs=1), StepGate(0)
    job_clock = Clock()
    registry.job_options = {"gate": gate, "clock": job_clock, "heartbeat_timeout": 100}
    a = sessions.new_token()
    job = registry.start(a, config, mnist_train, mnist_test.subset(200, seed=0))
    store.set_job(a, job)
    assert store.job(a) is job and store.job(sessions.new_token()) is None
    job_clock.now += 99
    store.visit(a)  # any page run of this browser counts as a look at its training
    job_clock.now += 99
    gate.release(1)
    gate.wait_idle()
    assert job.alive and job.progress().steps_done == 1
    clock.now += 61
    assert store.expire()[a].training
    assert job.join(30) and job.progress().status == "stopped"
    assert "removed from the server" in job.progress().message and registry.running() == {}


def test_a_training_that_finished_unwatched_offers_its_model_once(store, mnist_train, mnist_test):
    config = TrainConfig(model="lenet5", epochs=1, batch_size=64, train_size=128, seed=0)
    registry = JobRegistry(max_jobs=1)
    a, test = sessions.new_token(), mnist_test.subset(200, seed=0)
    job = registry.start(a, config, mnist_train, test, heartbeat_timeout=None)
    store.set_job(a, job)
    assert job.join(60) and job.progress().status == "finished"
    assert list(store.models(a)) == [job.label()] and store.models(a)[job.label()].model is job.model
    b = sessions.new_token()
    first = registry.start(b, config, mnist_train, test, heartbeat_timeout=None)
    store.set_job(b, first)
    assert first.join(60)
    second = registry.start(b, replace(config, seed=1), mnist_train, test, heartbeat_timeout=None, gate=StepGate(0))
    store.set_job(b, second)  # a new training before anyone asked for the models: the first one's stays
    assert list(store.models(b)) == [first.label()] and store.job(b) is second
    second.stop()
    assert second.join(30)
    store.keep(a, "other", MODEL, CARD)
    store.keep(a, "another", MODEL, CARD)
    assert list(store.models(a)) == ["other", "another"]  # pushed out by newer ones, not brought back


def test_many_threads_keep_and_look_at_once_within_the_caps(clock):
    store = sessions.BrowserStore(keep_for_s=60, max_browsers=4, keep_models=3, clock=clock)
    tokens = [sessions.new_token() for _ in range(8)]
    start, errors = threading.Barrier(8), []

    def browse(token: str) -> None:
        try:
            start.wait()
            for i in range(200):
                store.keep(token, f"m{i}", MODEL, CARD)
                store.visit(token)
                assert len(store.models(token)) <= 3
                store.expire()
        except Exception as exc:  # reported below, with the thread's own assertion
            errors.append(exc)

    threads = [threading.Thread(target=browse, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    kept = store.tokens()
    assert len(kept) == 4 and set(kept) <= set(tokens)
    for token in kept:  # each survivor holds its newest models, in order
        names = list(store.models(token))
        assert 1 <= len(names) <= 3 and names == [f"m{i}" for i in range(200 - len(names), 200)]


def test_quiz_answers_are_kept_per_browser_and_expire_with_it():
    now = [0.0]
    store = sessions.BrowserStore(keep_for_s=60, clock=lambda: now[0])
    a, b = sessions.new_token(), sessions.new_token()
    store.answer(a, "q1", False)
    store.answer(a, "q1", True)  # the latest answer counts
    store.answer(a, "q2", False)
    assert store.answers(a) == {"q1": True, "q2": False} and store.answers(b) == {}
    now[0] = 61
    store.expire()
    assert store.answers(a) == {}
