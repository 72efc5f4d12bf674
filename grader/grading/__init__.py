"""``grader grade``: every submission of one assignment through the sandbox, scored, with its
feedback written and its row committed to the gradebook.

Modules, in the order one run meets them: ``command`` (the command, its plan and the run),
``submissions`` (finding and naming what was handed in), ``seeds`` (the seed of each hand-in's
cases: the one recorded for the same bytes, else the student's own, else a fresh one),
``workers`` (the processes that grade, each with its warm sandbox), ``steps`` (one submission's
steps: run, probe, score, write), ``probing`` (the calls each graded function gets),
``answering`` (the numbers a student computes, read back and scored on their values),
``summary`` (progress and the closing table).
The projects' checks run notebooks too: ``project_checks`` and ``notebook_facts``; their
checks of substance (:mod:`grader.projects`) and the files that carry them are
``project_substance``; ``project_schedule`` runs them in threads here, ``remote_projects`` on a
Dask cluster; ``device_mapping`` runs a notebook written for Colab's GPU on the CPU. What runs
in a grader process wherever it runs is ``grader_process``; ``remote`` grades on a Dask cluster
that shares no folder with ``grader grade``.
"""
