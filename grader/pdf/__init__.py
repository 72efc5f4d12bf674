"""PDFs: their fonts, the submission PDF, reading any PDF."""
