"""Plotly's own "download plot as PNG" button: a useful file name, twice the size, no plotly logo,
passed the only way it can be (st.plotly_chart's config, not the figure)."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.figures.heatmaps import PLOTLY_CONFIG, plotly_config


@pytest.mark.parametrize(
    "name, filename",
    [("overview", "cnnviz-overview"), ("Filter 3 / conv1", "cnnviz-Filter-3-conv1"), ("…", "cnnviz-figure")],
)
def test_camera_button_saves_a_named_png_at_twice_the_size(name, filename):
    config = plotly_config(name)
    assert config == {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}
    assert PLOTLY_CONFIG["toImageButtonOptions"]["filename"] == "cnnviz-figure"


def _page():
    import numpy as np
    import streamlit as st

    from cnnviz.figures.heatmaps import plotly_config
    from cnnviz.figures.network import map_heatmap

    st.plotly_chart(map_heatmap(np.array([[0.0, 1.0]]), "tiny"), key="tiny", config=plotly_config("tiny"))


def test_streamlit_hands_the_config_to_plotly():
    app = AppTest.from_function(_page).run()
    assert not app.exception
    [chart] = app.get("plotly_chart")
    assert json.loads(chart.proto.config) == plotly_config("tiny")
    assert "config" not in json.loads(chart.proto.spec)  # a figure itself has no place for it
