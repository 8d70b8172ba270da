# Kept for tools that look for a setup.py; everything lives in pyproject.toml.
from setuptools import setup

setup()
