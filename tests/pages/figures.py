"""The figures a page sends, as the browser gets them: plotly charts and our own SVG figures alike, and our HTML."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def figure_specs(at: AppTest) -> list[dict]:
    """Every figure's plotly JSON (data and layout), st.plotly_chart's and cnnviz.figure's (ui.chart)."""
    specs = [json.loads(element.proto.spec) for element in at.get("plotly_chart")]
    for element in at.get("bidi_component"):
        if element.proto.component_name.endswith("figure"):
            specs.append(json.loads(json.loads(element.proto.json)["figure"]))
    return specs


def markup(at: AppTest) -> list[str]:
    """Every HTML block cnnviz built for the page (cnnviz.ui.html), as the browser gets it."""
    blocks = [element for element in at.get("bidi_component") if element.proto.component_name.endswith("markup")]
    return [json.loads(element.proto.json)["html"] for element in blocks]
