"""Lessons and quizzes: run a whole lesson through the app's pages, and check yourself after each part."""

import streamlit as st

from cnnviz import lessons, sessions, ui

ui.route_through_app()

st.title("Lessons and quizzes")
ui.projector_switch()
st.markdown(
    "A lesson walks through the app's pages in order. Each step opens a page with its settings ready, "
    "says what to look at and why, and outlines the control it is about; **Back** and **Next** in the "
    "lesson's box (or Page Up / Page Down, as a presenter's clicker sends) move between steps. The "
    "questions at the end of each part check what you predicted."
)

shipped, problems = ui.shipped_lessons()
for problem in problems:
    st.warning(f"A lesson file was left out: {ui.escape_markdown(problem)}", icon=":material/school:")

upload = st.file_uploader(
    "Load your own lesson (a .toml file; it is checked, never run)",
    type=["toml"],
    key="lesson_upload",
    help="Copy assets/lessons/how-a-cnn-sees.toml and change it: each [[steps]] table is one step.",
)
if upload is not None and st.session_state.get("lesson_upload_opened") != upload.file_id:
    try:
        st.session_state.lesson_choice = ui.open_lesson_file(upload.name, upload.getvalue())
        st.session_state.lesson_upload_opened = upload.file_id
    except lessons.LessonError as exc:
        name = ui.escape_markdown(ui.plain_name(upload.name))
        st.error(f"{name} is not a lesson cnnviz can run. {ui.escape_markdown(str(exc))}")

choices = ui.all_lessons()
if not choices:
    st.info("No lesson is available: load one from a file.")
    st.stop()
linked = st.query_params.get(ui.LESSON_PARAM)
if linked in choices and st.session_state.get("lesson_linked") != linked:
    st.session_state.lesson_choice = linked  # a link (or a lesson's Finish) picks the lesson once
ui.keep_choice("lesson_choice", list(choices))
lesson_id = st.selectbox("Lesson", list(choices), format_func=lambda i: choices[i].title, key="lesson_choice")
lesson = choices[lesson_id]
if lesson.id == next(iter(choices)):  # the first lesson is the default: a plain /lessons link
    st.query_params.pop(ui.LESSON_PARAM, None)
elif st.query_params.get(ui.LESSON_PARAM) != lesson.id:
    st.query_params[ui.LESSON_PARAM] = lesson.id
st.session_state.lesson_linked = lesson.id

if lesson.description:
    st.markdown(ui.escape_markdown(lesson.description))
first = lesson.steps[0]
if st.button(f"Start lesson ({len(lesson.steps)} steps)", type="primary", icon="🎓", key="lesson_start"):
    st.switch_page(first.path, query_params=lesson.query_params(0))

score = st.empty()  # filled in after the questions, so an answer counts at once

for part, (group, indices) in enumerate(lesson.groups(), 1):
    st.subheader(f"{part}. {ui.escape_markdown(group)}", divider="gray")
    for index in indices:
        step = lesson.steps[index]
        st.page_link(
            step.path,
            label=f"Step {index + 1}: {ui.escape_markdown(step.title)}",
            query_params=lesson.query_params(index),
        )
    questions = [(index, n, q) for index in indices for n, q in enumerate(lesson.steps[index].questions)]
    if questions:
        with st.expander(f"Check yourself: {len(questions)} question{'s' * (len(questions) > 1)}", expanded=True):
            for index, n, question in questions:
                ui.quiz_question(question, key=f"quiz_{lesson.id}_{index}_{n}")
                if n == len(lesson.steps[index].questions) - 1 and len(indices) > 1:
                    st.page_link(
                        lesson.steps[index].path,
                        label=f"Work these out on step {index + 1} again",
                        icon=":material/replay:",
                        query_params=lesson.query_params(index),
                    )

right, answered = ui.quiz_score()
score.caption(
    f"Your score: {right} of {answered} questions answered right. This browser keeps it across reloads "
    f"for {sessions.KEEP_FOR_S // 60} minutes after your last visit; another browser starts from zero."
)

base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
# Drawn only while open, like the share panel: closed, a first visit does not load the code-block
# highlighter (1.5 MB, about 0.3 s of the browser's time here).
slides = st.expander("Links for your slides", icon=":material/link:", key="lesson_links_open", on_change="rerun")
if slides.open:
    slides.caption("Each link opens its step with its settings and the lesson's box; paste them into slides.")
    slides.code(
        "\n".join(f"Step {i + 1}, {step.title}: {lesson.link(base, i)}" for i, step in enumerate(lesson.steps)),
        language=None,
        wrap_lines=True,
    )
