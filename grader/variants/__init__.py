"""Per-student variants: every student of the class gets their own numbers.

An assignment's ``[variants]`` declares named parameters (:mod:`~grader.variants.definition`);
each student's values come from a keyed hash of the course's secret, the assignment and their
roster id (:mod:`~grader.variants.draw`), are filled into the source notebook's ``{{NAME}}``
places (:mod:`~grader.variants.substitute`), written one notebook per student
(:mod:`~grader.variants.release`) and recorded at release (:mod:`~grader.variants.record`);
``grader variants`` lists them (:mod:`~grader.variants.command`); each student's notebook is
mailed to them (:mod:`~grader.variants.handout`), and a hand-in's variant is checked against
the student it is attributed to (:mod:`~grader.variants.attribution`).
"""
