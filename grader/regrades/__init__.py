"""Regrade requests: read from a reply, kept in a book, decided."""
