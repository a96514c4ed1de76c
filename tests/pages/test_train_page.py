"""AppTest for the train page: idle, bad settings, running (pause, resume, stop) and finished states;
a reload (a second session presenting the browser's cookie) finds the training and the models.

AppTest cannot fire the page's timed fragment, so the tests rerun the script themselves while the
real worker trains in the background. The worker's pace is the test's: a held ``StepGate`` lets steps
through one by one and the heartbeat reads a clock that does not move, so nothing depends on speed.
AppTest cannot send cookies, so the reload tests give ``st.context`` the cookie a browser would send.
"""

from pathlib import Path

import pytest
import streamlit as st
from figures import figure_specs
from kept import kept_models
from streamlit.testing.v1 import AppTest

from cnnviz import data, jobs, sessions, ui
from cnnviz.gate import StepGate

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "train.py")


@pytest.fixture
def gate(monkeypatch) -> StepGate:
    """The page's jobs wait at this gate before each step; tests release steps (or open it)."""
    held = StepGate(0)
    monkeypatch.setattr(jobs.REGISTRY, "job_options", {"gate": held, "clock": lambda: 0.0})
    return held


@pytest.fixture
def app(mnist_test, gate) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    yield at
    for job in jobs.REGISTRY.running().values():  # a job outlives its session: stop it here
        job.stop()
        assert job.join(10)


def _status(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def _start_tiny(at: AppTest) -> AppTest:
    at.select_slider(key="train_size").set_value(500)
    at.slider(key="train_epochs").set_value(1)
    return at.button(key="train_start").click().run()


def _the_job() -> jobs.TrainingJob:
    (job,) = jobs.REGISTRY.running().values()
    return job


def _rerun_when_ended(at: AppTest, job: jobs.TrainingJob) -> AppTest:
    """Wait for the worker to end (a generous hang guard), then redraw the page as the poll would."""
    assert job.join(300), f"the training did not end; progress: {_status(at)}"
    at.run()
    assert not at.exception
    return at


def test_idle_page_offers_only_what_exists(app):
    assert app.selectbox(key="train_model").options == ["SimpleCNN", "LeNet-5"] + (
        ["CifarCNN"] if data.is_available("cifar10") else []
    )
    assert app.selectbox(key="train_model").value == "lenet5"
    assert app.selectbox(key="train_device").options[-1] == "CPU"
    assert not app.button(key="train_start").disabled
    assert "press **Start training**" in app.info[0].value
    assert not app.error and not app.get("progress")


def test_bad_learning_rate_is_explained_and_blocks_start(app):
    app.number_input(key="train_lr").set_value(0.0).run()
    assert "Learning rate 0 is outside" in app.error[0].value
    assert app.button(key="train_start").disabled
    app.radio(key="train_optimizer").set_value("sgd").run()  # switching optimizer picks its typical rate
    assert app.number_input(key="train_lr").value == 0.05
    assert not app.error and not app.button(key="train_start").disabled
    app.number_input(key="train_lr").set_value(0.5).run()
    assert "often diverges" in app.warning[0].value


def test_missing_data_is_explained(monkeypatch):
    monkeypatch.setattr(data, "available_datasets", lambda root=None: [])
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert "No dataset was found" in at.error[0].value and "CNNVIZ_DATA" in at.error[0].value


def test_running_pause_resume_and_stop(app, gate):
    _start_tiny(app)
    assert not app.exception
    assert "Training LeNet-5 on 500 MNIST digits images" in app.caption[0].value
    job = _the_job()
    gate.release(1)
    gate.wait_idle()
    app.run()
    assert "Epoch 1/1 · step 1/8" in _status(app)
    app.button(key="train_pause").click().run()
    assert _status(app).startswith("Paused.")
    app.slider(key="train_epochs").set_value(5).run()  # a widget change does not touch the run
    assert "for 1 epoch:" in app.caption[0].value and _status(app).startswith("Paused.")
    gate.release(1)
    gate.wait_idle()
    assert job.progress().steps_done == 1  # paused: the released step waits
    app.button(key="train_resume").click().run()
    gate.wait_idle()
    assert job.progress().steps_done == 2
    assert not _status(app).startswith("Paused.")
    app.button(key="train_stop").click().run()
    _rerun_when_ended(app, job)
    assert "Stopped by you." in app.info[-1].value
    assert job.progress().steps_done == 2
    assert not {"train_pause", "train_resume", "train_stop"} & {b.key for b in app.button}
    assert not jobs.REGISTRY.running()


def test_finished_run_shows_results_and_offers_the_model(app, gate):
    _start_tiny(app)
    gate.open()
    _rerun_when_ended(app, _the_job())
    assert len(app.metric) == 3
    accuracy = float(app.metric[0].value.rstrip("%"))
    assert 30 < accuracy <= 100
    models = kept_models(app)
    assert len(models) == 1
    ((label, entry),) = models.items()
    assert label.startswith("LeNet-5 on MNIST digits") and entry.card["test_accuracy"] == pytest.approx(
        accuracy / 100, abs=1e-4
    )
    assert "Feature maps" in app.info[-1].value
    assert len(figure_specs(app)) == 5  # curves, watched digits, filters, confusion matrix, wrong digits
    assert app.get("download_button")
    app.run()  # a rerun does not register the same model twice
    assert len(kept_models(app)) == 1


def test_opening_saved_weights_offers_the_model_and_bad_files_are_explained(app):
    from cnnviz.weights import load_pretrained, weights_to_bytes

    model = load_pretrained("lenet5")
    good = weights_to_bytes(model, {"model": "lenet5", "dataset": "mnist", "test_accuracy": 0.9876})
    app.file_uploader(key="train_weights_upload").upload("mine.safetensors", good, "application/octet-stream")
    app.run()
    assert not app.exception and not app.error
    label = "LeNet-5, 98.8% (from mine.safetensors)"
    assert label in kept_models(app)
    assert ui.escape_markdown(label) in app.success[0].value
    first = kept_models(app)[label].model
    app.run()  # a rerun with the file still in the uploader reuses the model instead of reading it again
    assert kept_models(app)[label].model is first

    damaged = bytearray(good)
    damaged[-10] ^= 0xFF
    for name, payload in [
        ("damaged.safetensors", bytes(damaged)),
        ("pickle.safetensors", b"\x80\x04K\x01."),
        ("empty.safetensors", b""),
    ]:
        app.file_uploader(key="train_weights_upload").upload(name, payload, "application/octet-stream")
        app.run()
        assert not app.exception
        assert ui.escape_markdown(name) in app.error[0].value and "could not be opened" in app.error[0].value
        assert label in kept_models(app)  # the good one survives


def _reload(monkeypatch, token: str | None) -> AppTest:
    """A new session of the page from a browser that sends this cookie (None: a browser without one)."""
    cookies = {} if token is None else {ui.BROWSER_COOKIE: token}
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: cookies))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    return at


def test_a_reload_finds_the_running_training_and_its_model_and_another_browser_does_not(app, gate, monkeypatch):
    token = app.session_state[ui.BROWSER_KEY]
    assert sessions.valid_token(token)
    _start_tiny(app)
    job = _the_job()
    gate.release(1)
    gate.wait_idle()
    st.cache_resource.clear()  # what the first session's end used to stop the worker with
    again = _reload(monkeypatch, token)  # F5: a new session, the same browser
    assert again.session_state[ui.BROWSER_KEY] == token
    assert "Epoch 1/1 · step 1/8" in _status(again) and again.button(key="train_pause")
    assert job.alive and ui.BROWSER_COOKIE not in again.query_params
    other = _reload(monkeypatch, None)  # another browser
    assert other.session_state[ui.BROWSER_KEY] != token
    assert not other.get("progress") and "press **Start training**" in other.info[0].value
    gate.open()
    _rerun_when_ended(again, job)
    assert len(again.metric) == 3 and job.progress().status == "finished"
    later = _reload(monkeypatch, token)  # another reload after the end: the result and the model
    assert len(later.metric) == 3
    (label,) = kept_models(later)
    assert label.startswith("LeNet-5 on MNIST digits") and kept_models(later)[label].model is job.model
    assert kept_models(other) == {} and kept_models(_reload(monkeypatch, sessions.new_token())) == {}


def test_a_made_up_cookie_is_replaced_by_a_new_token(app, monkeypatch):
    at = _reload(monkeypatch, "../../etc/passwd")
    assert sessions.valid_token(at.session_state[ui.BROWSER_KEY])


def test_models_dropped_after_the_keep_time_are_announced_once(app, browsers, monkeypatch):
    from cnnviz.weights import load_pretrained, weights_to_bytes

    clock = [0.0]
    browsers.clock = lambda: clock[0]
    token = app.session_state[ui.BROWSER_KEY]
    payload = weights_to_bytes(load_pretrained("lenet5"), {"model": "lenet5", "dataset": "mnist"})
    app.file_uploader(key="train_weights_upload").upload("mine.safetensors", payload, "application/octet-stream")
    app.run()
    assert list(kept_models(app)) == ["LeNet-5 (from mine.safetensors)"]
    clock[0] += sessions.KEEP_FOR_S - 1
    again = _reload(monkeypatch, token)  # a visit just in time keeps everything for another KEEP_FOR_S
    assert not again.toast and list(kept_models(again)) == ["LeNet-5 (from mine.safetensors)"]
    clock[0] += sessions.KEEP_FOR_S + 1
    late = _reload(monkeypatch, token)
    assert [t.value for t in late.toast] == ["Your 1 model from earlier was removed after 30 minutes without a visit."]
    assert kept_models(late) == {}
    late.run()
    assert not late.toast  # said once
