"""What a student receives for a graded notebook: ``results.json``, ``feedback.html`` and the
run's ``grades.csv`` (:mod:`grader.feedback.export`), ``results.json`` read back with its
layout checked (:mod:`grader.feedback.results_file`); for a function that lost points, besides
its hints and case lines, the smallest failing case as code to paste into a notebook
(:mod:`grader.feedback.rerun`) and a plot of expected against returned values
(:mod:`grader.feedback.figure`); the words for a late hand-in
(:mod:`grader.feedback.lateness`); what to fix, the words a student reads first on each function
that lost points, composed once for the page, results.json and the mails
(:mod:`grader.feedback.fixes`)."""
