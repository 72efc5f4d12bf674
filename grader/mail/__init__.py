"""Feedback mail: each student's marks and feedback pages composed, and sent over SMTP once.

Modules: ``addresses`` (a recipient beyond ASCII: the domain as IDNA A-labels, a local part
that needs SMTPUTF8), ``composing`` (the messages: marks, feedback pages, headers mail servers
accept), ``written`` (the marks of written answers in a message), ``identity`` (which mail a
student has had: what it tells them, never how a grader build words it), ``figures`` (the
figures a mail tells, read from any build's message too, and what changed in them, with why),
``mailed`` (the figures each student was last mailed, and whose grades changed since),
``smtp`` (sending, each message once, recorded in the gradebook), ``command`` (``grader
mail``: reviewed as .eml files, then sent), ``final_command`` (``grader final``: the table, the
LMS's exports, whose grades changed since their last mail, ``--push lti``).
"""
