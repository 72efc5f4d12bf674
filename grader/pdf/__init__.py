"""PDFs: the fonts every PDF the grader writes is set in, the submission PDF, and reading a PDF
anyone made.

Modules: ``fonts`` (TrueType fonts, all embedded, with fallbacks and shaping for every script),
``submission`` (the submission PDF: cover page, project reports, notebooks' code and figures),
``reading`` (reading a PDF under limits: damaged or too slow is a verdict, never a hang),
``pdf_child`` (the child process that reads it, run by path, importing nothing of the grader).
"""
