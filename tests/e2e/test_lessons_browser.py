"""Lessons in real Chromium: start a lesson, walk three steps with Next, quizzes, teachers' files, Next links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz import lessons
from cnnviz.browser import EXCEPTION, collect_console_errors, wait_for_app, wait_for_rerun

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
PANEL = ".st-key-lesson_panel"
UPLOAD = f'{MAIN} [data-testid="stFileUploaderDropzoneInput"]'
STEPS = len(next(iter(lessons.shipped_lessons()[0].values())).steps)


def open_lessons(page, url: str) -> None:
    page.goto(f"{url}/lessons")
    page.get_by_role("heading", name="Lessons and quizzes").wait_for()
    wait_for_app(page)


def panel_says(page, text: str) -> None:
    expect(page.locator(PANEL)).to_contain_text(text)


def test_start_a_lesson_and_walk_three_steps_with_next(page, app_url):
    errors = collect_console_errors(page)
    open_lessons(page, app_url)
    wait_for_rerun(page, lambda: page.get_by_role("button", name=re.compile("^Start lesson")).click())
    page.get_by_role("heading", name="Convolution playground").wait_for()
    wait_for_app(page)
    panel_says(page, f"Step 1 of {STEPS}")
    expect(page).to_have_url(re.compile(r"/playground\?.*lesson=how-a-cnn-sees&step=1"))
    expect(page.locator(MAIN)).not_to_contain_text("Next: ")  # the panel leads the way inside a lesson

    walk = [
        (f"Step 2 of {STEPS}", r"pg_kernel=Prewitt", "Bright left half, dark right half"),
        (f"Step 3 of {STEPS}", r"pg_source=digit", "MNIST test digit #70"),
        (f"Step 4 of {STEPS}", r"pg_padding=1", "MNIST test digit #70"),
    ]
    for progress, in_url, on_page in walk:
        next_step = page.locator(PANEL).get_by_role("button", name="Next")
        wait_for_rerun(page, next_step.click)
        panel_says(page, progress)
        expect(page).to_have_url(re.compile(in_url))
        expect(page.locator(MAIN)).to_contain_text(on_page)
    expect(page.get_by_role("spinbutton", name="Padding", exact=True)).to_have_value("1")
    outline = page.locator(".st-key-pg_padding").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid", "the step's control is outlined"

    wait_for_rerun(page, page.locator(PANEL).get_by_role("button", name="Back").click)
    panel_says(page, f"Step 3 of {STEPS}")
    expect(page.get_by_role("spinbutton", name="Padding", exact=True)).to_have_value("0")
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []


def test_outside_a_lesson_a_page_ends_with_a_link_to_the_next(page, app_url):
    page.goto(f"{app_url}/pooling")
    page.get_by_role("heading", name=re.compile("^Pooling")).wait_for()
    wait_for_app(page)
    wait_for_rerun(page, page.get_by_role("link", name="Next: Transposed convolution").click)
    page.get_by_role("heading", name=re.compile("^Transposed convolution")).wait_for()
    expect(page).to_have_url(re.compile(r"/transposed"))


def test_a_quiz_answer_gets_its_verdict_at_once(page, app_url):
    open_lessons(page, app_url)
    form = page.locator(MAIN).locator('[data-testid="stForm"]').filter(has_text="nn.Conv2d(6, 16, 5) learn")
    form.get_by_role("textbox").fill("2400")
    wait_for_rerun(page, form.get_by_role("button", name="Check").click)
    expect(page.locator(MAIN)).to_contain_text("✗ Forgot the bias.")
    expect(page.locator(MAIN)).to_contain_text("Your score: 0 of 1")


def test_a_teachers_lesson_file_loads_and_a_broken_one_is_named_by_line(page, app_url, tmp_path):
    open_lessons(page, app_url)
    broken = tmp_path / "**week 3**.toml"
    broken.write_text('title = "Week 3"\n\n[[steps]]\npage = "playgound"\ntitle = "t"\ntext = "One. Two."\n')
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(str(broken)))
    error = page.locator(MAIN).locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("**week 3**.toml is not a lesson cnnviz can run.")
    joiner = "\u2060"  # before every ":" in shown user text, so no autolink forms
    expect(error).to_contain_text(f"Line 4{joiner}: step 1 opens page 'playgound', which this app does not have")

    good = tmp_path / "week 3.toml"
    good.write_text('title = "Week 3"\n\n[[steps]]\npage = "pooling"\ntitle = "Max"\ntext = "One. Two."\n')
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(str(good)))
    wait_for_rerun(page, lambda: page.get_by_role("button", name="Start lesson (1 steps)").click())
    page.get_by_role("heading", name=re.compile("^Pooling")).wait_for()
    wait_for_app(page)
    panel_says(page, "Step 1 of 1")
    expect(page).to_have_url(re.compile(r"lesson=my-week-3&step=1"))
