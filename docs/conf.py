"""Sphinx configuration for the flask-jwt-router documentation."""

from __future__ import annotations

import importlib.metadata

project = "flask-jwt-router"
author = "flask-jwt-router contributors"
copyright = "flask-jwt-router contributors"
release = importlib.metadata.version("flask-jwt-router")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
root_doc = "index"

# Type hints go into the parameter descriptions, where they read better than
# in long signatures.
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}

html_theme = "alabaster"
html_title = f"flask-jwt-router {release}"
html_static_path: list[str] = []
