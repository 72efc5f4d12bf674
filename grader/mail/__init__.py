"""Feedback mail: each student's marks and feedback pages composed, and sent over SMTP once.

Modules: ``addresses`` (a recipient beyond ASCII: the domain as IDNA A-labels, a local part
that needs SMTPUTF8), ``composing`` (the messages: marks, feedback pages, headers mail servers
accept), ``written`` (the marks of written answers in a message), ``identity`` (which mail a
student has had: what it tells them, never how a grader build words it), ``smtp`` (sending,
each message once, recorded in the gradebook), ``command`` (``grader mail``: reviewed as .eml
files, then sent).
"""
