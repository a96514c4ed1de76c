"""Lessons as data: ordered steps through the app's pages, each with its settings, text and questions.

A lesson is a TOML file that is parsed (``tomllib``), checked and never executed. A step names a
page (its file stem, as in links), that page's settings in the link format of ``cnnviz.state``, a
title, two to four sentences on what to look at and why, and optionally the control to highlight,
the group it belongs to and quiz questions. Every mistake is a ``LessonError`` that names the line.
Streamlit-free.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cnnviz import quiz, state

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DIR = ROOT / "assets" / "lessons"
FOLDER_ENV = "CNNVIZ_LESSONS"  # a teacher's own lessons folder, e.g. `make serve LESSONS=~/class`
MAX_BYTES = 256 * 1024
MAX_DEPTH = 6  # brackets and braces inside one another (the shipped lesson needs 3)
MAX_STEPS = 60
MAX_FILES = 50
MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 1200
MAX_QUESTIONS_PER_STEP = 8
STEP_KEYS = ("page", "title", "text", "settings", "highlight", "group", "quiz", "optional")
LESSON_KEYS = ("title", "description", "steps")
QUIZ_KIND = "kind"  # a question given as a table: its kind, then its own numbers
SHOW = "show"  # a step may show only some controls, like a class link
_ID_CHARS = re.compile(r"[^a-z0-9]+")


class LessonError(ValueError):
    """A lesson file that cannot be used, with the line and what to change."""


@dataclass(frozen=True)
class Step:
    """One stop of a lesson: a page opened with its settings, and what to look at there."""

    page: str
    title: str
    text: str
    params: dict[str, str]  # the page's URL parameters (link format), validated and short
    group: str
    highlight: str | None
    questions: tuple[quiz.Question, ...]
    line: int

    @property
    def path(self) -> str:
        """The page file, as st.page_link and st.switch_page take it."""
        return f"pages/{self.page}.py"

    def settings(self) -> dict[str, Any]:
        """Every setting of the step's page: the step's own, the page's defaults for the rest."""
        return state.decode(self.page, self.params)[0]


@dataclass(frozen=True)
class Lesson:
    """A titled, ordered list of steps; ``id`` is what a link's ``lesson=`` carries."""

    id: str
    title: str
    description: str
    steps: tuple[Step, ...]

    def query_params(self, index: int) -> dict[str, str]:
        """The link parameters that open step ``index`` (0-based) with its settings, inside this lesson."""
        return {**self.steps[index].params, "lesson": self.id, "step": str(index + 1)}

    def link(self, base: str, index: int) -> str:
        """A full link to a step, for slides: base is the app's address (no trailing slash)."""
        return f"{base}/{self.steps[index].page}?{urlencode(self.query_params(index))}"

    def groups(self) -> list[tuple[str, list[int]]]:
        """The groups in order, each with its steps' indices (a group's questions come at its end)."""
        grouped: list[tuple[str, list[int]]] = []
        for index, step in enumerate(self.steps):
            if not grouped or grouped[-1][0] != step.group:
                grouped.append((step.group, []))
            grouped[-1][1].append(index)
        return grouped


def lesson_id(name: str) -> str:
    """A link-safe id from a file name: 'CNN course.toml' -> 'cnn-course'."""
    return _ID_CHARS.sub("-", Path(name).stem.lower()).strip("-")[:40] or "lesson"


def available_pages() -> set[str]:
    """Pages a step may open: those with settings in the link format (they show the lesson panel) and a file."""
    return {page for page in state.PAGES if state.fields(page) and (ROOT / "pages" / f"{page}.py").is_file()}


def load_lesson(source: str | bytes, name: str, pages: Collection[str] | None = None) -> Lesson:
    """Parse and check a lesson file; LessonError names the line of the first mistake.

    ``pages`` are the pages this app has (default: ``available_pages()``); a step marked
    ``optional = true`` whose page is missing is left out instead (a page still being built).
    """
    text = _text(source)
    _check_depth(text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"This is not a valid TOML file: {exc}.") from None
    pages = available_pages() if pages is None else set(pages)
    lines = _Lines(text)
    _check_keys(document, LESSON_KEYS, "The lesson", lines.top)
    title = _string(document, "title", "The lesson", lines.top, MAX_TITLE_CHARS)
    description = _string(document, "description", "The lesson", lines.top, MAX_TEXT_CHARS, required=False)
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps or not all(isinstance(s, dict) for s in raw_steps):
        raise LessonError("The lesson has no steps: add them as [[steps]] tables.")
    if len(raw_steps) > MAX_STEPS:
        raise LessonError(
            f"Line {lines.step(MAX_STEPS + 1)}: a lesson has at most {MAX_STEPS} steps; this one has {len(raw_steps)}."
        )
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        step = _step(raw, number, lines, pages)
        if step is not None:
            steps.append(step)
    return Lesson(lesson_id(name), title, description, tuple(steps))


def _text(source: str | bytes) -> str:
    size = len(source.encode() if isinstance(source, str) else source)
    if size > MAX_BYTES:
        raise LessonError(f"The file is {size / 1024:.0f} KB; a lesson file may be at most {MAX_BYTES // 1024} KB.")
    if isinstance(source, str):
        return source
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = source[: exc.start].count(b"\n") + 1
        raise LessonError(f"Line {line}: this is not a text file (TOML files are UTF-8 text).") from None


def _check_depth(text: str) -> None:
    """Refuse deep nesting before parsing: the parser recurses once per bracket."""
    depth, quote, line = 0, "", 1
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            line += 1
        if quote:
            if ch == "\\" and quote[0] == '"':
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif ch == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LessonError(f"Line {line}: lists and tables nest more than {MAX_DEPTH} deep here.")
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1


class _Lines:
    """Where things are in the file: tomllib keeps no line numbers, so find them in the text."""

    _STEP = re.compile(r"^[ \t]*\[\[[ \t]*steps[ \t]*\]\]", re.MULTILINE)

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [text.count("\n", 0, m.start()) + 1 for m in self._STEP.finditer(text)]
        self.top = 1

    def step(self, number: int) -> int:
        """The line of step ``number``'s [[steps]] header (1-based); line 1 if written another way."""
        return self.starts[number - 1] if number <= len(self.starts) else 1

    def key(self, number: int, key: str) -> int:
        """The line where step ``number`` sets ``key`` (its header line when not found)."""
        first = self.step(number)
        last = self.starts[number] if number < len(self.starts) else None
        lines = self.text.split("\n")[first - 1 : None if last is None else last - 1]
        pattern = re.compile(rf"(^|[\s{{,.])[\"']?{re.escape(key)}[\"']?\s*=")
        return next((first + i for i, line in enumerate(lines) if pattern.search(line.split("#")[0])), first)


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], what: str, line: int) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise LessonError(f"Line {line}: {what} has an unknown key {unknown[0]!r}; the keys are {', '.join(allowed)}.")


def _string(table: Mapping[str, Any], key: str, what: str, line: int, limit: int, required: bool = True) -> str:
    """A required (or optional) text field within its length, on one line (Markdown is not read)."""
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"Line {line}: {what} needs a {key} (text in quotes).")
    if len(value) > limit:
        raise LessonError(f"Line {line}: {what}'s {key} is {len(value)} characters long; keep it under {limit}.")
    return " ".join(value.split())


def _step(raw: Mapping[str, Any], number: int, lines: _Lines, pages: set[str]) -> Step | None:
    what = f"step {number}"
    _check_keys(raw, STEP_KEYS, what.capitalize(), lines.step(number))
    page = raw.get("page")
    if not isinstance(page, str):
        raise LessonError(f'Line {lines.step(number)}: {what} needs a page, e.g. page = "playground".')
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise LessonError(f"Line {lines.key(number, 'optional')}: {what}'s optional must be true or false.")
    if page not in pages:
        if optional:
            return None
        raise LessonError(
            f"Line {lines.key(number, 'page')}: {what} opens page {page[:40]!r}, which this app does not have; "
            f"the pages are {', '.join(sorted(pages))}."
        )
    title = _string(raw, "title", what.capitalize(), lines.key(number, "title"), MAX_TITLE_CHARS)
    text = _string(raw, "text", what.capitalize(), lines.key(number, "text"), MAX_TEXT_CHARS)
    params = _params(raw.get("settings", {}), page, number, lines)
    highlight = raw.get("highlight")
    if highlight is not None and highlight not in [f.name for f in state.fields(page)]:
        raise LessonError(
            f"Line {lines.key(number, 'highlight')}: {what} highlights {str(highlight)[:40]!r}, which is not a "
            f"control of the {page} page; its controls are {', '.join(f.name for f in state.fields(page))}."
        )
    group = _string(raw, "group", what.capitalize(), lines.key(number, "group"), MAX_TITLE_CHARS, required=False)
    questions = _questions(raw.get("quiz", []), page, params, number, lines)
    return Step(page, title, text, params, group or title, highlight, questions, lines.step(number))


def _params(settings: Any, page: str, number: int, lines: _Lines) -> dict[str, str]:
    """A step's settings as the link carries them: known names, valid values, defaults left out."""
    line = lines.key(number, "settings")
    if not isinstance(settings, dict):
        raise LessonError(
            f"Line {line}: step {number}'s settings must be a table, e.g. settings = {{ pg_padding = 1 }}."
        )
    names = [f.name for f in state.fields(page)]
    params = {}
    for name, value in settings.items():
        if name not in names and name != SHOW:
            raise LessonError(
                f"Line {lines.key(number, name)}: step {number} sets {name[:40]!r}, which is not a setting of the "
                f"{page} page; its settings are {', '.join(names) or 'none'}."
            )
        if isinstance(value, bool):
            params[name] = "1" if value else "0"
        elif isinstance(value, (int, float, str)):
            params[name] = value if isinstance(value, str) else str(value)
        else:
            raise LessonError(
                f"Line {lines.key(number, name)}: step {number}'s {name} must be a number, text or true/false."
            )
    for name, value in params.items():
        problems = state.decode(page, {name: value})[1] if name in names else []
        if problems:
            reason = problems[0].replace("The link's ", "").rsplit(";", 1)[0]
            raise LessonError(f"Line {lines.key(number, name)}: step {number}'s {reason}.")
    decoded = state.decode(page, {k: v for k, v in params.items() if k in names})[0]
    shown = params.get(SHOW)
    if shown is not None:
        unknown = [key for key in shown.split(",") if key not in names]
        if unknown:
            raise LessonError(
                f"Line {lines.key(number, 'show')}: step {number} shows {unknown[0][:40]!r}, which is not a "
                f"control of the {page} page."
            )
    return {**state.encode(page, decoded), **({SHOW: shown} if shown is not None else {})}


def _questions(raw: Any, page: str, params: dict[str, str], number: int, lines: _Lines) -> tuple[quiz.Question, ...]:
    """A step's questions: kinds (numbers come from the step's settings) or tables with their own numbers."""
    line = lines.key(number, "quiz")
    if not isinstance(raw, list) or len(raw) > MAX_QUESTIONS_PER_STEP:
        raise LessonError(
            f"Line {line}: step {number}'s quiz must be a list of at most {MAX_QUESTIONS_PER_STEP} questions, "
            'e.g. quiz = ["output-size", "conv-purpose"].'
        )
    settings = state.decode(page, params)[0]
    questions = []
    for entry in raw:
        if isinstance(entry, str):
            kind, args = entry, {}
        elif isinstance(entry, dict) and isinstance(entry.get(QUIZ_KIND), str):
            kind, args = entry[QUIZ_KIND], {k: v for k, v in entry.items() if k != QUIZ_KIND}
        else:
            raise LessonError(
                f"Line {line}: each question of step {number} is a kind in quotes or a table with a kind, "
                'e.g. { kind = "conv-parameters", in_channels = 3, out_channels = 16, kernel = 5 }.'
            )
        try:
            questions.append(quiz.make_question(kind, page, settings, args))
        except ValueError as exc:
            message = str(exc).rstrip(".")
            raise LessonError(
                f"Line {line}: step {number}'s question {kind[:40]!r} cannot be asked: {message}."
            ) from None
    return tuple(questions)


def lesson_files(folder: Path) -> list[Path]:
    """The lesson files of a folder, by name (at most MAX_FILES)."""
    return sorted(folder.glob("*.toml"))[:MAX_FILES] if folder.is_dir() else []


def shipped_lessons(pages: Collection[str] | None = None) -> tuple[dict[str, Lesson], list[str]]:
    """The repo's lessons, then those in $CNNVIZ_LESSONS: (id -> lesson, one sentence per broken file).

    A teacher's broken file is named and skipped; the others still load. A later file with the
    same id as an earlier one is skipped too (the shipped one stays).
    """
    folders = [SHIPPED_DIR] + ([Path(os.environ[FOLDER_ENV]).expanduser()] if os.environ.get(FOLDER_ENV) else [])
    found: dict[str, Lesson] = {}
    problems = []
    for path in (p for folder in folders for p in lesson_files(folder)):
        try:
            if path.stat().st_size > MAX_BYTES:
                raise LessonError(f"The file is larger than {MAX_BYTES // 1024} KB.")
            lesson = load_lesson(path.read_bytes(), path.name, pages)
        except (LessonError, OSError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if lesson.id in found:
            problems.append(f"{path.name}: another lesson already has the id {lesson.id!r}; rename the file.")
            continue
        found[lesson.id] = lesson
    return found, problems
