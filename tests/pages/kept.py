"""AppTest helpers: the models the server keeps for an AppTest session's browser (cnnviz.sessions)."""

from typing import Any

from streamlit.testing.v1 import AppTest

from cnnviz import sessions, ui
from cnnviz.sessions import SessionModel


def kept_models(at: AppTest) -> dict[str, SessionModel]:
    """The models this AppTest session's browser has, by label (after at least one run)."""
    return sessions.BROWSERS.models(at.session_state[ui.BROWSER_KEY])


def give_models(at: AppTest, models: dict[str, tuple[Any, dict[str, Any]]]) -> None:
    """Keep these (model, card) pairs for this session's browser, as training or opening a file would."""
    for label, (model, card) in models.items():
        sessions.BROWSERS.keep(at.session_state[ui.BROWSER_KEY], label, model, card)
