"""The grader's code that runs inside the sandbox: the warm process and what it forks.

Standard library, numpy and IPython only; imported from a read-only copy. Nothing here may be
trusted by the grader: every byte that comes back is parsed as data (see :mod:`.wire`).
"""
