"""Test keys and the DNS data that publishes them.

Keys are made with `openssl genpkey` (never with the code under test), except
the ones `signet keygen` makes for its own case. Every published key becomes a
TXT record in one unbound configuration file (`local-zone: static` plus
`local-data:` lines) that libunbound reads in-process, for signet and OpenDKIM
alike, and in a table that dkimpy's `dnsfunc=` callback answers from.
"""

import base64
import os
import re
import subprocess
from dataclasses import dataclass

DOMAIN = "example.com"

# DER prefixes of the Ed25519 encodings (RFC 8410): PKCS#8 private key and SubjectPublicKeyInfo.
_ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


@dataclass
class Key:
    selector: str
    kind: str             # "rsa" | "ed25519"
    bits: int             # RSA modulus size; 256 for Ed25519
    pem_path: str         # PKCS#8 PEM private key
    dkimpy_private: bytes  # what dkimpy's sign() takes: PEM (RSA) or base64 raw seed (Ed25519)
    record: str | None    # TXT record text as published; None when not published at all
    txt_line: str | None = None  # the record line verbatim, when the key came from `signet keygen`

    @property
    def fqdn(self) -> str:
        return f"{self.selector}._domainkey.{DOMAIN}"


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def _public_p(kind: str, pem_path: str) -> str:
    spki = _openssl("pkey", "-in", pem_path, "-pubout", "-outform", "DER")
    if kind == "ed25519":
        if not spki.startswith(_ED25519_SPKI_PREFIX) or len(spki) != 44:
            raise RuntimeError(f"unexpected Ed25519 SubjectPublicKeyInfo in {pem_path}")
        spki = spki[-32:]  # RFC 8463: p= is the raw 32-byte public key
    return base64.b64encode(spki).decode()


def dkimpy_private_key(kind: str, pem_path: str) -> bytes:
    """The private key in the form dkimpy signs with."""
    if kind == "rsa":
        with open(pem_path, "rb") as f:
            return f.read()
    der = _openssl("pkey", "-in", pem_path, "-outform", "DER")
    if not der.startswith(_ED25519_PKCS8_PREFIX) or len(der) != 48:
        raise RuntimeError(f"unexpected Ed25519 PKCS#8 encoding in {pem_path}")
    return base64.b64encode(der[-32:])


def generate(directory: str, selector: str, kind: str, bits: int = 2048,
             record: str | None = "publish") -> Key:
    """Makes a key with openssl. record: "publish" (the real public key), a literal TXT text, or None."""
    pem = os.path.join(directory, f"{selector}.pem")
    if kind == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", pem)
    else:
        _openssl("genpkey", "-algorithm", "ED25519", "-out", pem)
        bits = 256
    os.chmod(pem, 0o600)
    if record == "publish":
        record = f"v=DKIM1; k={kind}; p={_public_p(kind, pem)}"
    return Key(selector, kind, bits, pem, dkimpy_private_key(kind, pem), record)


def txt_strings(text: str) -> list[str]:
    """Splits a TXT record's text into character-strings of at most 255 bytes."""
    return [text[i:i + 255] for i in range(0, len(text), 255)] or [""]


def local_data_line(key: Key) -> str:
    if key.txt_line is not None:
        return key.txt_line
    quoted = " ".join(f'"{s}"' for s in txt_strings(key.record or ""))
    return f"{key.fqdn}. 3600 IN TXT {quoted}"


_TXT_LINE = re.compile(r'^(\S+)\s+(\d+\s+)?IN\s+TXT\s+((?:"[^"]*"\s*)+)$')


def parse_txt_line(line: str) -> tuple[str, str, list[str]]:
    """Parses `owner TTL IN TXT "..." "..."`; returns owner, joined text, strings."""
    m = _TXT_LINE.match(line.strip())
    if not m:
        raise ValueError(f"not a one-line TXT record: {line!r}")
    strings = re.findall(r'"([^"]*)"', m.group(3))
    return m.group(1), "".join(strings), strings


def write_unbound_conf(path: str, keys: list[Key]) -> None:
    lines = ["server:", f'  local-zone: "{DOMAIN}." static']
    for key in keys:
        if key.record is not None:
            lines.append(f"  local-data: '{local_data_line(key)}'")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def record_from_txt_line(line: str) -> str:
    """The TXT text of a `signet keygen` S.txt line, after checking its shape."""
    owner, text, strings = parse_txt_line(line)
    if not owner.endswith("."):
        raise ValueError(f"owner name is not absolute: {owner!r}")
    if any(len(s.encode()) > 255 for s in strings):
        raise ValueError("a TXT character-string is longer than 255 bytes")
    return text
