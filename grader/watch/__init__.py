"""``grader watch``: the course's mailbox read over IMAP while the deadline is open, each
hand-in answered by return mail in the student's thread.

Modules: ``command`` (the flags), ``loop`` (poll, collect, read each message into its kind,
hand it to the one part for that kind, grade, send), ``kinds`` (a message read once into what it
is: automatic mail, a reply about a grade, or mail that may carry a hand-in), ``handins`` (a
hand-in into gradings and receipts), ``requests`` (a reply about a grade answered, regrade
answers queued), ``request_texts`` (what is written about a regrade request), ``replies``
(what is written back for hand-ins, and the threads), ``grading`` (the graders kept running
between polls), ``staging`` (their scratch folders), ``state`` (the watch's tables in the
gradebook).
"""
