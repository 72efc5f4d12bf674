"""Final grades and the LMS: CSV exports, LTI 1.3."""
