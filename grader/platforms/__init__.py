"""The grader where the students submit: an assignment exported as a Gradescope autograder or a
PrairieLearn externally graded question, and its run inside the platform's container.

Modules:
``command`` (``grader autograder``: the export);
``gradescope_export``, ``prairielearn_export`` (each platform's upload: a zip, a question);
``carried`` (what an export carries of the course: hidden cases, secret, roster, values);
``wheel`` (the grader's own wheel, as the instructor runs it);
``image_build`` (the image's one build script, and the per-submission command);
``inside`` (the run in the container, once per submission);
``container_walls`` (the walls raised there, or those that remain without namespaces);
``container_memory`` (the student's memory limit: what the container leaves the grader);
``build_check`` (the sandbox and the trial notebook checked once, at the image's build);
``upload`` (one upload graded as ``grader grade`` grades it);
``results_formats`` (Gradescope's and PrairieLearn's results files).
"""
