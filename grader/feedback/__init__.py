"""What a student receives for a graded notebook: ``results.json``, ``feedback.html`` and the
run's ``grades.csv`` (:mod:`grader.feedback.export`); for a function that lost points, besides
its hints and case lines, the smallest failing case as code to paste into a notebook
(:mod:`grader.feedback.rerun`) and a plot of expected against returned values
(:mod:`grader.feedback.figure`); the words for a late hand-in
(:mod:`grader.feedback.lateness`); scores rounded for people (:mod:`grader.feedback.points`)."""
