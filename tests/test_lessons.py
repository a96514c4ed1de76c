"""Lessons as data: the shipped lesson follows the course, and every broken or hostile file is refused by line."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import lessons, state
from cnnviz.lessons import LessonError, load_lesson

GOOD = """\
title = "Two steps"

[[steps]]
title = "Padding"
page = "playground"
settings = { pg_padding = 1, pg_kernel = "Sobel x" }
text = "Look at the ring of zeros."
highlight = "pg_padding"
quiz = ["output-size", "padding-purpose"]

[[steps]]
title = "Pooling"
page = "pooling"
text = "Max pooling keeps the largest value."

[steps.settings]
pool_mode = "avg"
pool_step = 3
"""


def shipped() -> lessons.Lesson:
    found, problems = lessons.shipped_lessons()
    assert problems == []
    return found["how-a-cnn-sees"]


def test_a_good_lesson_loads_with_its_settings_in_the_link_format():
    lesson = load_lesson(GOOD, "My class.toml")
    assert lesson.id == "my-class" and lesson.title == "Two steps"
    first, second = lesson.steps
    assert first.params == {"pg_kernel": "Sobel x", "pg_padding": "1"}
    assert first.settings()["pg_padding"] == 1 and first.settings()["pg_stride"] == 1  # defaults for the rest
    assert second.params == {"pool_mode": "avg", "pool_step": "3"}
    assert first.path == "pages/playground.py" and first.line == 3 and second.line == 11
    assert [q.prompt.split(":")[0] for q in first.questions][0].startswith("Input 5×5")
    assert lesson.query_params(1) == {"pool_mode": "avg", "pool_step": "3", "lesson": "my-class", "step": "2"}
    assert lesson.link("http://host:8501", 0) == (
        "http://host:8501/playground?pg_kernel=Sobel+x&pg_padding=1&lesson=my-class&step=1"
    )


def test_the_shipped_lesson_follows_the_course():
    lesson = shipped()
    assert len(lesson.steps) >= 12
    pages = [s.page for s in lesson.steps]
    course = ["playground", "pooling", "architecture", "feature-maps", "train", "predict", "transposed"]
    assert [p for i, p in enumerate(pages) if i == 0 or pages[i - 1] != p] == course
    texts = " ".join(s.title + " " + s.text for s in lesson.steps).lower()
    for idea in (
        "prewitt",
        "sobel",
        "padding",
        "stride",
        "formula",
        "dilation",
        "channel",
        "bias",
        "4×4",
        "flatten",
        "fully connected",
        "fewer weights" if "fewer weights" in texts else "far more weights",
        "lenet-5",
        "training",
        "draw",
    ):
        assert idea in texts, idea
    for step in lesson.steps:
        sentences = len(re.findall(r"[.!?](\s|$)", step.text))
        assert 2 <= sentences <= 4, (step.title, sentences)
        assert state.decode(step.page, step.params)[1] == []
        assert step.highlight in {f.name for f in state.fields(step.page)}
    groups = lesson.groups()
    assert all(any(lesson.steps[i].questions for i in indices) for _, indices in groups), "a part without questions"
    prompts = {q.prompt for s in lesson.steps for q in s.questions}
    assert "What is the primary function of a convolutional layer in a CNN?" in prompts
    assert "Which of these is a common type of pooling operation?" in prompts


def test_the_transposed_step_comes_last_and_only_with_its_page():
    text = lessons.SHIPPED_DIR.joinpath("how-a-cnn-sees.toml").read_text()
    without = load_lesson(text, "x.toml", pages=set(state.PAGES) - {"transposed"})
    assert "transposed" not in [s.page for s in without.steps]
    headers = [m.start() for m in re.finditer(r"^\[\[steps\]\]", text, re.MULTILINE)]
    assert 'page = "transposed"' in text[headers[-1] :], "the transposed step must be the last one"
    assert ("transposed" in lessons.available_pages()) == ("transposed" in [s.page for s in shipped().steps])


def test_an_optional_step_is_left_out_only_when_its_page_is_missing():
    text = GOOD.replace('page = "pooling"', 'page = "pooling"\noptional = true')
    assert len(load_lesson(text, "x.toml", pages={"playground"}).steps) == 1
    with pytest.raises(LessonError, match=r"^Line 13: step 2 opens page 'pooling', which this app does not have"):
        load_lesson(GOOD, "x.toml", pages={"playground"})


@pytest.mark.parametrize(
    "change, message",
    [
        (('page = "pooling"', 'page = "../../etc/passwd"'), r"^Line 13: step 2 opens page '\.\./\.\./etc/passwd'"),
        (
            ("pool_mode =", "pool_colour ="),
            r"^Line 17: step 2 sets 'pool_colour', which is not a setting of the pooling",
        ),
        (
            ("pool_step = 3", "pool_step = 0"),
            r"^Line 18: step 2's pool_step='0' cannot be used \(0 is outside 1\.\.10000\)",
        ),
        (("pg_padding = 1,", 'pg_padding = "lots",'), r"^Line 6: step 1's pg_padding='lots' cannot be used"),
        (('"Sobel x"', '"Sobel z"'), r"^Line 6: step 1's pg_kernel='Sobel z' cannot be used"),
        (('highlight = "pg_padding"', 'highlight = "pool_mode"'), r"^Line 8: step 1 highlights 'pool_mode'"),
        (('title = "Pooling"\n', ""), r"^Line 11: Step 2 needs a title"),
        (('text = "Look at the ring of zeros."\n', ""), r"^Line 3: Step 1 needs a text"),
        (('page = "playground"\n', ""), r"^Line 3: step 1 needs a page"),
        (("highlight =", "hilight ="), r"^Line 3: Step 1 has an unknown key 'hilight'"),
        (('highlight = "pg_padding"', "highlight = [1]"), r"^Line 8: step 1 highlights '\[1\]'"),
        (('title = "Pooling"', 'title = "Pooling"\noptional = "yes"'), r"^Line 13: step 2's optional must be true"),
        (('"padding-purpose"', '"padding-porpoise"'), r"^Line 9: step 1's question 'padding-porpoise' cannot be asked"),
        (('"output-size"', '{ kind = "output-size", size = 0 }'), r"^Line 9: .*size must be a whole number from 1"),
        (('"output-size"', '"pooled-value"'), r"^Line 9: .*pooling page's settings"),
        (("pg_padding = 1,", "pg_padding = [1],"), r"^Line 6: step 1's pg_padding must be a number, text or true"),
        (('title = "Two steps"', 'titel = "Two steps"'), r"^Line 1: The lesson has an unknown key 'titel'"),
        (("[[steps]]", "[[stepz]]"), r"unknown key 'stepz'"),
        (('pool_mode = "avg"', 'pool_mode = "avg"\nlesson = "other"'), r"^Line 18: step 2 sets 'lesson', which is not"),
    ],
)
def test_mistakes_are_refused_with_the_line_named(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(LessonError, match=message):
        load_lesson(GOOD.replace(old, new, 1), "x.toml")


def test_a_class_link_step_shows_only_its_controls_and_checks_them():
    text = GOOD.replace("pg_padding = 1,", 'pg_padding = 1, show = "pg_padding,pg_step",')
    assert load_lesson(text, "x.toml").steps[0].params["show"] == "pg_padding,pg_step"
    with pytest.raises(LessonError, match=r"^Line 6: step 1 shows 'pool_mode'"):
        load_lesson(text.replace("pg_padding,pg_step", "pool_mode"), "x.toml")


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"title = 'big'\n" + b"# padding\n" * 1_000_000, r"^The file is 9766 KB; a lesson file may be at most 256 KB"),
        (b"title = 'deep'\nx = " + b"[" * 5000 + b"]" * 5000, r"^Line 2: lists and tables nest more than 6 deep"),
        (
            b"title = 'deep'\nx = " + b"{a = " * 50 + b"1" + b"}" * 50,
            r"^Line 2: lists and tables nest more than 6 deep",
        ),
        (b"title = 'x'\n\n\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"^Line 3: this is not a text file"),
        (b"<html><body>not toml</body></html>", r"^This is not a valid TOML file: .*line 1"),
        (
            b'title = "x"\n[[steps]]\npage = "playground"\ntitle = "unclosed\n',
            r"^This is not a valid TOML file: .*line 4",
        ),
        (b"", r"^Line 1: The lesson needs a title"),
        (b'title = "no steps"', r"^The lesson has no steps"),
        (b'title = "x"\nsteps = [1, 2]', r"^The lesson has no steps"),
        (
            b'title = "x"\n' + b'[[steps]]\npage = "pooling"\ntitle = "t"\ntext = "a. b."\n' * 61,
            r"^Line 242: a lesson has at most 60 steps",
        ),
        (
            b'title = "x"\n[[steps]]\npage = "pooling"\ntitle = "t"\ntext = "' + b"a" * 2000 + b'"',
            r"^Line 5: Step 1's text is 2000",
        ),
        (
            b'title = "x"\n[[steps]]\npage = "pooling"\ntitle = "t"\ntext = "a"\nsettings = "pg_padding=1"',
            r"^Line 6: .*must be a table",
        ),
    ],
)
def test_hostile_files_are_refused_in_words(payload, message):
    with pytest.raises(LessonError, match=message):
        load_lesson(payload, "x.toml")


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting():
    text = GOOD.replace(
        'text = "Look at the ring of zeros."', 'text = """[[[[[[[[ not\n{{{{{{{{ nesting\\"""" # [[[[[[[['
    )
    assert load_lesson(text, "x.toml").steps[0].text.startswith("[[[[[[[[ not")


def test_a_teachers_folder_adds_lessons_and_names_its_broken_files(tmp_path, monkeypatch):
    (tmp_path / "week 3.toml").write_text(GOOD)
    (tmp_path / "broken.toml").write_text(GOOD.replace("pool_mode =", "pool_colour ="))
    (tmp_path / "how-a-cnn-sees.toml").write_text(GOOD)  # may not replace the shipped one
    (tmp_path / "notes.txt").write_text("not a lesson")
    monkeypatch.setenv(lessons.FOLDER_ENV, str(tmp_path))
    found, problems = lessons.shipped_lessons()
    assert set(found) == {"how-a-cnn-sees", "week-3"}
    assert len(found["how-a-cnn-sees"].steps) >= 12
    assert problems[0].startswith("broken.toml: Line 17: step 2 sets 'pool_colour'")
    assert problems[1].startswith("how-a-cnn-sees.toml: another lesson already has the id")


def test_groups_keep_their_order():
    lesson = load_lesson(GOOD.replace('title = "Padding"', 'title = "Padding"\ngroup = "Sizes"'), "x.toml")
    assert lesson.groups() == [("Sizes", [0]), ("Pooling", [1])]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(GOOD)), st.integers(0, 40), st.text(max_size=40) | st.binary(max_size=40))
def test_any_damaged_lesson_loads_or_is_refused_in_words(at, cut, insert):
    """A file damaged anywhere (cut, pasted into, binary) gives a lesson or a LessonError, nothing else."""
    damaged = (
        GOOD.encode()[:at] + (insert if isinstance(insert, bytes) else insert.encode()) + GOOD.encode()[at + cut :]
    )
    try:
        load_lesson(damaged, "x.toml")
    except LessonError as exc:
        assert str(exc)[0].isupper() and str(exc).endswith(".")
