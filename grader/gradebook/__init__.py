"""The gradebook: one SQLite file and its tables."""
