"""One email, read as every intake step needs it, whatever the sender's client did to it.

Modules: ``reading`` (who sent it and when, its text, its attachments, the message it
forwards), ``mime_parts`` (its leaves and attached messages, their encodings undone),
``defects`` (what was wrong with its structure, in words), ``received`` (the message parsed
once: what every later step reads of it), ``reply_text`` (what a student wrote in a reply,
without the quoted message), ``bounces`` (a bounce or delivery report about another message),
``authresults`` (the receiving servers' Authentication-Results headers, RFC 8601), ``sender``
(whether its sender is who its From: says: the trusted server's results, else DKIM),
``header_policy`` (the email policy it is parsed with: each header value parsed once).
"""
