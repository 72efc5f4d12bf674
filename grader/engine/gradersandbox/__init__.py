"""The grader's code that runs inside the sandbox: the warm process and what it forks.

Standard library, numpy and IPython only (and libseccomp, a system library, through ctypes);
imported from a read-only copy. Nothing here may be trusted by the grader: every byte that
comes back is parsed as data (see :mod:`.wire`).

Modules: ``layers`` (the first step: the runtime shown, the warm process started), ``zygote``
(the warm process, forking one child per submission), ``runner`` (a submission's interpreter;
``cell_syntax`` tells a cell that needs IPython's transforms),
``probe`` (the process that calls one graded function), ``seal`` (one function's calls kept from
another's), ``shared`` (cells every submission shares, run once), ``standin`` (a function's parts
answered from a table, for diagnosis), ``tracer`` (a function's calls of its parts recorded,
for diagnosis), ``own_code`` (the grader's own code kept as it was),
``privileges`` (what the runner keeps and student code does not), ``device_map`` (a GPU asked
for, given the CPU's, at run time), ``call_policy`` (the system
calls student code may make, declared once), ``filters`` (the seccomp filters made from it),
``libseccomp`` (the library that makes them), ``watch`` (the run-time record of forbidden calls),
``wire``, ``expect``, ``messages`` and ``protocol`` (the format across the wall, its messages),
``limits`` (the limits, generated from the grader's).
"""
