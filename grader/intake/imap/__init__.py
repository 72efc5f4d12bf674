"""Mailboxes read over IMAP (``imaps://USER@HOST[:PORT]/FOLDER``: Gmail, Outlook, Dovecot), with
IMAPClient speaking the protocol (literals, folder names in modified UTF-7, SASL logins, IDLE).

Modules: ``mailbox`` (a session: new messages by UID, fetched with their delivery time),
``collect`` (``grader collect imaps://...``: new messages spooled as ``.eml`` files for collect
to read), ``idle`` (waiting with IMAP IDLE, RFC 2177, so ``grader watch`` hears of new mail at
once).
"""
