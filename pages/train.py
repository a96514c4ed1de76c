"""Train live: pick a network and its settings, watch it learn, keep the model for the other pages."""

import streamlit as st

from cnnviz import advice, data, jobs, state, ui
from cnnviz.data import DATASETS
from cnnviz.figures import training as figs
from cnnviz.gate import PacedGate
from cnnviz.images import escape_markdown
from cnnviz.models import MODELS, readable_datasets, trainable_models
from cnnviz.progress import CURVE_SIZE, Progress, Snapshot
from cnnviz.train import OPTIMIZERS, TrainConfig, available_devices
from cnnviz.weights import WeightsError

ui.route_through_app()

PAGE = "train"
POLL_S = 1.0
SLOW_STEP_S = 0.3  # the slow demo's pace: the default run takes about a minute
DEVICE_TITLES = {"cuda": "CUDA GPU", "mps": "Apple GPU (MPS)", "cpu": "CPU"}


def open_saved_model() -> None:
    """Bring back weights saved earlier, so they can be explored without training again."""
    st.subheader("Open a model you saved")
    upload = st.file_uploader(
        "Weights file (.safetensors, as downloaded above or written by `python -m cnnviz train`)",
        type=["safetensors"],
        key="train_weights_upload",
    )
    if upload is None:
        return
    try:
        opened = ui.open_weights_file(upload.name, upload.getvalue(), upload.file_id)
    except WeightsError as exc:
        st.error(
            f"**{escape_markdown(ui.plain_name(upload.name))}** could not be opened: {escape_markdown(str(exc))} "
            "Choose a .safetensors file that this app or `python -m cnnviz train` saved."
        )
        return
    st.success(
        f"**{escape_markdown(opened)}** is now offered on the Architecture, Feature maps and Draw & predict "
        "pages for this browser (also after a reload)."
    )


st.title("Train a CNN live")
st.markdown(
    "Training shows the network a batch of labelled images, measures how wrong it is (the **loss**), "
    "and nudges every weight a little in the direction that lowers it. Repeat a few hundred times and "
    "the random filters of the first layer turn into stroke and edge detectors. Start a small run below "
    "and watch the loss fall, the accuracy rise and the predictions on ten test images change."
)

datasets = data.available_datasets()
if not datasets:
    st.error(
        f"No dataset was found under {data.data_dir()}. Put the MNIST files in "
        f"{data.data_dir() / 'MNIST' / 'raw'} or set CNNVIZ_DATA to the folder that holds them."
    )
    open_saved_model()
    st.stop()
models = trainable_models(datasets)
devices = ["auto", *available_devices()]
ui.page_settings(PAGE, {"train_model": models, "train_device": devices})


def _device_title(device: str) -> str:
    return f"Best here ({DEVICE_TITLES[available_devices()[0]]})" if device == "auto" else DEVICE_TITLES[device]


def _typical_lr() -> None:
    """Switching optimizer also switches to a learning rate that suits it."""
    st.session_state["train_lr"] = OPTIMIZERS[st.session_state["train_optimizer"]].typical_lr


settings_column, live_column = st.columns([2, 3], gap="medium")
with settings_column.container(border=True):
    c1, c2 = st.columns(2)
    model = ui.control(c1.selectbox, "Model", models, format_func=lambda m: MODELS[m].title, key="train_model")
    ui.keep_choice("train_dataset", readable_datasets(model, datasets))
    dataset = ui.control(
        c2.selectbox,
        "Dataset",
        readable_datasets(model, datasets),
        format_func=lambda d: DATASETS[d].title,
        key="train_dataset",
    )
    c3, c4 = st.columns(2)
    optimizer = ui.control(
        c3.radio,
        "Optimizer",
        list(OPTIMIZERS),
        format_func=lambda o: OPTIMIZERS[o].title,
        horizontal=True,
        key="train_optimizer",
        on_change=_typical_lr,
    )
    lr = ui.control(
        c4.number_input,
        "Learning rate (peak)",
        0.0,
        10.0,
        step=0.001,
        format="%.4f",
        key="train_lr",
        help="One-cycle schedule: it warms up to this rate, then decays.",
    )
    c1, c2 = st.columns(2)
    batch_size = ui.control(c1.select_slider, "Batch size", state.BATCH_SIZES, key="train_batch")
    epochs = ui.control(c2.slider, "Epochs", 1, 20, key="train_epochs")
    c3, c4, c5 = st.columns([2, 1, 1])
    train_size = ui.control(
        c3.select_slider,
        "Training images",
        state.TRAIN_SIZES,
        key="train_size",
        help="A random subset for a quick demo; 60000 is all of MNIST.",
    )
    seed = ui.control(c4.number_input, "Seed", 0, 2**31 - 1, key="train_seed", help="Same seed, same run.")
    device = ui.control(c5.selectbox, "Device", devices, format_func=_device_title, key="train_device")

config = TrainConfig(
    model=model,
    dataset=dataset,
    epochs=epochs,
    batch_size=batch_size,
    lr=lr,
    optimizer=optimizer,
    train_size=train_size,
    seed=int(seed),
    device=device,
)
problems = advice.config_problems(config, datasets)
for problem in problems:
    settings_column.error(problem)
for warning in advice.config_warnings(config):
    settings_column.warning(warning)

# Start and the pace on one row: in projector mode at 720 px the button otherwise sat on the screen's edge
start_row = settings_column.container(horizontal=True, vertical_alignment="center")
started = start_row.button("Start training", type="primary", disabled=bool(problems), key="train_start")
slow = ui.control(
    start_row.checkbox,
    f"Slow demo: one step every {SLOW_STEP_S} s",
    key="train_slow",
    help="A pace you can talk over: the curves, filters and answers change while you explain them.",
)
if started:
    try:
        pace = {"gate": PacedGate(SLOW_STEP_S)} if slow else {}
        ui.start_training(config, ui.split(dataset, True), ui.split(dataset, False), **pace)
    except jobs.TrainingBusyError as exc:
        st.warning(str(exc))
    except (ValueError, data.DatasetMissingError) as exc:
        st.error(f"Could not start: {exc}")

job = ui.training_job()  # this browser's, also after a reload
live = job is not None and job.progress().status in jobs.ACTIVE


def _controls(job: jobs.TrainingJob, status: str) -> None:
    row = st.container(horizontal=True)
    if status == "paused":
        row.button("Resume", on_click=job.resume, key="train_resume")
    else:
        row.button("Pause", on_click=job.pause, key="train_pause")
    row.button("Stop", on_click=job.stop, args=("Stopped by you.",), key="train_stop")


@st.fragment(run_every=POLL_S if live else None)
def live_view(live: bool) -> None:
    """The part that changes while training runs: redrawn every POLL_S seconds on its own."""
    job = ui.training_job()
    if job is None:
        st.info("Pick the settings and press **Start training**. The defaults finish in well under a minute.")
        return
    job.touch()
    progress = job.progress()
    if live and progress.status not in jobs.ACTIVE:
        st.rerun()  # finished, stopped or failed: redraw the whole page once and stop polling
    st.caption(figs.config_text(progress.config, job.train_size))
    if progress.status in jobs.ACTIVE:
        _controls(job, progress.status)
    label = "Paused. " if progress.status == "paused" else ""
    st.progress(progress.fraction, text=label + figs.progress_text(progress))
    ui.chart(
        figs.curves_figure(progress.train_curve, progress.test_curve, progress.config.epochs, CURVE_SIZE, height=280),
        key="train_curves",
    )
    if progress.snapshot is not None:
        _watched(job, progress.snapshot)


def _watched(job: jobs.TrainingJob, snapshot: Snapshot) -> None:
    classes = job.watch.info.classes
    predicted = snapshot.probs.argmax(1)
    labels = job.watch.labels.tolist()
    st.markdown(f"**Ten test images and what the network says now** (after {snapshot.x:.2f} epochs)")
    captions = [f"{classes[p]} {snapshot.probs[i, p]:.0%}" for i, p in enumerate(predicted)]
    tiles = figs.tiles_figure(job.watch.images.numpy(), captions, list(predicted == labels), cols=5, height=300)
    ui.chart(tiles, key="train_tiles")
    st.markdown("**conv1 filters** (red: positive weights, blue: negative)")
    ui.chart(figs.filters_figure(snapshot.filters), key="train_filters")


def _finished(job: jobs.TrainingJob, progress: Progress) -> None:
    result = progress.result
    st.subheader("Result on the whole test set")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{result.test_accuracy:.2%}", help=f"On all {result.test_size:,} test images.")
    c2.metric("Test loss", f"{result.test_loss:.3f}")
    c3.metric("Mistakes", f"{int(round((1 - result.test_accuracy) * result.test_size)):,}")
    hint = advice.advice(progress)
    if hint:
        st.warning(hint)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Confusion matrix**: each row is a true class, each column what the network said.")
        ui.chart(figs.confusion_figure(result.confusion, job.watch.info.classes), key="train_confusion")
    with right:
        classes = job.watch.info.classes
        st.markdown("**Most confidently wrong test images** (true → said, confidence)")
        captions = [
            f"{classes[t]}→{classes[p]} {c:.0%}"
            for t, p, c in zip(result.wrong_labels, result.wrong_predicted, result.wrong_confidence)
        ]
        if captions:
            ui.chart(
                figs.tiles_figure(result.wrong_images, captions, [False] * len(captions), cols=4, height=330),
                key="train_wrong",
            )
        else:
            st.success("No test image is wrong.")
    st.download_button(
        "Download the weights (.safetensors with its card)",
        job.weights(),
        file_name=f"{job.config.model}-{job.config.dataset}-{job.id}.safetensors",
        mime="application/octet-stream",
        on_click="ignore",
        key="train_download",
    )
    st.info(
        "This model is now offered on the **Architecture**, **Feature maps** and **Draw & predict** "
        "pages (for this browser, also after a reload), next to the shipped ones."
    )


with live_column:
    live_view(live)
if job is not None:
    final = job.progress()
    if final.status == "finished" and final.result is not None:
        _finished(job, final)
    elif final.status == "failed":
        st.error(final.message)
    elif final.status == "stopped":
        st.info(f"{final.message} Press **Start training** to train again.")

st.divider()
open_saved_model()
