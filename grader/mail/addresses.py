"""A roster's (or a hand-in's) address as the recipient of a message, however international.

A domain beyond ASCII (``ana@universität.example``) is written as its IDNA A-labels
(``xn--universitt-y5a.example``, RFC 5890): the same mailbox, and ASCII, so every server and
every reader takes it. A local part beyond ASCII (``tomás.garcía@uni.example``) has no ASCII
form: it is kept as written, and the message then needs a server that offers SMTPUTF8 (RFC
6531) and is written as UTF-8 (RFC 6532); :func:`grader.mail.smtp.send` says so of each
student whose server does not offer it.
"""

from __future__ import annotations

from email.headerregistry import Address

from grader.roster.domains import ascii_domain


def recipient(name: str, address: str) -> Address:
    """``name <address>`` with the domain in A-labels. A domain that has none (the roster
    refuses it; a hand-in's From: may have it) stays as written, to go where a server offering
    SMTPUTF8 takes it."""
    try:
        address = ascii_domain(address)
    except ValueError:
        pass
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def needs_smtputf8(addresses: list[str]) -> bool:
    """Whether an address is beyond ASCII (RFC 6531): its local part, as :func:`recipient`
    writes a valid domain in ASCII."""
    return not all(address.isascii() for address in addresses)
