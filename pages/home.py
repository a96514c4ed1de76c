"""Home: what cnnviz teaches and where each lesson lives."""

import streamlit as st

st.title("cnnviz: see how a convolutional network works")
st.markdown(
    "Follow a CNN from a single multiply-and-sum to a trained network that reads your handwriting. "
    "Everything runs on this machine, offline."
)
LINKS = [
    ("pages/playground.py", "🔍", "Convolution playground",
     "Slide a kernel over an image: padding, stride, dilation, every product and sum written out."),
    ("pages/pooling.py", "🧩", "Pooling", "Max and average pooling window by window."),
    ("pages/architecture.py", "🏗️", "Architecture",
     "Every layer of SimpleCNN and LeNet-5: shapes, parameters, multiply-accumulates."),
    ("pages/feature_maps.py", "🗺️", "Feature maps",
     "Follow one image through a trained network, layer by layer, filter by filter."),
    ("pages/train.py", "🏋️", "Train live", "Train a small CNN on CPU or GPU and watch it learn."),
    ("pages/predict.py", "✏️", "Draw & predict", "Draw or upload a digit; see the prediction and why."),
]
for path, icon, title, blurb in LINKS:
    st.page_link(path, label=f"**{title}** — {blurb}", icon=icon)
