"""cnnviz entry point: `streamlit run app.py`. Routes to the pages; nothing else.

The page table is plain data so that tests and scripts (screenshots, benchmarks) can import it
without starting Streamlit; the routing only happens when Streamlit runs this file.
"""

from typing import NamedTuple

import streamlit as st


class PageEntry(NamedTuple):
    """One page in the navigation: its file, sidebar title, icon and URL path.

    Icons are emoji on purpose: Streamlit turns a page's icon into the tab's favicon, drawing an
    emoji locally but fetching a Material icon from fonts.gstatic.com, and the app stays offline.
    Emoji need an emoji font where the browser runs (Debian: fonts-noto-color-emoji).
    """

    path: str
    title: str
    icon: str
    url_path: str


SECTIONS: dict[str, list[PageEntry]] = {
    "Start": [
        PageEntry("pages/home.py", "Home", "🏠", "home"),
    ],
    "Convolution": [
        PageEntry("pages/playground.py", "Convolution playground", "🔍", "playground"),
        PageEntry("pages/pooling.py", "Pooling", "🧩", "pooling"),
        PageEntry("pages/transposed.py", "Transposed convolution", "🔼", "transposed"),
    ],
    "Inside a network": [
        PageEntry("pages/architecture.py", "Architecture", "🏗️", "architecture"),
        PageEntry("pages/feature-maps.py", "Feature maps", "🗺️", "feature-maps"),
    ],
    "Learn and predict": [
        PageEntry("pages/train.py", "Train live", "🏋️", "train"),
        PageEntry("pages/predict.py", "Draw & predict", "✏️", "predict"),
    ],
    "Teach": [
        PageEntry("pages/lessons.py", "Lessons and quizzes", "🎓", "lessons"),
    ],
}
HOME = SECTIONS["Start"][0]


def next_entry(url_path: str) -> PageEntry | None:
    """The page after this one in the navigation (None after the last): where "Next: ..." leads."""
    entries = [e for section in SECTIONS.values() for e in section]
    paths = [e.url_path for e in entries]
    index = paths.index(url_path) if url_path in paths else len(paths)
    return entries[index + 1] if index + 1 < len(entries) else None


def next_link(url_path: str) -> None:
    """Outside a lesson (whose panel leads the way), a page ends with a link to the following page."""
    following = next_entry(url_path)
    if following is None or ("lesson" in st.query_params and "step" in st.query_params):
        return
    st.divider()
    st.page_link(following.path, label=f"Next: {following.title}", icon=following.icon)


def navigation() -> dict[str, list[st.Page]]:
    """The st.navigation sections built from the table, plus the page that answers at "/".

    Streamlit serves its default page only at the root URL, so /home would say "page not found";
    instead the default is a hidden page that switches to Home, whose URL is then /home.
    """
    sections = {
        section: [st.Page(e.path, title=e.title, icon=e.icon, url_path=e.url_path) for e in entries]
        for section, entries in SECTIONS.items()
    }
    home = sections["Start"][0]
    root = st.Page(
        lambda: st.switch_page(home),
        title=HOME.title,
        icon=HOME.icon,
        url_path="start",
        default=True,
        visibility="hidden",
    )
    sections["Start"].insert(0, root)
    return sections


NAVIGATION_KEY = "_cnnviz_pages"  # session state: this session's st.Page objects


def session_navigation() -> dict[str, list[st.Page]]:
    """This session's pages, built on its first run: building them checks every page file on disk,
    about 3 ms of each full rerun on 2 cores. Not shared between sessions: st.navigation marks on
    each Page which one may run next."""
    if NAVIGATION_KEY not in st.session_state:
        st.session_state[NAVIGATION_KEY] = navigation()
    return st.session_state[NAVIGATION_KEY]


if __name__ == "__main__":
    page = st.navigation(session_navigation())
    st.set_page_config(page_title=f"{page.title} · cnnviz", page_icon="🧠", layout="wide")
    page.run()
    next_link(page.url_path)
