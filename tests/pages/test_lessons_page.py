"""AppTest for lessons: every shipped step opens with its settings, the panel steps on, quizzes answer back.

Pages are opened through app.py (as the browser reaches them), because the lesson panel's links
and st.switch_page only resolve pages that st.navigation knows.
"""

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import next_entry
from cnnviz import images, lessons, ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LESSON = lessons.shipped_lessons()[0]["how-a-cnn-sees"]
COUNT = len(LESSON.steps)


@pytest.fixture(autouse=True)
def no_cold_start_guard(monkeypatch):
    monkeypatch.setattr(ui, "route_through_app", lambda: None)  # see tests/pages/conftest.py


def open_url(path: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return plain(" ".join(e.value for kind in ("markdown", "caption") for e in at.get(kind)))


def plain(text: str) -> str:
    """Shown text without Markdown escapes and the word joiners that break autolinks."""
    return text.replace("\\", "").replace(images.WORD_JOINER, "")


def page_links(at: AppTest) -> list:
    return [p.proto for p in at.get("page_link")]


def assert_step_settings(at: AppTest, index: int) -> None:
    step = LESSON.steps[index]
    claimed = {name: value for name, value in step.settings().items() if name in step.params}
    assert {name: at.session_state[name] for name in claimed} == claimed, index + 1
    assert f"Step {index + 1} of {COUNT}" in texts(at)
    assert step.title in texts(at)


@pytest.mark.parametrize("index", range(COUNT), ids=[s.title for s in LESSON.steps])
def test_every_shipped_step_opens_with_its_settings(index):
    step = LESSON.steps[index]
    at = open_url(step.path, LESSON.query_params(index))
    assert_step_settings(at, index)
    assert not at.error, [e.value for e in at.error]
    style = " ".join(h.proto.body for h in at.get("html"))
    assert f".st-key-{step.highlight} " in style
    assert not any(p.label.startswith("Next:") for p in page_links(at)), "no page-order link inside a lesson"


def test_next_walks_the_whole_lesson_and_back_restores_a_steps_defaults():
    at = open_url(LESSON.steps[0].path, LESSON.query_params(0))
    for index in range(1, COUNT):
        # AppTest reruns the page it was last switched to, not the one st.switch_page opened: point it
        # at the page that shows the button (the browser test walks across pages for real).
        at.switch_page(LESSON.steps[index - 1].path)
        at.button(key="lesson_next").click().run()
        assert not at.exception, (index + 1, at.exception)
        assert at.query_params["step"] == str(index + 1)
        assert_step_settings(at, index)
    assert "lesson_next" not in [b.key for b in at.button]
    pooling = next(i for i, s in enumerate(LESSON.steps) if s.page == "pooling" and not s.params)
    at = open_url(LESSON.steps[pooling + 1].path, LESSON.query_params(pooling + 1))
    assert at.session_state["pool_mode"] == "avg" and LESSON.steps[pooling + 1].page == "pooling"
    at.button(key="lesson_back").click().run()
    assert at.session_state["pool_mode"] == "max", "a step's unset settings are the page's defaults"
    assert_step_settings(at, pooling)


def test_a_students_change_inside_a_step_is_kept():
    at = open_url("pages/playground.py", LESSON.query_params(4))
    at.number_input(key="pg_stride").set_value(3).run()
    assert at.session_state["pg_stride"] == 3 and at.query_params["step"] == "5"
    assert "Step 5 of" in texts(at)


def test_a_link_to_an_unknown_lesson_or_step_is_explained():
    at = open_url("pages/pooling.py", {"lesson": "[evil](http://x)", "step": "2"})
    warning = at.warning[0].value
    assert "which this app does not have" in warning and not re.search(r"(?<!\\)\]\(", warning)
    at = open_url("pages/pooling.py", {"lesson": LESSON.id, "step": "999"})
    assert page_links(at)[0].label.startswith(f"Step {COUNT} of this lesson is on another page")


def test_outside_lessons_each_page_leads_to_the_next_in_the_navigation():
    """app.py draws the link after the page (AppTest runs page files alone; the browser test sees it)."""
    assert next_entry("home").url_path == "playground"
    assert next_entry("pooling").title == "Transposed convolution"
    assert next_entry("predict").url_path == "lessons"
    assert next_entry("lessons") is None and next_entry("start") is None


def test_the_lessons_page_lists_linked_steps_and_starts_the_lesson():
    at = open_url("pages/lessons.py", {})
    links = [p for p in page_links(at) if p.label.startswith("Step ")]
    assert len(links) == COUNT
    assert links[3].query_string.endswith(f"lesson={LESSON.id}&step=4") and "pg_padding=1" in links[3].query_string
    assert not at.code  # the slide links are drawn only when their panel opens
    at.session_state["lesson_links_open"] = True
    at.run()
    slides = at.code[0].value.splitlines()
    assert len(slides) == COUNT and "/playground?" in slides[0] and "step=1" in slides[0]
    assert "keeps it across reloads" in texts(at)
    at.button(key="lesson_start").click().run()
    assert not at.exception
    assert at.query_params["step"] == "1" and "Step 1 of" in texts(at)


def quiz_key(step_title: str, number: int) -> str:
    index = next(i for i, s in enumerate(LESSON.steps) if s.title == step_title)
    return f"quiz_{LESSON.id}_{index}_{number}"


def test_a_quiz_answers_right_wrong_with_its_misconception_and_keeps_the_score():
    at = open_url("pages/lessons.py", {"lesson": LESSON.id})
    params = quiz_key("Flatten, fully connected, and why convolution is cheap", 0)  # LeNet-5 conv2's parameters
    at.text_input(key=f"{params}_answer").set_value("2400")  # a form: sent with its Check button
    at.button(key=f"{params}_check").click().run()
    wrong = plain(at.error[0].value)
    assert wrong.startswith("✗ **Forgot the bias.**") and "the answer is 2416" in wrong
    at.text_input(key=f"{params}_answer").set_value("2416")
    at.button(key=f"{params}_check").click().run()
    assert plain(at.success[0].value).startswith("✓ Right: 2416.")
    assert "Your score: 1 of 1" in texts(at)

    choice = quiz_key("One window, one multiply-and-sum", 1)  # What is the primary function of ...?
    at.radio(key=f"{choice}_answer").set_value("To reduce the size of the feature maps")
    at.button(key=f"{choice}_check").click().run()
    feedback = plain(at.error[0].value)
    assert feedback.startswith("✗ **Confuses convolution with pooling.**") and "That is what pooling" in feedback
    assert "Your score: 1 of 2" in texts(at)


def test_an_unreadable_answer_is_explained_and_not_scored():
    at = open_url("pages/lessons.py", {"lesson": LESSON.id})
    key = quiz_key("The output-size formula", 0)
    at.text_input(key=f"{key}_answer").set_value("four-ish")
    at.button(key=f"{key}_check").click().run()
    assert "is not a number" in at.warning[0].value and not at.error
    assert "Your score: 0 of 0" in texts(at)


def test_the_score_survives_a_reload_of_the_same_browser_only(monkeypatch):
    at = open_url("pages/lessons.py", {"lesson": LESSON.id})
    token = at.session_state[ui.BROWSER_KEY]
    key = quiz_key("Flatten, fully connected, and why convolution is cheap", 0)
    at.text_input(key=f"{key}_answer").set_value("2416")
    at.button(key=f"{key}_check").click().run()
    assert "Your score: 1 of 1" in texts(at)
    for cookie, expected in ((token, "Your score: 1 of 1"), (None, "Your score: 0 of 0")):
        cookies = {} if cookie is None else {ui.BROWSER_COOKIE: cookie}
        monkeypatch.setattr(type(st.context), "cookies", property(lambda self, cookies=cookies: cookies))
        again = open_url("pages/lessons.py", {"lesson": LESSON.id})  # a reload; then another browser
        assert expected in texts(again)
