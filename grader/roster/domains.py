"""An address's domain beyond ASCII (``ana@universität.example``) as its IDNA A-labels
(``ana@xn--universitt-y5a.example``, RFC 5890/5891, with UTS #46's mapping as browsers and mail
clients do it): the same mailbox, written so that every mail server and reader takes it."""

from __future__ import annotations

import idna


def ascii_domain(address: str) -> str:
    """``address`` with its domain in A-labels (unchanged when it is ASCII already);
    ValueError saying what is wrong when the domain is no internationalised domain name."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError as error:
        raise ValueError(f"the part after @ is not a valid domain name ({error})") from None
