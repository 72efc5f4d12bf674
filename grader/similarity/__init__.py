"""``grader similarity``: copied notebooks, reports, datasets and figures, found and shown.

Stages, one module each: ``sources`` (reading hand-ins and known material), ``fingerprints``
(normalised code winnowing, text shingles), ``images`` (perceptual hashes of figures),
``candidates`` (MinHash/LSH), ``calibration`` (what independent work shares in this class),
``compare`` (scoring fingerprinted code and text, and passages), ``identical`` (identical
files, near-identical figures), ``evidence`` (what a pair's evidence holds, groups of students),
``variants`` (notebooks handed in by another student
than the one they were released to), ``page`` (pairs.csv and the HTML page); ``search`` runs
them (:func:`grader.similarity.search.run`), ``command`` is the command's flags.
"""
