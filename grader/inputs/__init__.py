"""What the grader reads that none of its modules wrote, read so that bad input is one clear line.

Modules: ``json_input`` (JSON anyone may have written: a value, or what is wrong with it),
``toml_input`` (a TOML file read with every complaint naming the file and the key),
``toml_keys`` (the keys a course's TOML files may hold, declared once with their meaning, which
the readers accept and the reference pages document), ``resources`` (the package's own files:
shipped assignments, templates, runtimes, wherever the grader is installed).
"""
