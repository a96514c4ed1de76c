"""AppTest for the architecture page: the table, the totals, and the FC-vs-conv comparison."""

import re

import pytest
from figures import markup
from streamlit.testing.v1 import AppTest

from cnnviz import layer_table, models, weights


@pytest.fixture
def app(open_page) -> AppTest:
    return open_page("pages/architecture.py")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_table_and_totals_for_each_model(app):
    for name in ("simplecnn", "lenet5"):
        app.selectbox(key="arch_model").set_value(name).run()
        assert not app.exception
        model = weights.load_pretrained(name)
        params, macs = layer_table.totals(layer_table.layer_table(model))
        assert metrics(app)["Parameters"] == f"{sum(p.numel() for p in model.parameters()):,}" == f"{params:,}"
        assert metrics(app)["MACs per image"] == f"{macs:,}"
        (table,) = [body for body in markup(app) if 'class="cnnviz-layers"' in body]
        names = re.findall(r'<td class="layer">([^<]*)</td>', table)
        assert names == [n for n, _ in model.layers.named_children()] + ["Total"]
        assert table.endswith(
            f'<td class="num">{params:,}</td><td><div class="cnnviz-share">'
            f'<i style="width: 4.00em"></i><span>100.0%</span></div></td>'
            f'<td class="num">{macs:,}</td></tr></tbody></table>'
        )


def test_why_convolution_follows_the_chosen_layer(app):
    assert metrics(app)["conv1 (convolution)"] == "320"
    assert metrics(app)["Fully connected"] == f"{28 * 28 * 32 * 28 * 28 + 32 * 28 * 28:,}"
    app.selectbox(key="arch_conv").set_value("conv2").run()
    assert not app.exception
    cmp = layer_table.fc_comparison(models.SimpleCNN(), "conv2")
    assert metrics(app)["conv2 (convolution)"] == "18,496"
    assert metrics(app)["Fully connected"] == f"{cmp.fully_connected_params:,}"
    assert "conv2" in app.markdown[-1].value and f"{cmp.fully_connected_params:,}" in app.markdown[-1].value


def test_without_shipped_weights_the_architectures_still_show(open_page, monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "ASSETS", tmp_path)
    at = open_page("pages/architecture.py")
    assert "No trained model found" in at.info[0].value
    assert at.selectbox(key="arch_model").options == [
        f"{spec.title} (architecture only)" for spec in models.MODELS.values()
    ]
    at.selectbox(key="arch_model").set_value("arch:cifarcnn").run()
    assert not at.exception and metrics(at)["Input"] == "3×32×32"


def test_a_link_picks_the_model_and_layer_and_a_missing_model_falls_back():
    at = AppTest.from_file("../../pages/architecture.py", default_timeout=60)
    at.query_params.update({"arch_model": "lenet5", "arch_conv": "conv2"})
    at.run()
    assert not at.exception and metrics(at)["Input"] == "1×32×32" and metrics(at)["conv2 (convolution)"] == "2,416"
    stale = AppTest.from_file("../../pages/architecture.py", default_timeout=60)
    stale.query_params.update({"arch_model": "session:someone else's model"})
    stale.run()
    assert not stale.exception and "someone else's model" in stale.warning[0].value.replace("\\", "")
    assert stale.selectbox(key="arch_model").value == "simplecnn"
