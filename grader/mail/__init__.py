"""Feedback mail: composed, sent over SMTP."""
