"""The runtime a notebook runs in, as the sandbox shows it, and what is made once per runtime.

Modules:
``shown_runtime`` (the runtime at neutral paths, no file in it naming a host path);
``shown_base`` (the base Python as the sandbox shows it, a layer built once);
``fontlist`` (matplotlib's font list, made once per runtime);
``counted_compile`` (bytecode compiled in the runtime's Python, counted as it goes);
``cached_compileall`` (compileall run by the runtime's Python, each file's code kept in a
cache every runtime shares);
``runtime_cache`` (where what is made once per runtime is kept, and the bytecode cache);
``preparation`` (all of it made on first use or by ``grader setup``).
"""
