"""A stand-in for Colab's ``google.colab`` inside the grading sandbox.

Only what a submitted notebook may touch on its way to its graded functions: ``drive.mount``
points at the submission's own folder, ``files.upload`` says why it cannot work here.
"""

from google.colab import drive, files

__all__ = ["drive", "files"]
