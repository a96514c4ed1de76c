"""Architecture: every layer of a model with its output shape, parameters and multiply-accumulates."""

import streamlit as st

from cnnviz import activations, layer_table, models, ui
from cnnviz.figures import network as figs

ui.route_through_app()
PAGE = "architecture"
st.title("Architecture: what is inside the network")
choices = ui.model_choices()
if not choices:
    st.info(
        "No trained model found (no shipped weights in assets/ and none trained in this session). "
        "The layer table does not depend on the weights, so here are the untrained architectures."
    )
    choices = {f"arch:{name}": f"{spec.title} (architecture only)" for name, spec in models.MODELS.items()}
ui.page_settings(PAGE, {"arch_model": list(choices)})
chosen, first, second, third = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
key = ui.control(chosen.selectbox, "Model", list(choices), format_func=choices.get, key="arch_model")
model = (
    models.build_model(key.removeprefix("arch:")) if key.startswith("arch:") else ui.model_or_stop(key, choices[key])
)
rows = layer_table.layer_table(model)
params, macs = layer_table.totals(rows)
first.metric("Parameters", f"{params:,}")
second.metric("MACs per image", f"{macs:,}")
third.metric("Input", f"{model.in_channels}×{model.input_size}×{model.input_size}")
table = layer_table.table_rows(rows)
ui.html(figs.layer_table_html(table), "arch_table")
st.markdown(
    "Each row is one layer, in the order an image goes through them. **Output shape** is channels × "
    "height × width (or a flat vector after `flatten`); **parameters** are the numbers training "
    "learns; **MACs** are the multiply-accumulates one image costs (a conv does input channels × kernel "
    "area per output value, a linear layer one per weight, batch norm one per value; ReLU, pooling and "
    "flatten only compare or move numbers)."
)

ui.chart(figs.parameter_bars(rows), key="arch_params")
dense = sum(r.params for r in rows if r.kind == "Linear")
st.markdown(
    f"**{dense / params:.0%}** of the parameters sit in the fully connected layers, although the "
    f"convolutions do **{sum(r.macs for r in rows if r.kind == 'Conv2d') / macs:.0%}** of the work."
)

st.header("Why convolution?")
st.markdown(
    "A convolution looks at a small window (**local connections**) and uses the same filter at every "
    "position (**shared weights**). Compare it with layers that map the same input shape to the same "
    "output shape without those two ideas."
)
conv_names = activations.conv_layers(model)
ui.keep_choice("arch_conv", conv_names)
conv_name = ui.control(st.selectbox, "Conv layer", conv_names, key="arch_conv")
ui.write_url(PAGE)
comparison = layer_table.fc_comparison(model, conv_name)
row = next(r for r in rows if r.name == conv_name)
a, b, c = st.columns(3)
a.metric(f"{conv_name} (convolution)", f"{comparison.conv_params:,}")
b.metric("Locally connected (no sharing)", f"{comparison.locally_connected_params:,}")
c.metric(
    "Fully connected",
    f"{comparison.fully_connected_params:,}",
    delta=f"{comparison.ratio:,.0f}× the conv",
    delta_color="inverse",
)
ui.chart(figs.fc_comparison_bars(comparison), key="arch_compare")
st.markdown(
    f"A fully connected layer from {layer_table.shape_text(row.input_shape)} inputs to "
    f"{layer_table.shape_text(row.output_shape)} outputs needs one weight per (input, output) pair plus a "
    f"bias per output: **{comparison.fully_connected_params:,}** parameters and "
    f"{comparison.fully_connected_macs:,} MACs per image. `{conv_name}` gets the same output shape with "
    f"**{comparison.conv_params:,}** parameters and {comparison.conv_macs:,} MACs."
)
