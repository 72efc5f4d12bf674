"""Mailboxes read over IMAP: fetched, spooled, waited on with IDLE."""
