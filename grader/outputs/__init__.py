"""What the grader writes for people to open, made safe to open.

Modules:
``csvfile`` (the one CSV writer: no cell a spreadsheet would run);
``quoting`` (text a student controls, cut to a stated length where it is quoted).
"""
