"""cnnviz: the library behind the CNN visualizer. Pure Python; only cnnviz.ui imports Streamlit."""

__version__ = "0.1.0"
