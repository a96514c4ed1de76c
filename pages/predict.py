"""Placeholder until its issue lands."""

import streamlit as st

from cnnviz import ui

ui.route_through_app()

st.title("Coming soon")
