"""What the feedback shows of a function that lost points, besides its hints and case lines:
the smallest failing case as code to paste into a notebook (:mod:`grader.feedback.rerun`) and
a plot of expected against returned values (:mod:`grader.feedback.figure`)."""
