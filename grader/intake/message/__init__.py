"""One email read: its parts, its text, what kind of mail it is."""
