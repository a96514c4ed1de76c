"""The training worker on real MNIST: progress, pause/resume, stop within a step, cleanup, concurrency."""

import gc
import os
import signal
import sys
import threading
import time
import weakref
from dataclasses import replace

import numpy as np
import pytest
import torch

from cnnviz import forks, jobs
from cnnviz.gate import StepGate
from cnnviz.progress import WRONG_SHOWN
from cnnviz.train import TrainConfig, resolve_device
from cnnviz.weights import weights_from_bytes

TINY = TrainConfig(model="lenet5", epochs=1, batch_size=64, train_size=512, seed=0)  # 8 steps
SLOW = TrainConfig(model="lenet5", epochs=1, batch_size=16, train_size=4096, seed=0)  # 256 steps


@pytest.fixture(scope="module")
def test_split(mnist_test):
    """A smaller test set keeps the final evaluation quick."""
    return mnist_test.subset(2000, seed=1)


def _job(config, mnist_train, test_split, **options) -> jobs.TrainingJob:
    options.setdefault("heartbeat_timeout", None)
    return jobs.TrainingJob(config, mnist_train, test_split, **options)


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_job_trains_reports_progress_and_cleans_up(mnist_train, test_split):
    job = _job(TINY, mnist_train, test_split, snapshot_every=3)
    assert job.progress().status == "idle"
    job.start()
    assert job.join(60)
    p = job.progress()
    assert p.status == "finished", p.message
    assert p.steps_done == p.total_steps == 8 and p.fraction == 1.0
    assert [round(c.x, 3) for c in p.train_curve] == [round(s / 8, 3) for s in range(1, 9)]
    # a test point before training, after steps 3 and 6, and the epoch's end
    assert [round(c.x, 3) for c in p.test_curve] == [0.0, 0.375, 0.75, 1.0]
    assert p.test_curve[0].accuracy < 0.3 < p.test_curve[-1].accuracy
    assert len(p.epochs) == 1 and p.samples_per_s > 0
    assert p.snapshot.probs.shape == (10, 10) and np.allclose(p.snapshot.probs.sum(1), 1, atol=1e-5)
    assert np.array_equal(p.snapshot.filters, job.model.layers.conv1.weight.detach().numpy())
    result = p.result
    assert result.test_size == 2000 and result.confusion.sum() == 2000
    assert result.test_accuracy == pytest.approx(np.trace(result.confusion) / 2000)
    assert len(result.wrong_labels) == WRONG_SHOWN
    assert (result.wrong_labels != result.wrong_predicted).all()
    assert (np.diff(result.wrong_confidence) <= 0).all()
    assert not job.alive and not job.model.training
    assert next(job.model.parameters()).device.type == "cpu"


def test_weights_carry_the_card_and_the_trained_state(mnist_train, test_split):
    job = _job(TINY, mnist_train, test_split).start()
    job.join(60)
    model, card = weights_from_bytes(job.weights())
    assert card["model"] == "lenet5" and card["train_size"] == 512
    assert card == job.card() | {"date": card["date"], "train_seconds": card["train_seconds"]}  # one card, one builder
    assert card["augment"] is False and card["precision"] == "auto"
    assert card["device"] == resolve_device(TINY.device).type  # where it trained, not "auto"
    assert card["test_accuracy"] == pytest.approx(job.progress().result.test_accuracy, abs=1e-5)
    for key, value in job.model.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)
    assert "LeNet-5 on MNIST" in job.label()


def test_the_cards_training_time_stops_at_the_end(mnist_train, test_split, monkeypatch):
    job = _job(TINY, mnist_train, test_split).start()
    job.join(60)
    took = job.card()["train_seconds"]
    later = time.perf_counter() + 600  # the weights downloaded ten minutes after the run
    monkeypatch.setattr("cnnviz.jobs.time.perf_counter", lambda: later)
    assert job.card()["train_seconds"] == took < 600


def test_pause_holds_training_and_resume_finishes(mnist_train, test_split):
    gate = StepGate(0)
    job = _job(SLOW, mnist_train, test_split, gate=gate).start()
    gate.release(2)
    gate.wait_idle()
    assert job.progress().steps_done == 2
    if sys.platform.startswith("linux"):  # the training process yields the CPU to people's clicks
        worker_nice = os.getpriority(os.PRIO_PROCESS, job.pid)
        assert worker_nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + jobs.NICE)
    job.pause()
    assert job.progress().status == "paused"
    gate.release(3)
    gate.wait_idle()  # the worker looked again and is still waiting: paused
    assert job.progress().steps_done == 2 and job.alive
    job.resume()
    gate.wait_idle()
    assert job.progress().steps_done == 5 and job.progress().status == "running"
    job.stop()
    assert job.join(30)


def test_stop_while_paused_takes_no_further_step(mnist_train, test_split):
    gate = StepGate(0)
    job = _job(SLOW, mnist_train, test_split, gate=gate).start()
    gate.release(2)
    gate.wait_idle()
    job.pause()
    gate.open()
    gate.wait_idle()
    job.stop("Stopped by you.")
    assert job.join(30)
    p = job.progress()
    assert (p.status, p.message, p.steps_done) == ("stopped", "Stopped by you.", 2)


class StopDuringStep4(jobs.TrainingJob):
    """Asks to stop once step 4 has passed the gate: its request goes out all the same, and no step after it."""

    def _add(self, changes):
        super()._add(changes)
        if self._progress.steps_done == 3:
            process, step = self._process, self._process.step
            process.step = lambda *a: (self.stop(), step(*a))[1]


def test_stop_while_running_ends_within_one_step(mnist_train, test_split):
    job = StopDuringStep4(SLOW, mnist_train, test_split, heartbeat_timeout=None)
    job.start()
    assert job.join(60)
    p = job.progress()
    assert p.status == "stopped" and p.result is None
    assert p.steps_done == 4 < p.total_steps  # the step in flight finished, no other began


def test_nobody_watching_stops_the_job(mnist_train, test_split):
    clock = FakeClock()
    job = _job(SLOW, mnist_train, test_split, heartbeat_timeout=20, clock=clock, gate=StepGate(0)).start()
    job.pause()  # even a paused job is cleaned up when its page is gone
    clock.advance(21)
    assert job.join(30)
    p = job.progress()
    assert p.status == "stopped" and "nobody looked at this training for 20 s" in p.message


def test_touching_keeps_a_job_alive(mnist_train, test_split):
    clock, gate = FakeClock(), StepGate(0)
    job = _job(SLOW, mnist_train, test_split, heartbeat_timeout=20, clock=clock, gate=gate).start()
    for step in range(1, 11):  # 50 s in all, never 20 s without a look
        job.touch()
        clock.advance(5)
        gate.release(1)
        gate.wait_idle()  # the worker has checked the heartbeat after the clock moved
        assert job.progress().steps_done == step
    assert job.alive and job.progress().status == "running"
    job.stop()
    assert job.join(30)


def test_a_job_outlives_its_session_for_the_stated_time_unwatched(mnist_train, test_split):
    """A reload must not stop a training; only UNWATCHED_S without a look does (default timeout)."""
    clock, gate = FakeClock(), StepGate(0)
    job = jobs.TrainingJob(SLOW, mnist_train, test_split, clock=clock, gate=gate).start()
    clock.advance(jobs.UNWATCHED_S - 1)
    gate.release(1)
    gate.wait_idle()
    assert job.alive and job.progress().steps_done == 1
    clock.advance(2)
    gate.release(1)
    assert job.join(30)
    p = job.progress()
    assert p.status == "stopped" and p.steps_done == 1
    assert f"nobody looked at this training for {jobs.UNWATCHED_S // 60} minutes" in p.message


def test_two_concurrent_trainings_both_finish_and_a_third_is_refused(mnist_train, test_split):
    registry = jobs.JobRegistry(max_jobs=2)
    gate = StepGate(0)  # both stay running until the third has been refused
    registry.job_options = {"heartbeat_timeout": None, "gate": gate}
    a = registry.start("a", TINY, mnist_train, test_split)
    b = registry.start("b", replace(TINY, model="simplecnn", seed=1), mnist_train, test_split)
    with pytest.raises(jobs.TrainingBusyError, match="already running"):
        registry.start("c", TINY, mnist_train, test_split)
    gate.open()
    assert a.join(120) and b.join(120)
    assert a.progress().status == b.progress().status == "finished"
    assert registry.running() == {}


def test_a_new_start_replaces_the_sessions_running_job(mnist_train, test_split):
    registry = jobs.JobRegistry(max_jobs=1)
    gate = StepGate(0)
    first = registry.start("a", SLOW, mnist_train, test_split, heartbeat_timeout=None, gate=gate)
    gate.wait_idle()  # it is running, waiting for its first step
    second = registry.start("a", TINY, mnist_train, test_split, heartbeat_timeout=None)
    assert not first.alive and first.progress().status == "stopped"
    assert second.join(120) and second.progress().status == "finished"


def test_no_thread_or_model_leaks_across_many_runs(mnist_train, test_split):
    small_test = test_split.subset(200, seed=0)
    config = TrainConfig(model="lenet5", epochs=1, batch_size=64, train_size=128)
    threads_before = threading.active_count()
    refs, pids = [], []
    for seed in range(6):
        job = _job(replace(config, seed=seed), mnist_train, small_test)
        refs.append(weakref.ref(job.model))
        job.start()
        if seed % 2:
            job.stop()
        assert job.join(30)
        pids.append(job.pid)
    del job
    gc.collect()
    assert threading.active_count() == threads_before
    assert len(set(pids)) == 6 and not any(forks.alive(pid) for pid in pids)  # every training process has ended
    assert all(ref() is None for ref in refs)


def test_a_training_process_that_dies_becomes_a_failed_status(mnist_train, test_split):
    gate = StepGate(0)
    job = _job(SLOW, mnist_train, test_split, gate=gate).start()
    gate.release(1)
    gate.wait_idle()
    os.kill(job.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    gate.release(1)
    assert job.join(60)
    p = job.progress()
    assert p.status == "failed" and p.steps_done == 1
    assert "ended unexpectedly" in p.message and "killed" in p.message


def test_a_diverging_run_fails_with_advice(mnist_train, test_split):
    config = TrainConfig(
        model="simplecnn", epochs=1, batch_size=64, train_size=512, optimizer="sgd", lr=100.0, schedule="constant"
    )
    job = _job(config, mnist_train, test_split).start()
    assert job.join(60)
    p = job.progress()
    assert p.status == "failed"
    assert "loss became" in p.message and "learning rate 100 is too high" in p.message


def test_an_engine_error_becomes_a_failed_status(mnist_train, test_split):
    job = _job(replace(TINY, device="xpu"), mnist_train, test_split).start()
    assert job.join(30)
    p = job.progress()
    assert p.status == "failed" and "not available" in p.message and not job.alive


def test_the_helper_says_when_its_imports_are_done_and_says_it_again():
    forks.ensure_running(jobs.background_nice())
    assert forks.wait_ready(60) and forks.wait_ready(0.01)  # the second answer needs no new message
