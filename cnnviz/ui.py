"""The few helpers that must touch Streamlit: cached loaders, this browser's own models and training."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from cnnviz import data, images, jobs, lessons, models, quiz, sessions, state, warmup, weights
from cnnviz.figures import heatmaps
from cnnviz.images import escape_markdown
from cnnviz.jobs import THREADS_PER_JOB
from cnnviz.models import LayeredCNN
from cnnviz.sessions import KEEP_MODELS, SessionModel
from cnnviz.train import TrainConfig

BROWSER_COOKIE = "cnnviz_id"  # this browser's token (cnnviz.sessions): its models and training across reloads
BROWSER_KEY = "browser_token"  # session state: the token this session uses
REMEMBER_BROWSER_S = 24 * 3600  # the cookie's max-age, renewed by each new session (longer than KEEP_FOR_S,
# so that a visit after the models were dropped can still say so)
OPENED_UPLOADS_KEY = "opened_weight_uploads"  # uploader file id -> label of the model it became
# The uploader's file-name filter for pictures; cnnviz.images checks the content itself.
IMAGE_TYPES = [ext for fmt in images.FORMATS for ext in ([fmt.lower(), "jpg"] if fmt == "JPEG" else [fmt.lower()])]
SHOWN_NAME_CHARS = 60


def configure_threads() -> None:
    """The server's own inference uses the trainings' deliberate thread count (once per process).

    OpenMP threads that outnumber the cores spin against each other: a single-image prediction took
    over 200 ms instead of 2 ms on the busy 2-core machine. Threads started later inherit the count.
    """
    if torch.get_num_threads() != THREADS_PER_JOB:
        torch.set_num_threads(THREADS_PER_JOB)


@st.cache_resource(max_entries=4, show_spinner=False)
def pretrained(name: str) -> LayeredCNN:
    """A shipped model, loaded once per server and shared read-only by every session."""
    return weights.load_pretrained(name)


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset...")
def split(name: str, train: bool) -> data.Split:
    """A dataset split as uint8 tensors, read once per server; never downloaded (DatasetMissingError)."""
    return data.load_split(name, train, download=False)


def browser_token() -> str:
    """This browser's identity across reloads: its cookie's token, else a new one the browser is asked to keep.

    The first call in a session (re)writes the cookie from a script in the sidebar (``st.context.cookies``
    is read-only, and a script is the way Streamlit 1.67 offers): SameSite=Strict, never in the URL or
    the page's text. A browser that refuses cookies keeps the token for this session only.
    """
    token = st.session_state.get(BROWSER_KEY)
    if token is None:
        presented = st.context.cookies.get(BROWSER_COOKIE)
        token = presented if sessions.valid_token(presented) else sessions.new_token()
        st.session_state[BROWSER_KEY] = token
        st.sidebar.html(
            f"<script>document.cookie = '{BROWSER_COOKIE}={token}; path=/; max-age={REMEMBER_BROWSER_S}; "
            "samesite=strict';</script>",
            unsafe_allow_javascript=True,
        )
    return token


def visit_browser() -> None:
    """Count this page run as a look at the browser's models and training; say once what was dropped."""
    dropped = sessions.BROWSERS.visit(browser_token())
    if dropped is not None:
        st.toast(dropped.message(sessions.BROWSERS.max_browsers), icon=":material/history:", duration="infinite")


def trained_models() -> dict[str, SessionModel]:
    """Models trained or opened in this browser (kept across reloads), by display name (newest last)."""
    return sessions.BROWSERS.models(browser_token())


def keep_session_model(label: str, model: LayeredCNN, card: dict[str, Any]) -> None:
    """Offer a model on every page of this browser; beyond KEEP_MODELS the oldest goes, and the page says so."""
    for gone in sessions.BROWSERS.keep(browser_token(), label, model, card):
        st.toast(
            f"{escape_markdown(gone)} is no longer offered: this browser keeps its {KEEP_MODELS} newest models.",
            icon=":material/history:",
        )


def training_job() -> jobs.TrainingJob | None:
    """This browser's latest training (running or ended), also after a reload."""
    return sessions.BROWSERS.job(browser_token())


def start_training(
    config: TrainConfig, train_split: data.Split, test_split: data.Split, **options: Any
) -> jobs.TrainingJob:
    """Start this browser's training, stopping the one before; TrainingBusyError when the server is full.

    ``options`` go to the job (a paced gate for the slow demo)."""
    token = browser_token()
    job = jobs.REGISTRY.start(token, config, train_split, test_split, **options)
    sessions.BROWSERS.set_job(token, job)
    return job


def plain_name(name: str, limit: int = SHOWN_NAME_CHARS) -> str:
    """A user's file name fit for a label: one line of printable characters, long names cut short."""
    name = "".join(ch for ch in " ".join(name.split()) if ch.isprintable())
    return name if len(name) <= limit else name[: limit - 1] + "…"


def open_weights_file(name: str, payload: bytes, upload_id: str) -> str:
    """A user's .safetensors file becomes a session model (never unpickled); WeightsError says why not.

    Each upload is read once: reruns of the page while it stays in the uploader reuse the model.
    """
    opened = st.session_state.setdefault(OPENED_UPLOADS_KEY, {})
    if opened.get(upload_id) in trained_models():
        return opened[upload_id]
    model, card = weights.weights_from_bytes(payload)
    score = card["test_accuracy"]
    accuracy = f", {score:.1%}" if score is not None else ""
    label = f"{models.MODELS[card['model']].title}{accuracy} (from {plain_name(name)})"
    keep_session_model(label, model, card)
    opened[upload_id] = label
    return label


def model_choices() -> dict[str, str]:
    """Key -> display label for every model a page can show: shipped ones ('lenet5'), then this session's.

    The keys are what links carry: a shipped model's name, or 'session:' and the label of a model
    trained or opened in this browser (which another browser does not have, so its link falls back).
    """
    choices = {name: f"{models.MODELS[name].title} (shipped)" for name in weights.pretrained_names()}
    choices.update({f"{SESSION}{label}": f"{label} (this session)" for label in trained_models()})
    return choices


SESSION = "session:"


def get_model(key: str) -> LayeredCNN:
    """The model behind a key from model_choices(); every page runs its inference on one of these."""
    configure_threads()
    return trained_models()[key.removeprefix(SESSION)].model if key.startswith(SESSION) else pretrained(key)


def model_or_stop(key: str, label: str) -> LayeredCNN:
    """The chosen model, or its damage explained in place and the page stopped there."""
    try:
        return get_model(key)
    except weights.WeightsError as exc:
        st.error(f"{escape_markdown(label)} could not be loaded: {escape_markdown(str(exc))}")
        st.stop()


def sample_digit(label: str, key: str, **options: Any) -> tuple[Any, int, int]:
    """A slider over the shipped MNIST sample digits: (image 28×28 uint8, its label, its index).

    ``options`` go to the slider (an on_change, a help text)."""
    images, labels = data.sample_digits()
    index = control(st.slider, label, 0, len(images) - 1, key=key, **options)
    return images[index], int(labels[index]), index


def route_through_app() -> None:
    """Rerun through app.py when a freshly started server ran this page file on its own.

    Until some session has called st.navigation, Streamlit 1.67 treats the pages/ folder as a
    legacy multipage app (no setting turns that off): a first visit to /playground runs
    pages/playground.py directly and the sidebar lists the file names. Every page calls this
    first; the rerun goes through app.py, whose st.navigation keeps the same URL and page.
    Then it counts the visit (``visit_browser``), so every page keeps this browser's models alive, and
    makes sure the process is warming up (``cnnviz.warmup``).
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    warmup.in_background()  # a no-op once warm (python -m cnnviz serve warms up before listening)
    visit_browser()


# --- settings in the URL -------------------------------------------------------------------------
LINKS_KEY = "page_links"  # page -> the URL parameters last written for it (its settings, encoded)
SHOW_PARAM = "show"  # class links: the controls students see, comma-separated keys


def _page_params() -> dict[str, str]:
    """This URL's parameters (the last of repeated ones), lessons and class-link settings left out."""
    return {k: st.query_params.get_all(k)[-1] for k in st.query_params if k not in state.GLOBAL_PARAMS}


def page_settings(page: str, choices: dict[str, list] | None = None) -> dict[str, Any]:
    """A page's settings, with the widgets as their one owner and the URL following them.

    A link (or a reload) whose parameters differ from what this session last wrote is applied once,
    every bad value named in a notice; otherwise values survive page changes from the session.
    Call before drawing any control; the widgets then take their values from session state.
    The sidebar gets the page's share panel.
    """
    projector_switch()
    lesson_panel(page)  # a lesson step: its panel, and its settings applied before the URL is read
    written = st.session_state.setdefault(LINKS_KEY, {})
    url = _page_params()
    if url and url != written.get(page):
        settings, problems = state.decode(page, url, choices)
        st.session_state.update(settings)
        if problems:
            st.warning("\n".join(f"- {escape_markdown(p)}" for p in problems), icon=":material/link_off:")
    else:
        for name, value in state.decode(page, written.get(page, {}), choices)[0].items():
            st.session_state.setdefault(name, value)
    for field in state.fields(page):
        allowed = (choices or {}).get(field.name)
        try:
            field.validate(st.session_state[field.name], allowed, check=False)
        except ValueError:
            st.session_state[field.name] = field.default if not allowed or field.default in allowed else allowed[0]
    settings = write_url(page)
    share_panel(page, settings)
    return settings


def write_url(page: str) -> dict[str, Any]:
    """Put the page's current settings into the URL (defaults left out); returns the settings."""
    settings = {f.name: st.session_state.get(f.name, f.default) for f in state.fields(page)}
    params = state.encode(page, settings)
    kept = {k: st.query_params.get_all(k)[-1] for k in state.GLOBAL_PARAMS if k in st.query_params}
    if {**params, **kept} != {k: st.query_params.get_all(k)[-1] for k in st.query_params}:
        st.query_params.from_dict({**kept, **params})
    st.session_state.setdefault(LINKS_KEY, {})[page] = params
    return settings


def shown(key: str) -> bool:
    """Whether a class link lets students see this control (no show= parameter: everything)."""
    visible = st.query_params.get(SHOW_PARAM)
    return visible is None or key in visible.split(",")


def control(widget: Any, label: str, *args: Any, key: str, **kwargs: Any) -> Any:
    """Draw one of the page's controls, or keep its value undrawn when a class link hides it."""
    if not shown(key):
        return st.session_state[key]
    return widget(label, *args, key=key, **kwargs)


def share_panel(page: str, settings: dict[str, Any]) -> None:
    """The link to this view, and a class link that shows students only the ticked controls.

    Drawn only while open: closed, it costs neither a rerun's work nor its code-block and multiselect
    widgets, which a first visit would otherwise have to download (the syntax highlighter is 1.5 MB)."""
    base = (st.context.url or "").split("?")[0]
    panel = st.sidebar.expander("Share this view", icon=":material/link:", key=f"share_open_{page}", on_change="rerun")
    if not panel.open:
        return
    with panel:
        st.code(state.link(base, page, settings), language=None, wrap_lines=True)
        names = [f.name for f in state.fields(page)]
        if not names:
            return
        kept = f"share_picked_{page}"  # the ticks, kept while the panel is closed and its widget undrawn
        picked = st.multiselect(
            "Prepare for class: controls students see",
            names,
            help="The second link opens this view with only these controls; the others keep their values.",
            default=[n for n in st.session_state.get(kept, names) if n in names],
            format_func=state.title,
            key=f"share_show_{page}",
        )
        st.session_state[kept] = picked
        st.code(state.link(base, page, settings, show=picked), language=None, wrap_lines=True)


def step_row(prefix: str, positions: int, playing: bool = False, lead: Callable[[Any], object] | None = None) -> int:
    """First/Back/Next (arrow keys too) and a position slider over one owner, ``{prefix}_step`` (1-based).

    The buttons and the slider never share a key: a click's rerun also carries the slider's stale
    value, which must not undo the click, so ten quick clicks are ten steps. While playing, each
    timed rerun is one step forward.
    """
    key, slider, drawn = f"{prefix}_step", f"{prefix}_step_slider", f"{prefix}_step_drawn"
    step = requested = st.session_state.get(key, 1)
    if st.session_state.get(f"{prefix}_next") or st.session_state.get(f"{prefix}{CLICKER}next"):
        step += 1
    elif st.session_state.get(f"{prefix}_back") or st.session_state.get(f"{prefix}{CLICKER}back"):
        step -= 1
    elif st.session_state.get(f"{prefix}_first"):
        step = 1
    elif st.session_state.get(slider, step) != st.session_state.get(drawn, step):
        step = st.session_state[slider]  # the slider was moved by hand
    elif playing:
        step += 1
    if requested > positions and step == requested:
        st.warning(f"Step {requested} is past the last window position; showing step {positions} of {positions}.")
    step = min(max(1, step), positions)
    st.session_state[key] = st.session_state[slider] = st.session_state[drawn] = step
    buttons = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if lead is not None:  # a page's own button at the head of the row (the playground's Play)
        lead(buttons)
    buttons.button("First", icon=":material/first_page:", key=f"{prefix}_first", shortcut="Home")
    buttons.button("Back", icon=":material/chevron_left:", key=f"{prefix}_back", shortcut="ArrowLeft")
    buttons.button("Next", icon=":material/chevron_right:", key=f"{prefix}_next", shortcut="ArrowRight")
    if not lesson_running():  # a clicker's Page Up / Page Down step the window too (in a lesson: its Back / Next)
        buttons.button("Back", key=f"{prefix}{CLICKER}back", shortcut="PageUp")
        buttons.button("Next", key=f"{prefix}{CLICKER}next", shortcut="PageDown")
    if positions > 1:
        buttons.slider("Window position", 1, positions, key=slider, label_visibility="collapsed", width="stretch")
    return step


CLICKER = "_clicker_"  # key part of the hidden Page Up / Page Down buttons (PAGE_CSS hides them)


def lesson_running() -> bool:
    """Whether this URL is a lesson's step (its panel then owns Page Up / Page Down)."""
    return LESSON_PARAM in st.query_params and STEP_PARAM in st.query_params


def keep_choice(key: str, allowed: list) -> None:
    """A setting whose options depend on another (a model's layers) falls back when they change."""
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = allowed[0]


# --- lessons and quizzes -------------------------------------------------------------------------
LESSON_PARAM, STEP_PARAM = "lesson", "step"
LESSONS_PAGE = "pages/lessons.py"
MY_LESSONS_KEY = "my_lessons"  # lessons uploaded in this browser session, by id
MY_LESSON_PREFIX = "my-"  # their ids: never the same as a shipped lesson's
LESSON_OPENED_KEY = "lesson_opened"  # (lesson id, step index) whose settings were last applied
QUIZ_FEEDBACK_KEY = "quiz_feedback"  # question key -> the Feedback shown under it
HIGHLIGHT_COLOUR = "#E69F00"  # Okabe-Ito orange


@st.cache_resource(ttl=60, show_spinner=False)
def shipped_lessons() -> tuple[dict[str, lessons.Lesson], list[str]]:
    """The shipped lessons and the teacher's folder's, read at most once a minute per server."""
    return lessons.shipped_lessons()


def my_lessons() -> dict[str, lessons.Lesson]:
    """Lessons loaded from a file in this browser session."""
    return st.session_state.setdefault(MY_LESSONS_KEY, {})


def all_lessons() -> dict[str, lessons.Lesson]:
    """Every lesson this session can run, by the id its links carry."""
    return {**shipped_lessons()[0], **my_lessons()}


def open_lesson_file(name: str, payload: bytes) -> str:
    """A teacher's lesson file becomes one of this session's lessons; LessonError names the line."""
    lesson = lessons.load_lesson(payload, name)
    lesson = replace(lesson, id=MY_LESSON_PREFIX + lesson.id)
    my_lessons()[lesson.id] = lesson
    return lesson.id


def lesson_panel(page: str) -> None:
    """While a lesson runs (``lesson=`` and ``step=`` in the URL): the step's text, progress, Back / Next.

    The step's settings are applied once when the step opens (the page's defaults for what it does
    not set), so call this before the page draws its controls; outside a lesson it draws nothing.
    """
    lesson_id, number = st.query_params.get(LESSON_PARAM), st.query_params.get(STEP_PARAM)
    if lesson_id is None or number is None:
        return
    lesson = all_lessons().get(lesson_id)
    if lesson is None:
        st.warning(
            f"This link belongs to the lesson {escape_markdown(repr(lesson_id[:40]))}, which this app does not have "
            "(a lesson loaded from a file stays in the browser that loaded it). Choose one on the Lessons page.",
            icon=":material/school:",
        )
        return
    index = _step_index(number, len(lesson.steps))
    step = lesson.steps[index]
    if step.page != page:
        st.page_link(
            step.path,
            label=f"Step {index + 1} of this lesson is on another page: go there",
            icon="🎓",
            query_params=lesson.query_params(index),
        )
        return
    if st.session_state.get(LESSON_OPENED_KEY) != (lesson.id, index):
        st.session_state[LESSON_OPENED_KEY] = (lesson.id, index)
        st.session_state.update(step.settings())
    _draw_panel(lesson, index)
    if step.highlight:
        st.html(
            f"<style>.st-key-{step.highlight} {{outline: 3px solid {HIGHLIGHT_COLOUR}; outline-offset: 4px; "
            "border-radius: 4px;}</style>"
        )


def _step_index(number: str, count: int) -> int:
    """The 0-based step a ``step=`` parameter names, kept inside the lesson."""
    try:
        return min(max(int(number), 1), count) - 1
    except ValueError:
        return 0


def _draw_panel(lesson: lessons.Lesson, index: int) -> None:
    """The slim box above the page: where we are, what to look at, and the way on."""
    step, count = lesson.steps[index], len(lesson.steps)
    with st.container(border=True, key="lesson_panel"):
        words, moves = st.columns([3, 2], vertical_alignment="center")
        words.caption(
            f"🎓 {escape_markdown(lesson.title)} · {escape_markdown(step.group)} · **Step {index + 1} of {count}**"
        )
        words.markdown(f"**{escape_markdown(step.title)}.** {escape_markdown(step.text)}")
        if step.highlight:
            words.caption(f"Look for the control outlined in orange: **{state.title(step.highlight)}**.")
        back, forward = moves.columns(2)
        if back.button(
            "Back",
            icon=":material/chevron_left:",
            key="lesson_back",
            disabled=index == 0,
            shortcut="PageUp",
            width="stretch",
        ):
            st.switch_page(lesson.steps[index - 1].path, query_params=lesson.query_params(index - 1))
        if index + 1 < count:
            if forward.button(
                "Next",
                icon=":material/chevron_right:",
                key="lesson_next",
                type="primary",
                shortcut="PageDown",
                width="stretch",
            ):
                st.switch_page(lesson.steps[index + 1].path, query_params=lesson.query_params(index + 1))
        elif forward.button("Finish", icon=":material/flag:", key="lesson_finish", type="primary", width="stretch"):
            st.switch_page(LESSONS_PAGE, query_params={LESSON_PARAM: lesson.id})
        moves.progress((index + 1) / count)
        moves.page_link(LESSONS_PAGE, label="All steps and questions", query_params={LESSON_PARAM: lesson.id})


def quiz_question(question: quiz.Question, key: str) -> None:
    """One question in a form: an answer, Check, then ✓ or ✗ (and colour), the misconception and why."""
    with st.form(key):
        st.markdown(f"**{escape_markdown(question.prompt)}**")
        if isinstance(question, quiz.ChoiceQuestion):
            texts = [o.text for o in question.options]
            answer = st.radio("Your answer", texts, index=None, key=f"{key}_answer", label_visibility="collapsed")
        else:
            example = "a shape, e.g. (8, 2, 3, 3)" if question.is_shape else "a number"
            answer = st.text_input("Your answer", placeholder=example, key=f"{key}_answer")
        checked = st.form_submit_button("Check", key=f"{key}_check")
    shown = st.session_state.setdefault(QUIZ_FEEDBACK_KEY, {})
    if checked:
        try:
            if answer in (None, ""):
                raise quiz.AnswerError("Type or pick an answer first.")
            shown[key] = question.check(answer)
        except quiz.AnswerError as exc:
            st.warning(escape_markdown(str(exc)), icon=":material/edit:")
            return
        sessions.BROWSERS.answer(browser_token(), key, shown[key].right)
    feedback = shown.get(key)
    if feedback is None:
        return
    named = f"**{escape_markdown(feedback.misconception.capitalize())}.** " if feedback.misconception else ""
    if feedback.right:
        st.success(f"✓ {escape_markdown(feedback.explanation)}", icon=":material/check_circle:")
    else:
        st.error(f"✗ {named}{escape_markdown(feedback.explanation)}", icon=":material/cancel:")


def quiz_score() -> tuple[int, int]:
    """(answered right, answered) over this browser's questions (each question's latest answer), kept across reloads."""
    score = sessions.BROWSERS.answers(browser_token())
    return sum(score.values()), len(score)


# --- projector mode and charts -------------------------------------------------------------------
PRESENT_PARAM = "present"  # present=1 in a link: projector mode (kept across pages with the others)
PRESENT_KEY = "projector"  # this session's choice, which the URL follows
PRESENT_SWITCH = "present_switch"
# Every page: the empty band above the title cut, titles smaller, side margins narrower on small screens.
PAGE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; padding-bottom: 3rem; }
@media (max-width: 1400px) {
  [data-testid="stMainBlockContainer"] { padding-left: 1.5rem; padding-right: 1.5rem; }
}
[class*="st-key-"][class*="_clicker_"] { display: none; }
[data-testid="stHeader"] { background: transparent; }
[data-testid="stMetricValue"] { font-size: 1.8rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 1.8rem !important;
}
[data-testid="stColumn"]:has(.katex-display) { container-type: inline-size; }
[data-testid="stColumn"] .katex-display { font-size: clamp(9px, 3cqi, 1.1em); overflow-x: auto; overflow-y: hidden; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; padding-bottom: 0.5rem !important; }
"""
# Projector mode: body text at least 20 px, the sidebar folded away (its arrow brings it back).
PROJECTOR_CSS = """
[data-testid="stMain"] [data-testid="stMarkdownContainer"] :is(p, li, td, th),
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stWidgetLabel"] p,
[data-testid="stMain"] label p,
[data-testid="stMain"] button p,
[data-testid="stMain"] [data-baseweb="select"] div,
[data-testid="stMain"] input, [data-testid="stMain"] textarea,
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 20px !important; }
[data-testid="stMain"] code { font-size: 18px !important; }
[data-testid="stMain"] :is(.cnnviz-tiles-title, .cnnviz-colourbar-ticks, .cnnviz-colourbar-unit, .cnnviz-barchart,
  .cnnviz-layers) {
  font-size: 20px !important;
}
[data-testid="stMainBlockContainer"] { padding-top: 3rem; padding-left: 3.5rem; padding-right: 1.5rem; }
"""


@st.cache_resource(show_spinner=False)
def _quick_canvas() -> Callable[..., Any] | None:
    """streamlit-drawable-canvas's frontend as vendored in cnnviz/frontend/canvas (None where it cannot load).

    The copy sends a finished stroke at once; the package's own waits 200 ms first, most of what a
    student waited between lifting the pen and seeing the new votes (scripts/vendor_canvas.py)."""
    try:
        return st.components.v2.component(
            "cnnviz.canvas",
            js="index-*.js",
            css="index-*.css",
            html='<div class="canvas-root"></div>',
            isolate_styles=True,
        )
    except Exception:  # a non-editable install without the copy's manifest: the package's own frontend
        return None


def drawing_canvas(**options: Any) -> Any:
    """The package's st_canvas drawn by our copy of its frontend (its result and options unchanged)."""
    import streamlit_drawable_canvas as canvas

    quick = _quick_canvas()
    if quick is not None:
        canvas.out = quick  # the component st_canvas calls: the same frontend, without the send delay
    return canvas.st_canvas(**options)


def projector() -> bool:
    """Whether projector mode is on: a link's ``present=`` decides, then this session remembers it."""
    url = st.query_params.get(PRESENT_PARAM)
    if url is not None:
        st.session_state[PRESENT_KEY] = url == "1"
    return st.session_state.get(PRESENT_KEY, False)


def _switched() -> None:
    """The switch moved: remember it and put it in the URL (present=1) or take it out."""
    st.session_state[PRESENT_KEY] = st.session_state[PRESENT_SWITCH]
    if st.session_state[PRESENT_KEY]:
        st.query_params[PRESENT_PARAM] = "1"
    elif PRESENT_PARAM in st.query_params:
        del st.query_params[PRESENT_PARAM]


def projector_switch() -> bool:
    """The page CSS and the sidebar's projector switch on every page; present=1 stays in the URL while on.

    A page change through the sidebar drops the URL's parameters: the session's choice puts it back."""
    on = projector()
    if on and st.query_params.get(PRESENT_PARAM) != "1":
        st.query_params[PRESENT_PARAM] = "1"
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    st.html(f"<style>{PAGE_CSS}{PROJECTOR_CSS if on else ''}</style>")
    st.session_state[PRESENT_SWITCH] = on
    st.sidebar.toggle(
        "Projector mode",
        key=PRESENT_SWITCH,
        on_change=_switched,
        help="Large text and figures, the sidebar folded away; the link keeps it (present=1).",
    )
    return on


def _own_component(name: str) -> Callable[..., Any]:
    """cnnviz/frontend/<name>: one of our own scripts, in the page itself (no iframe), as cnnviz.<name>.

    Declared in pyproject.toml like the canvas, so the browser fetches and caches the script once;
    an install without that manifest sends the same script inline."""
    try:
        return st.components.v2.component(f"cnnviz.{name}", js=f"{name}.js", css=f"{name}.css", isolate_styles=False)
    except Exception:
        folder = Path(__file__).parent / "frontend" / name
        js, css = ((folder / f"{name}.{kind}").read_text() for kind in ("js", "css"))
        return st.components.v2.component(f"cnnviz_inline_{name}", js=js, css=css, isolate_styles=False)


@st.cache_resource(show_spinner=False)
def _svg_figure() -> Callable[..., Any]:
    """cnnviz/frontend/figure: our SVG drawing of grid figures (no plotly.js)."""
    return _own_component("figure")


@st.cache_resource(show_spinner=False)
def _markup() -> Callable[..., Any]:
    """cnnviz/frontend/markup: our own HTML, put in the page when it changes (no DOMPurify per rerun)."""
    return _own_component("markup")


def chart(fig: Any, key: str, where: Any = None, on_select: Callable[[], None] | None = None, **kwargs: Any) -> Any:
    """Draw a figure: grids as our own SVG (heatmaps.drawn_json), the rest with plotly; both save
    cnnviz-<key>.png, and projector mode enlarges their text. ``on_select`` runs when a click picks a
    point (read it with ``clicked``)."""
    if st.session_state.get(PRESENT_KEY, False):
        heatmaps.for_projector(fig)
    config = heatmaps.plotly_config(key)
    drawn = heatmaps.drawn_json(fig)
    if drawn is None:
        select = {"on_select": on_select, "selection_mode": "points"} if on_select else {}
        return (where or st).plotly_chart(fig, key=key, config=config, **select, **kwargs)
    payload = {"figure": drawn, "filename": config["toImageButtonOptions"]["filename"]}
    height = fig.layout.height or "content"  # reserved before the script draws: nothing below jumps
    events = {"on_selection_change": on_select} if on_select else {}
    if where is None:
        return _svg_figure()(key=key, data=payload, height=height, **events)
    with where:
        return _svg_figure()(key=key, data=payload, height=height, **events)


def clicked(key: str) -> Any:
    """The customdata of the point a click on chart `key` picked, or None (plotly's selection or ours)."""
    value = st.session_state.get(key)
    selection = value.get("selection") if value is not None else None
    points = (selection or {}).get("points") or []
    return points[0].get("customdata") if points else None


def html(markup: str, key: str, where: Any = None) -> None:
    """Draw HTML that cnnviz built (pictures, bars; every text in it escaped) in a container ``key``.

    Not st.html: that sanitises and re-parses every block on every rerun in the browser, about 60 ms
    of a Feature maps shift here; our script redraws a block only when it changed."""
    with (where or st).container(key=key):
        _markup()(key=f"{key}_html", data={"html": markup}, height="content")


def sum_line(text: str, where: Any = None) -> None:
    """A sum written out in monospace (markdown code): an st.code block would make a first visit load
    Streamlit's syntax highlighter, 1.5 MB and about 0.35 s of the browser's time here."""
    sum_lines([text], where)


def sum_lines(lines: list[str], where: Any = None) -> None:
    """Sums one per line, each in monospace (see sum_line)."""
    (where or st).markdown("  \n".join(f"`{line.replace('`', '')}`" for line in lines))


def gif_download(key: str, build: Callable[[], bytes], signature: Hashable, file_name: str) -> None:
    """A GIF of the sliding window, drawn only when asked (hundreds of frames take seconds), then downloadable.

    It stays offered while the settings (``signature``) stay the same; a sweep too long for a GIF says why.
    """
    asked = f"{key}_for"
    if st.button("Make a GIF of the sliding window", key=key, icon=":material/animation:"):
        st.session_state[asked] = signature
    if st.session_state.get(asked) != signature:
        return
    try:
        payload = build()
    except ValueError as exc:
        st.warning(escape_markdown(str(exc)), icon=":material/animation:")
        return
    st.download_button(
        "Download the GIF",
        payload,
        file_name=file_name,
        mime="image/gif",
        on_click="ignore",
        key=f"{key}_download",
        icon=":material/download:",
    )
