"""The package list, which pyproject.toml cannot say: two repository folders are shipped inside
the ``grader`` package, so that an installed grader has them wherever it lies on disk."""

from setuptools import find_packages, setup

SHIPPED_AS = {"grader.shipped": "assignments", "grader.templates": "templates"}

setup(
    packages=[*find_packages(include=["grader", "grader.*", "reference_lstm*"]), *SHIPPED_AS],
    package_dir=SHIPPED_AS,
)
