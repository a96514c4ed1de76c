"""AppTest for the train page: idle, bad settings, running (pause, resume, stop) and finished states.

AppTest cannot fire the page's timed fragment, so the tests rerun the script themselves while the
real worker trains in the background. The worker's pace is the test's: a held ``StepGate`` lets steps
through one by one and the heartbeat reads a clock that does not move, so nothing depends on speed.
"""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnnviz import data, jobs
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
    st.cache_resource.clear()  # ends the session-scoped job slot: its release hook stops the worker
    for job in jobs.REGISTRY.running().values():
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
    models = app.session_state["trained_models"]
    assert len(models) == 1
    ((label, entry),) = models.items()
    assert label.startswith("LeNet-5 on MNIST digits") and entry.card["test_accuracy"] == pytest.approx(
        accuracy / 100, abs=1e-4
    )
    assert "Feature maps" in app.info[-1].value
    charts = [c.proto.id for c in app.get("plotly_chart")]
    assert len(charts) == 5  # curves, watched digits, filters, confusion matrix, wrong digits
    assert app.get("download_button")
    app.run()  # a rerun does not register the same model twice
    assert len(app.session_state["trained_models"]) == 1


def test_opening_saved_weights_offers_the_model_and_bad_files_are_explained(app):
    from cnnviz import ui
    from cnnviz.weights import load_pretrained, weights_to_bytes

    model = load_pretrained("lenet5")
    good = weights_to_bytes(model, {"model": "lenet5", "dataset": "mnist", "test_accuracy": 0.9876})
    app.file_uploader(key="train_weights_upload").upload("mine.safetensors", good, "application/octet-stream")
    app.run()
    assert not app.exception and not app.error
    label = "LeNet-5, 98.8% (from mine.safetensors)"
    assert label in app.session_state[ui.TRAINED_MODELS_KEY]
    assert ui.escape_markdown(label) in app.success[0].value
    first = app.session_state[ui.TRAINED_MODELS_KEY][label].model
    app.run()  # a rerun with the file still in the uploader reuses the model instead of reading it again
    assert app.session_state[ui.TRAINED_MODELS_KEY][label].model is first

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
        assert label in app.session_state[ui.TRAINED_MODELS_KEY]  # the good one survives
