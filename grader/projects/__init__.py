"""The projects' checks of substance: what a project notebook's model is, whether the report's
numbers are the notebook's, the classic mistakes of sequence-model projects, and where the
data comes from. Pure functions over the notebook's source, its saved outputs, the sandbox
run's output and the report's text; they inform the marker and are never the mark.

Modules: ``cells`` (the notebook read, Colab's magics and shell lines made harmless),
``values`` (what the analysis knows of a value, and the events it records), ``flow`` (the
cells walked as one program: assignments, unpacking, loops, the student's own functions),
``walker`` (the walk as the next two see it), ``slicing`` (slices as splits and as windows),
``calls`` (what library calls do to the
data), ``library`` (the names it knows), ``model`` (framework, recurrent layers, parameters,
epochs), ``numbers`` (the report's numbers found in the outputs), ``pitfalls`` (the mistakes
read from the events), ``reading`` (the handed-in file read as the notebook reads it, and the
shape Colab printed of it), ``provenance`` (the dataset read and cited), ``analysis`` (all of it
for one project, never raising), ``handin`` (one project's files through it all: what
``grader grade`` and the student's ``grader bundle`` both call), ``telling`` (the checks in the
sentences the student reads before sending and in the watch's receipt). Only the base
install's packages are imported: the student's ``pip install`` runs it all.
"""

from grader.projects.analysis import PITFALL_KINDS, analyse, analyse_files

__all__ = ["PITFALL_KINDS", "analyse", "analyse_files"]
