"""What the grader writes for people to open, made safe to open.

Modules:
``csvfile`` (the one CSV writer: no cell a spreadsheet would run);
``quoting`` (text a student controls, cut to a stated length where it is quoted);
``scores`` (a score as a person reads it: to the course's decimals, exact where a machine reads);
``sizes`` (a file's size as a person reads it).
"""
