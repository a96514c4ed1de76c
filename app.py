"""cnnviz entry point: `streamlit run app.py`. Routes to the pages; nothing else."""

import streamlit as st

st.set_page_config(page_title="cnnviz — how CNNs work", page_icon="🧠", layout="wide")

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon="🏠", url_path="home", default=True),
    ],
    "Convolution": [
        st.Page("pages/playground.py", title="Convolution playground", icon="🔍", url_path="playground"),
        st.Page("pages/pooling.py", title="Pooling", icon="🧩", url_path="pooling"),
    ],
    "Inside a network": [
        st.Page("pages/architecture.py", title="Architecture", icon="🏗️", url_path="architecture"),
        st.Page("pages/feature_maps.py", title="Feature maps", icon="🗺️", url_path="feature-maps"),
    ],
    "Learn and predict": [
        st.Page("pages/train.py", title="Train live", icon="🏋️", url_path="train"),
        st.Page("pages/predict.py", title="Draw & predict", icon="✏️", url_path="predict"),
    ],
}

st.navigation(PAGES).run()
