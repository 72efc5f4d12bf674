"""``grader watch``: the course's mailbox read over IMAP while the deadline is open, each
hand-in answered by return mail in the student's thread.

Modules: ``state`` (the watch's tables in the gradebook), ``handins`` (a message into
gradings and receipts), ``replies`` (what is written back), ``loop`` (poll, collect, grade,
send), ``command`` (the flags).
"""
