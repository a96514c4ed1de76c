"""What the server keeps for each browser between its sessions: the models and the training, by a token.

A reload starts a new Streamlit session and forgets ``st.session_state``; the browser keeps a random
token in a cookie (``cnnviz.ui`` sets and reads it), and this store keeps what belongs to that token:
the models trained or opened there and its latest training. Another browser has another token and
never sees them. The token is never in a URL, so a shared link carries settings only.

Lifetime: an entry lives ``KEEP_FOR_S`` after the browser's last look (any page run of any of its
sessions); then, or when more than ``MAX_BROWSERS`` browsers keep something, the least recently seen
one is dropped, its training stopped, and its next visit is told once (``visit()`` returns a
``Dropped``). Memory stays bounded: at most ``MAX_BROWSERS`` x ``KEEP_MODELS`` small models.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnviz.jobs import TrainingJob
from cnnviz.models import LayeredCNN

KEEP_FOR_S = 30 * 60  # a browser's models and training, after its last look
MAX_BROWSERS = int(os.environ.get("CNNVIZ_MAX_BROWSERS", "40"))  # SimpleCNN is 1.7 MB: 40 x 5 x 1.7 MB at most
KEEP_MODELS = 5  # per browser: trained there or opened from a file
NOTICES = 4 * MAX_BROWSERS  # what was dropped, remembered for that many browsers until their next visit
TOKEN_BYTES = 24
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> str:
    """An unguessable name for one browser (192 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_token(token: object) -> bool:
    """Whether a cookie's value could be one of our tokens (anything else is replaced, never stored)."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


@dataclass
class SessionModel:
    """A model trained or opened in this browser, with its card."""

    model: LayeredCNN
    card: dict[str, Any]


@dataclass(frozen=True)
class Dropped:
    """What the store let go of for one browser, and why, so that its next visit can say so."""

    models: int
    training: bool
    idle_s: float
    full: bool  # dropped for room (MAX_BROWSERS), not for time

    def message(self, max_browsers: int = MAX_BROWSERS) -> str:
        """One plain sentence for the page."""
        things = " and ".join(
            part
            for part in (
                "training" if self.training else "",
                f"{self.models} model{'s' if self.models != 1 else ''}" if self.models else "",
            )
            if part
        )
        were = "were" if self.models + self.training > 1 else "was"
        minutes = max(1, round(self.idle_s / 60))
        if self.full:
            return (
                f"Your {things} from earlier {were} removed after {minutes} minutes without a visit, to make room: "
                f"this server keeps models for at most {max_browsers} browsers at once."
            )
        return f"Your {things} from earlier {were} removed after {minutes} minutes without a visit."


@dataclass
class _Browser:
    last_seen: float
    models: OrderedDict[str, SessionModel] = field(default_factory=OrderedDict)
    job: TrainingJob | None = None
    job_kept: bool = False  # the finished job's model is among the models (or was, until dropped)
    answers: dict[str, bool] = field(default_factory=dict)  # quiz question key -> its latest answer was right


class BrowserStore:
    """Token -> that browser's models and training, thread-safe, expiring and capped."""

    def __init__(
        self,
        keep_for_s: float = KEEP_FOR_S,
        max_browsers: int = MAX_BROWSERS,
        keep_models: int = KEEP_MODELS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.keep_for_s, self.max_browsers, self.keep_models = keep_for_s, max_browsers, keep_models
        self.clock = clock
        self._browsers: OrderedDict[str, _Browser] = OrderedDict()  # least recently seen first
        self._notices: OrderedDict[str, Dropped] = OrderedDict()
        self._lock = threading.Lock()

    def visit(self, token: str) -> Dropped | None:
        """A page run of this browser: expire others, keep this one alive (its training too), say what it lost."""
        self.expire()
        with self._lock:
            entry = self._seen(token)
            if entry is not None and entry.job is not None:
                entry.job.touch()
            return self._notices.pop(token, None)

    def models(self, token: str) -> dict[str, SessionModel]:
        """A copy of the browser's models by label, oldest first (a finished training's model included)."""
        with self._lock:
            entry = self._seen(token)
            if entry is None:
                return {}
            self._adopt_finished(entry)
            return dict(entry.models)

    def keep(self, token: str, label: str, model: LayeredCNN, card: dict[str, Any]) -> list[str]:
        """Offer a model to this browser; returns the labels of the oldest ones dropped beyond keep_models."""
        with self._lock:
            return self._keep(self._entry(token), label, SessionModel(model, card))

    def job(self, token: str) -> TrainingJob | None:
        """The browser's latest training, running or ended."""
        with self._lock:
            entry = self._seen(token)
            return None if entry is None else entry.job

    def set_job(self, token: str, job: TrainingJob) -> None:
        """The browser's new training (the registry has already stopped the one before, whose model stays)."""
        with self._lock:
            entry = self._entry(token)
            self._adopt_finished(entry)
            entry.job, entry.job_kept = job, False

    def answer(self, token: str, question: str, right: bool) -> None:
        """Record a quiz answer of this browser (its latest answer per question counts)."""
        with self._lock:
            self._entry(token).answers[question] = right

    def answers(self, token: str) -> dict[str, bool]:
        """A copy of this browser's quiz answers: question key -> right."""
        with self._lock:
            entry = self._seen(token)
            return {} if entry is None else dict(entry.answers)

    def expire(self, now: float | None = None) -> dict[str, Dropped]:
        """Drop every browser not seen for keep_for_s (stopping its training); returns token -> what it lost."""
        now = self.clock() if now is None else now
        with self._lock:
            stale = [t for t, e in self._browsers.items() if now - e.last_seen > self.keep_for_s]
            return {token: self._drop(token, now, full=False) for token in stale}

    def tokens(self) -> list[str]:
        """The browsers that keep something, least recently seen first."""
        with self._lock:
            return list(self._browsers)

    # --- with the lock held ---
    def _seen(self, token: str) -> _Browser | None:
        entry = self._browsers.get(token)
        if entry is not None:
            entry.last_seen = self.clock()
            self._browsers.move_to_end(token)
        return entry

    def _entry(self, token: str) -> _Browser:
        """The browser's entry, made when it first keeps something (making room by dropping the least recent)."""
        entry = self._seen(token)
        if entry is None:
            now = self.clock()
            while len(self._browsers) >= self.max_browsers:
                self._drop(next(iter(self._browsers)), now, full=True)
            entry = self._browsers[token] = _Browser(now)
            self._notices.pop(token, None)
        return entry

    def _keep(self, entry: _Browser, label: str, kept: SessionModel) -> list[str]:
        entry.models.pop(label, None)
        entry.models[label] = kept
        dropped = []
        while len(entry.models) > self.keep_models:
            dropped.append(entry.models.popitem(last=False)[0])
        return dropped

    def _adopt_finished(self, entry: _Browser) -> None:
        """A training that finished while nobody watched still offers its model."""
        job = entry.job
        if job is not None and not entry.job_kept and job.progress().status == "finished":
            entry.job_kept = True
            self._keep(entry, job.label(), SessionModel(job.model, job.card()))

    def _drop(self, token: str, now: float, full: bool) -> Dropped:
        entry = self._browsers.pop(token)
        job = entry.job
        if job is not None:
            job.stop("Stopped because this browser's training was removed from the server.")
        dropped = self._notices[token] = Dropped(len(entry.models), job is not None, now - entry.last_seen, full)
        while len(self._notices) > NOTICES:
            self._notices.popitem(last=False)
        return dropped


BROWSERS = BrowserStore()
