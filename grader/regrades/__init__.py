"""Regrade requests: a student's reply to the feedback read, kept, and decided by a marker.

Modules: ``reading`` (what a reply asks: which part, whether within the window), ``intake`` (a
reply taken in the same way by ``grader watch`` and ``grader collect``: whose it is, the request
stored), ``book`` (the requests, in the course's gradebook), ``decision`` (a marker's decision:
the mark changed with its reason, or declined).
"""
