"""AppTest: app.py opens Home, which renders without error and links every other page once."""

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from app import HOME, SECTIONS  # noqa: E402

OTHER_PAGES = [e for entries in SECTIONS.values() for e in entries if e != HOME]


def run_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at


def test_root_opens_home():
    at = run_app()
    assert at.title[0].value == "How does a convolutional network see?"
    assert "convolution" in at.markdown[0].value


def test_home_links_each_other_page_once_with_its_navigation_title_and_icon():
    *links, following = [link.proto for link in run_app().get("page_link")]
    assert following.label == f"Next: {OTHER_PAGES[0].title}"  # app.py ends every page with the next one
    assert [link.page for link in links] == [e.url_path for e in OTHER_PAGES]
    assert [link.label for link in links] == [f"**{e.title}**" for e in OTHER_PAGES]
    assert [link.icon for link in links] == [e.icon for e in OTHER_PAGES]


def test_every_card_says_what_its_page_teaches():
    at = run_app()
    blurbs = [m.value for m in at.markdown[1:]]
    assert len(blurbs) == len(OTHER_PAGES)
    assert all(len(blurb.split()) >= 10 for blurb in blurbs)
