"""The tool's key pair, kept in the course folder's ``lti/``:

- ``tool-private-key.pem``: the tool's RSA key (mode 0600), made once; it signs the token
  requests. Never in course.toml, never on a command line.
- ``tool-jwks.json`` and ``tool-public-key.pem``: its public half, for the LMS administrator
  (Canvas takes the JWK, Moodle the PEM).

What the LMS gives back is ``platform.toml`` beside them (:mod:`grader.lms.lti.platform`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from grader import limits
from grader.errors import UserError

PRIVATE_KEY = "tool-private-key.pem"
JWKS_FILE = "tool-jwks.json"
PUBLIC_PEM = "tool-public-key.pem"


@dataclass(frozen=True)
class ToolKey:
    private_key: rsa.RSAPrivateKey
    kid: str
    path: Path


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public key as a JWK with its ``kid`` (the RFC 7638 thumbprint, so the same key
    always has the same id), ``alg`` RS256 and ``use`` sig."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(members.encode("ascii")).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return {"kty": "RSA", "e": jwk["e"], "n": jwk["n"], "kid": kid, "alg": "RS256", "use": "sig"}


def make_key(folder: Path) -> tuple[ToolKey, bool]:
    """The tool's key in ``folder``: made now (True) or the one already there (False). The
    public files are (re)written from it either way."""
    path = folder / PRIVATE_KEY
    made = not path.exists()
    if made:
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=limits.LTI.key_bits)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Created 0600 in one step: never readable by others, not even for a moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
        # A course folder kept in git must not carry the key to wherever it is pushed.
        (folder / ".gitignore").write_text(PRIVATE_KEY + "\n", encoding="utf-8")
    tool_key = load_key(folder)
    public = tool_key.private_key.public_key()
    jwks = {"keys": [public_jwk(public)]}
    (folder / JWKS_FILE).write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    (folder / PUBLIC_PEM).write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return tool_key, made


def load_key(folder: Path) -> ToolKey:
    path = folder / PRIVATE_KEY
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no tool key: run `grader lti init` first") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UserError(f"{path} can be read by others: run chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise UserError(f"{path}: not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UserError(f"{path}: not an RSA key (LTI 1.3 signs with RS256)")
    return ToolKey(key, public_jwk(key.public_key())["kid"], path)
