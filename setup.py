"""The package list, which pyproject.toml cannot say: two repository folders are shipped inside
the ``grader`` package, so that an installed grader has them wherever it lies on disk."""

from setuptools import find_namespace_packages, setup

SHIPPED_AS = {
    "grader.shipped": "assignments",
    "grader.templates": "templates",
    "grader.runtimes": "runtimes",
}
OWN = find_namespace_packages(
    include=["grader", "grader.*", "reference_lstm", "reference_lstm.*"],
    exclude=["*.__pycache__"],
)

setup(packages=[*OWN, *SHIPPED_AS], package_dir=SHIPPED_AS)
