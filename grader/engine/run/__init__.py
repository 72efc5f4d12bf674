"""One submission's run: the warm process it forks from, its steps, its probe calls, and what it
hands back.

Modules:
``submission`` (the engine's entry: ``run_submission``, ``warm_up``, the trial's fresh run);
``results`` (what goes in and comes out);
``hooks`` (where the caller's own work goes during a run);
``notebook`` (a handed-in notebook's code cells, read without running anything);
``warm`` (the warm processes the submissions fork from);
``channel`` (the grader's ends of the pipes, against deadlines);
``steps`` (one submission's steps, from its child's start to its verdict);
``runner_settings`` (what the runner is told before the first cell);
``cell_reply`` (a cell's reply read at the trust boundary);
``probes`` (probe sessions forked from the state the cells left);
``transcript`` (the output kept, up to a budget);
``exhaustion`` (what a run used up of its limits, in words that blame the cell);
``seal_blame`` (whose fault a seal that failed is);
``trial_notebook`` and ``trial`` (the grader's own notebook, run before the first submission).
"""
