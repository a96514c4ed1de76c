"""The few helpers that must touch Streamlit: cached loaders and the session's own models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from cnnviz import data, models, weights
from cnnviz.jobs import THREADS_PER_JOB
from cnnviz.models import LayeredCNN

# The server's own inference uses the trainings' deliberate thread count from the start: OpenMP
# threads that outnumber the cores spin against each other (a single-image prediction took over
# 200 ms instead of 2 ms on the busy 2-core machine).
torch.set_num_threads(THREADS_PER_JOB)

TRAINED_MODELS_KEY = "trained_models"
OPENED_UPLOADS_KEY = "opened_weight_uploads"  # uploader file id -> label of the model it became
KEEP_MODELS = 5  # per browser session: trained here or opened from a file


@dataclass
class SessionModel:
    """A model trained in this browser session, with its card."""

    model: LayeredCNN
    card: dict[str, Any]


@st.cache_resource(max_entries=4, show_spinner=False)
def pretrained(name: str) -> LayeredCNN:
    """A shipped model, loaded once per server and shared read-only by every session."""
    return models.load_pretrained(name)


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset...")
def split(name: str, train: bool) -> data.Split:
    """A dataset split as uint8 tensors, read once per server; never downloaded (DatasetMissingError)."""
    return data.load_split(name, train, download=False)


def trained_models() -> dict[str, SessionModel]:
    """Models trained in this browser session, by display name (newest last)."""
    return st.session_state.setdefault(TRAINED_MODELS_KEY, {})


def keep_session_model(label: str, model: LayeredCNN, card: dict[str, Any]) -> None:
    """Offer a model on every page for the rest of the session; the oldest goes beyond KEEP_MODELS."""
    kept = trained_models()
    kept[label] = SessionModel(model, card)
    while len(kept) > KEEP_MODELS:
        kept.pop(next(iter(kept)))


def open_weights_file(name: str, payload: bytes, upload_id: str) -> str:
    """A user's .safetensors file becomes a session model (never unpickled); WeightsError says why not.

    Each upload is read once: reruns of the page while it stays in the uploader reuse the model.
    """
    opened = st.session_state.setdefault(OPENED_UPLOADS_KEY, {})
    if opened.get(upload_id) in trained_models():
        return opened[upload_id]
    model, card = weights.weights_from_bytes(payload)
    score = card.get("test_accuracy")
    accuracy = f", {score:.1%}" if isinstance(score, (int, float)) else ""
    label = f"{models.MODEL_TITLES[card['model']]}{accuracy} (from {name})"
    keep_session_model(label, model, card)
    opened[upload_id] = label
    return label


def model_choices() -> dict[str, str]:
    """Display label -> key for every model a page can show: shipped ones, then this session's."""
    choices = {f"{models.MODEL_TITLES[n]} (shipped)": f"shipped:{n}" for n in models.pretrained_names()}
    choices.update({f"{label} (this session)": f"session:{label}" for label in trained_models()})
    return choices


def get_model(key: str) -> LayeredCNN:
    """The model behind a key from model_choices()."""
    kind, name = key.split(":", 1)
    return pretrained(name) if kind == "shipped" else trained_models()[name].model


def route_through_app() -> None:
    """Rerun through app.py when a freshly started server ran this page file on its own.

    Until some session has called st.navigation, Streamlit 1.67 treats the pages/ folder as a
    legacy multipage app (no setting turns that off): a first visit to /playground runs
    pages/playground.py directly and the sidebar lists the file names. Every page calls this
    first; the rerun goes through app.py, whose st.navigation keeps the same URL and page.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
