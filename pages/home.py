"""Home: what cnnviz teaches, in which order, and a card linking each lesson page."""

import streamlit as st

from app import HOME, SECTIONS  # the navigation table, so cards match the sidebar exactly
from cnnviz import ui

ui.route_through_app()

# What a student does on each page, in the order of the navigation.
BLURBS = {
    "pages/playground.py": "Slide a kernel over a 5x5 grid or a real digit. Padding, stride and dilation change the "
    "output size live; every multiply-and-sum is written out with its numbers.",
    "pages/pooling.py": "Shrink a feature map with max and average pooling, window by window, and see what survives.",
    "pages/transposed.py": "Grow a map with a transposed convolution: each cell paints a weighted copy of the kernel, "
    "and the same numbers come from an ordinary convolution over zero-inserted input. Why 7×7 becomes 25×25, not 28.",
    "pages/architecture.py": "Every layer of SimpleCNN and LeNet-5: output shapes, parameters and "
    "multiply-accumulates, and why a convolution needs far fewer weights than a fully connected layer.",
    "pages/feature-maps.py": "Follow one digit through a trained network, layer by layer and filter by filter, up to "
    "the ten class scores.",
    "pages/train.py": "Train a small CNN on MNIST right here and watch the loss fall, the filters form and the "
    "predictions improve.",
    "pages/predict.py": "Draw or upload a digit: see it prepared the way MNIST was, the prediction of each model, "
    "and which pixels drove it.",
    "pages/lessons.py": "For teachers and students: a whole lesson through these pages, step by step with Back and "
    "Next, and questions after each part that say which misconception a wrong answer comes from.",
}
LESSONS = [(section, entry) for section, entries in SECTIONS.items() for entry in entries if entry != HOME]
CARDS_PER_ROW = 3

st.title("How does a convolutional network see?")
ui.projector_switch()
st.markdown(
    "**cnnviz** takes a convolutional neural network (CNN) apart, one idea per page: the "
    "**convolution** that slides a small kernel over an image, the **pooling** that shrinks what "
    "it finds, the **architecture** that stacks both into a network, the **feature maps** a "
    "trained network computes, the **training** that shapes its filters, and the **prediction** "
    "it makes on a digit you draw. Follow the pages in order, or jump to any of them."
)

for start in range(0, len(LESSONS), CARDS_PER_ROW):
    row = LESSONS[start : start + CARDS_PER_ROW]
    for column, (number, (section, entry)) in zip(st.columns(CARDS_PER_ROW), enumerate(row, start + 1)):
        with column.container(border=True, height="stretch"):
            st.caption(f"{number} · {section}")
            st.page_link(entry.path, label=f"**{entry.title}**", icon=entry.icon)
            st.markdown(BLURBS[entry.path])

st.caption(
    "Runs entirely on this machine, offline. MNIST by Yann LeCun, Corinna Cortes and Christopher "
    "J. C. Burges, used under CC BY-SA 3.0."
)
