"""Per-student variants: every student of the class gets their own numbers.

An assignment's ``[variants]`` declares named parameters
(:mod:`~grader.assignment.variant_definition`); each student's values come from a keyed hash
of the course's secret, the assignment and their roster id (:mod:`~grader.variants.draw`),
are filled into the source notebook's ``{{NAME}}`` places
(:mod:`~grader.assignment.variant_substitute`), written one notebook per student
(:mod:`~grader.variants.release`) and recorded at release (:mod:`~grader.variants.record`);
``grader variants`` lists them (:mod:`~grader.variants.command`); each student's notebook is
mailed to them (:mod:`~grader.variants.handout`), and a hand-in's variant is checked against
the student it is attributed to (:mod:`~grader.variants.attribution`) and to the numbers in
its code (:mod:`~grader.variants.numbers`). A student may be drawn k of a pool's n questions
(:mod:`~grader.variants.pools`); grading gets each hand-in's values
(:mod:`~grader.variants.graded`), its verdict and drawn questions
(:mod:`~grader.variants.handed`).
"""
