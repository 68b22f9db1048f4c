"""Messages with awkward shapes, and the helpers that take messages apart.

Each message is written once with "\\n" for every line end and built with the
line end it is tested with (LF or CRLF); the bytes are what every signer and
verifier receives.
"""

from dataclasses import dataclass

RECEIVED_1 = ("Received: from client.example.org (client.example.org [192.0.2.7])\n"
              "\tby mx.example.com with ESMTP id 4AbCdE; Tue, 2 Jan 2024 10:00:00 +0000")
RECEIVED_2 = ("Received: from relay.example.org by client.example.org with SMTP id 77;\n"
              "\tTue, 2 Jan 2024 09:59:58 +0000")
FROM = "From: Alice <alice@example.com>"
TO = "To: Bob <bob@example.net>"
SUBJECT = "Subject: Interop test"
DATE = "Date: Tue, 2 Jan 2024 10:00:00 +0000"
MESSAGE_ID = "Message-ID: <interop-1@example.com>"
PLAIN_BODY = b"Hello Bob,\n\nThis is a test message.\n-- \nAlice\n"


@dataclass(frozen=True)
class Message:
    name: str
    data: bytes
    exact_headers: bool = False  # a field without a space after the colon (beyond OpenDKIM's milter)

    @property
    def eol(self) -> bytes:
        return eol_of(self.data)


def eol_of(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def build(name: str, headers: list[str], body: bytes, eol: bytes, exact_headers: bool = False) -> Message:
    head = "\n".join(headers).encode() + b"\n\n"
    return Message(name, (head + body).replace(b"\n", eol), exact_headers)


def _standard(subject: str = SUBJECT, to: list[str] | None = None,
              extra: list[str] | None = None) -> list[str]:
    return [RECEIVED_1, FROM, *(to or [TO]), subject, DATE, MESSAGE_ID, *(extra or [])]


def shapes() -> list[Message]:
    """The positive-matrix messages: every one is signed and verified in every configuration."""
    crlf, lf = b"\r\n", b"\n"
    return [
        build("plain-crlf", _standard(), PLAIN_BODY, crlf),
        build("plain-lf", _standard(), PLAIN_BODY, lf),
        build("folded-headers",
              _standard(subject="Subject: This subject is folded\n across three\n\tlines",
                        to=["To: Bob <bob@example.net>,\n Carol <carol@example.net>,\n"
                            "\tDave <dave@example.net>"]),
              PLAIN_BODY, crlf),
        build("tabs-trailing-ws",
              _standard(subject="Subject: \tTabbed  \t subject with trailing space \t",
                        extra=["X-Spacey:   lots   of\t\tspace   ",
                               "X-Folded-Ws: a  \n \t b \t"]),
              b"trailing spaces   \nin\tthe\tmiddle\t\n  leading space\n"
              b"internal     runs\t \t of whitespace\n", lf),
        build("empty-body", _standard(), b"", crlf),
        build("blank-lines-body", _standard(), b"\n\n\n\n", lf),
        build("no-final-newline", _standard(), b"first line\nlast line without a newline", crlf),
        build("8bit-body",
              _standard(extra=["MIME-Version: 1.0",
                               "Content-Type: text/plain; charset=utf-8",
                               "Content-Transfer-Encoding: 8bit"]),
              "Caf\u00e9 na\u00efve \u2013 r\u00e9sum\u00e9\n".encode()
              + b"raw \xff\xfe\x80 bytes\n", lf),
        build("repeated-headers",
              [RECEIVED_1, RECEIVED_2, FROM, TO, "To: Carol <carol@example.net>", SUBJECT, DATE,
               MESSAGE_ID],
              PLAIN_BODY, crlf),
        build("trailing-ws-lines", _standard(), b"text\n \n\t\n\n\n", crlf),
        build("no-space-after-colon",
              _standard(subject="Subject:\tTab, no space", to=["To:Bob <bob@example.net>"],
                        extra=["X-Empty:"]),
              PLAIN_BODY, lf, exact_headers=True),
    ]


def plain(eol: bytes = b"\r\n") -> Message:
    return build("plain-crlf" if eol == b"\r\n" else "plain-lf", _standard(), PLAIN_BODY, eol)


def repeated() -> Message:
    return next(m for m in shapes() if m.name == "repeated-headers")


def split(data: bytes) -> tuple[bytes, bytes]:
    """Header block (each field with its line end) and body; the blank line belongs to neither."""
    eol = eol_of(data)
    if data.startswith(eol):
        return b"", data[len(eol):]
    pos = data.find(eol + eol)
    if pos < 0:
        return data, b""
    return data[:pos + len(eol)], data[pos + 2 * len(eol):]


def header_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """(name, raw value after the colon, continuation line ends kept, final line end dropped)."""
    eol = eol_of(head) if head else b"\r\n"
    fields: list[list[bytes]] = []
    for line in head.split(eol):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            fields[-1][1] += eol + line
        else:
            name, _, value = line.partition(b":")
            fields.append([name, value])
    return [(n, v) for n, v in fields]


def tag_list(value: bytes) -> dict[str, str]:
    """A DKIM-Signature's tags, folding white space removed (good enough to read t=, x=, l=)."""
    tags = {}
    for part in value.decode("ascii", "replace").split(";"):
        if "=" in part:
            k, _, v = part.partition("=")
            tags[k.strip()] = "".join(v.split())
    return tags


def signature_headers(data: bytes) -> list[bytes]:
    head, _ = split(data)
    return [v for n, v in header_fields(head) if n.strip().lower() == b"dkim-signature"]
