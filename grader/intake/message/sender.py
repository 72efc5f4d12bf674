"""Whether a message comes from the address its From: names, as far as the mail says.

With the course's trusted receiving server known (``[mail] trusted_authserv_id`` in
course.toml), its ``Authentication-Results`` decide (see :mod:`authresults`): DMARC failed for
the From: address, or SPF and DKIM both failed where no DMARC result is given, and the message
is refused as that student's. Without the trusted server's header (a Takeout, a folder of .eml,
no trusted server declared), the message's DKIM signatures are checked here (dkimpy, its DNS
look-up injectable): the outcome is stated, and nothing is refused for want of a signature.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.intake.message.authresults import (
    EXCHANGE_ONLINE,
    AuthResults,
    receiving_server,
    results_of,
    trusted_results,
)
from grader.limits import SENDER_CHECKS

DnsLookup = Callable[..., bytes | None]  # dkimpy's dnsfunc: (name, timeout=...) -> TXT record


@dataclass(frozen=True)
class SenderCheck:
    """``outcome`` says what was found (index.csv's ``sender check``); ``refused`` why the
    message is not its From:'s ('' when nothing says so); ``signed``: a DKIM signature of the
    From: address's domain verified, or the trusted server passed it."""

    outcome: str
    refused: str = ""
    signed: bool = False


@dataclass
class DkimKeys:
    """The signers' public keys, looked up once per run (``lookup``: DNS, or a test's own); once
    DNS cannot be reached, no further look-up waits for it."""

    lookup: DnsLookup | None = None
    found: dict[bytes, bytes | None] = field(default_factory=dict)
    unreachable: str = ""

    def __call__(self, name: bytes, timeout: float = SENDER_CHECKS.dns_timeout_s) -> bytes | None:
        import dkim

        if self.unreachable:
            raise dkim.DnsTimeoutError(self.unreachable)
        if name not in self.found:
            lookup = self.lookup or dkim.dnsplug.get_txt
            try:
                self.found[name] = lookup(name, timeout=timeout)
            except dkim.DnsTimeoutError as error:
                self.unreachable = f"DNS did not answer ({error})"
                raise
        return self.found[name]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _aligned(signer: str, domain: str) -> bool:
    """DMARC's relaxed alignment, as far as it can be told without the public suffix list:
    the signer is the From: domain or a domain it lies under."""
    return domain == signer or domain.endswith("." + signer)


def _from_trusted(found: AuthResults, address: str) -> SenderCheck:
    server = found.authserv_id or EXCHANGE_ONLINE
    domain = _domain(address)
    dmarc = [r for r in found.of("dmarc") if r.properties.get("header.from", domain) == domain]
    dmarc = dmarc or found.of("dmarc")
    said = "; ".join(f"{r.method}={r.result}" for r in found.results if r.method != "compauth")
    outcome = f"{server}: {said or 'no results'}"
    if dmarc:
        if dmarc[0].result == "fail":
            return SenderCheck(outcome, f"{server} says DMARC failed for {address}")
        return SenderCheck(outcome, signed=dmarc[0].result == "pass")
    spf = [r.result for r in found.of("spf")]
    dkim = [r.result for r in found.of("dkim")]
    if spf and dkim and all(r == "fail" for r in spf + dkim):
        return SenderCheck(
            outcome, f"{server} says SPF and DKIM both failed for {address} (no DMARC result)"
        )
    signed = any(
        r.result == "pass" and _aligned(r.properties.get("header.d", ""), domain)
        for r in found.of("dkim")
    )
    return SenderCheck(outcome, signed=signed)


def _signers(headers: email.message.Message) -> int:
    return len(headers.get_all("DKIM-Signature", []))


def _dkim(raw: bytes, address: str, count: int, keys: DkimKeys) -> SenderCheck:
    """The message's own DKIM signatures checked: the first that verifies for the From:
    domain, else what the checks found."""
    import dkim

    domain, found = _domain(address), []
    for index in range(min(count, SENDER_CHECKS.max_signatures)):
        checker = dkim.DKIM(raw, timeout=SENDER_CHECKS.dns_timeout_s)
        try:
            verified = checker.verify(index, dnsfunc=keys)
        except dkim.DnsTimeoutError as error:
            return SenderCheck(f"DKIM not checked: {keys.unreachable or error}")
        except dkim.DKIMException as error:  # a malformed signature or key: a failure
            found.append(f"dkim=fail ({error})")
            continue
        signer = (checker.domain or b"").decode("ascii", "replace").lower()
        if verified and _aligned(signer, domain):
            return SenderCheck(f"dkim=pass (d={signer})", signed=True)
        found.append(
            f"dkim=pass (d={signer}, not the From: domain)"
            if verified
            else f"dkim=fail (d={signer}: the signature does not match the message)"
        )
    return SenderCheck("; ".join(found))


def check_sender(
    raw: bytes,
    headers: email.message.Message,
    address: str,
    trusted: str = "",
    keys: DkimKeys | None = None,
) -> SenderCheck:
    """What the mail says of its sender ``address`` (the From:); ``headers`` its top-level
    headers as written (compat32), ``trusted`` the authserv-id the course trusts."""
    found = _trusted(headers, trusted)
    if found is not None:
        return _from_trusted(found, address)
    count = _signers(headers)
    if not count:
        return SenderCheck("unsigned")
    return _dkim(raw, address, count, keys or DkimKeys())


def forged_by_trusted(headers: email.message.Message, address: str, trusted: str) -> str:
    """Why the trusted server's result says ``address`` did not send the message ('' when
    it says nothing of the kind, or is not there): its word only, no DNS look-up."""
    found = _trusted(headers, trusted)
    return "" if found is None else _from_trusted(found, address).refused


def failed_on_top(headers: email.message.Message, address: str) -> SenderCheck | None:
    """For a course that trusts no server: what the Authentication-Results on top of the
    message (the server that received it into the mailbox) say of ``address``, when they say it
    did not send it (``refused``); None when they say nothing of the kind, or there are none.
    Only told, never refused on: the course has not said that this server is to be trusted."""
    found = _trusted(headers, receiving_server(results_of(headers)))
    check = None if found is None else _from_trusted(found, address)
    return check if check is not None and check.refused else None


def _trusted(headers: email.message.Message, trusted: str) -> AuthResults | None:
    if not trusted:
        return None
    return trusted_results(results_of(headers), trusted)
