"""The projects' checks of substance: what a project notebook's model is, whether the report's
numbers are the notebook's, the classic mistakes of sequence-model projects, and where the
data comes from. Pure functions over the notebook's source, its saved outputs, the sandbox
run's output and the report's text; they inform the marker and are never the mark.

A leaf: it imports nothing of the rest of the grader (what it needs, such as the reader of a
report's PDF, is handed in), so a course's settings or a bundle that reads :mod:`kinds` loads
nothing else of it.

Modules: ``kinds`` (the words every reader of the checks imports: the files' roles, the checks'
parts, the pitfalls' kinds, what a course may keep from its students; no sentences),
``cells`` (the notebook read, Colab's magics and shell lines made harmless, the files its code
names), ``values`` (what the analysis knows of a value, and the events it records), ``flow``
(the cells walked as one program: assignments, unpacking, loops, the student's own functions),
``walker`` (the walk as the next two see it), ``slicing`` (slices as splits and as windows),
``calls`` (what library calls do to the data), ``library`` (the names it knows), ``model``
(framework, recurrent layers, parameters, epochs), ``numbers`` (the report's numbers found in
the outputs), ``pitfalls`` (the mistakes read from the events), ``reading`` (the handed-in file
read as the notebook reads it, and the shape Colab printed of it), ``rerun_shapes`` (the shapes
the sandbox's rerun on the handed-in file printed against those Colab saved), ``provenance``
(the dataset read and cited), ``analysis`` (all of it for one project, never raising, and one
hand-in's files through it: what ``grader grade`` and the student's ``grader bundle`` both
call), ``findings`` (the findings in the sentences the student reads before sending and in the
watch's receipt). Only the base install's packages are imported: the student's ``pip install``
runs it all.
"""
