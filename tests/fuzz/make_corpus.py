#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (docs/fuzzing.md).

Seeds are small, real-looking inputs: the RFC 6376, RFC 8463 and RFC 4870
examples, signatures and key records from the unit tests, milter reply
packets, qmail envelopes and messages, configuration files. Run it again
after changing a seed here; reproducers of fixed crashes are added to the
corpus directories by hand (named crash-*) and are left alone by this script.
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
REPO = os.path.normpath(os.path.join(ROOT, "..", ".."))


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("latin-1")
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def cuts(payload, positions=(), flag=False, header=b""):
    """The cut-point prefix of fuzz_support.h, a fixed header, the payload."""
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    first = (len(positions) & 0x0F) | (0x10 if flag else 0)
    out = bytes([first])
    for p in positions:
        out += struct.pack("<H", p)
    return out + header + payload


# --- RFC examples ---------------------------------------------------------

# RFC 6376 appendix A.2 (with the RFC's errata-corrected b=), and A.1's message.
RFC6376_SIG = (
    " v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
    "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
    "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
    "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
    "        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
    "        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
    "        4bmp/YzhwvcubU4=;")
RFC6376_MESSAGE = (
    "Received: from client1.football.example.com  [192.0.2.1]\r\n"
    "      by submitserver.example.com with SUBMISSION;\r\n"
    "      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game. Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n")
RFC6376_KEY = ("v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
               "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4"
               "OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB")

# RFC 8463 appendix A.
RFC8463_ED_SIG = (
    " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
RFC8463_RSA_SIG = (
    " v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=")
RFC8463_MESSAGE = (
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n")
RFC8463_ED_KEY = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
RFC8463_RSA_KEY = ("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
                   "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
                   "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
                   "Ip3G+2kryOTIKT+l/K4w3QIDAQAB")

# RFC 4870 section 3.5 (signing example) and 3.2 (key record).
RFC4870_SIG = (" a=rsa-sha1; s=brisbane; d=example.net;\r\n"
               "  c=simple; q=dns;\r\n"
               "  b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZ\r\n"
               "    VoG4ZHRNiYzR;")
RFC4870_MESSAGE = (
    "DomainKey-Signature: a=rsa-sha1; s=brisbane; d=example.net;\r\n"
    "  c=simple; q=dns;\r\n"
    "  b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZ\r\n"
    "    VoG4ZHRNiYzR;\r\n"
    "Received: from dsl-10.2.3.4.football.example.com  [10.2.3.4]\r\n"
    "        by submitserver.example.net with SUBMISSION;\r\n"
    "        Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
    "From: \"Joe SixPack\" <joe@football.example.com>\r\n"
    "To: \"Suzie Q\" <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game. Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n")
RFC4870_KEY = ("g=; k=rsa; t=y; p=MHwwDQYJKoZIhvcNAQEBBQADawAwaAJhAKJ2lzDLZ8XlVambQfMXn3LRGKOD5o6lMIgulclWjZwP56LRqdg5"
               "ZX15bhc/GsvW8xW/R5Sh1NnkJNyL/cqY1a+GzzL47t7EXzVc+nRLWT1kwTvFNGIoAUsFUq+J6+OprwIDAQAB")


def lf(text):
    return text.replace("\r\n", "\n")


# --- per target ------------------------------------------------------------

def tag_list():
    t = "tag_list"
    write(t, "rfc6376-a2-signature", RFC6376_SIG)
    write(t, "rfc8463-ed25519-signature", RFC8463_ED_SIG)
    write(t, "rfc6376-key", RFC6376_KEY)
    write(t, "rfc4870-key", RFC4870_KEY)
    write(t, "trailing-semicolon", "v=1; a=rsa-sha256;")
    write(t, "double-semicolon", "v=1;; a=rsa-sha256")
    write(t, "empty-value", "a=; b= ;c=\r\n\t;")
    write(t, "no-equals", "v=1; junk; a=b")
    write(t, "duplicate", "d=example.com; d=example.org")
    write(t, "colon-lists", "h=From : To:\r\n Subject ::Date; s=email:*; t=y:s")
    write(t, "bad-name", "1a=x; _b=y; a-b=z")
    write(t, "empty", "")


def dkim_signature():
    t = "dkim_signature"
    write(t, "rfc6376-a2", RFC6376_SIG)
    write(t, "rfc8463-ed25519", RFC8463_ED_SIG)
    write(t, "rfc8463-rsa", RFC8463_RSA_SIG)
    write(t, "all-tags", "v=1; a=rsa-sha1; c=relaxed; d=sub.example.com; s=sel; h=from:to; "
          "i=user@mail.sub.example.com; l=120; t=1117574938; x=1118006938; q=dns/txt; "
          "z=From:foo@eng.example.net|To:joe@example.com|Subject:demo=20run; bh=AQID; b=AQID")
    write(t, "no-i-no-q", "v=1; a=ed25519-sha256; d=example.com; s=s; h=From; bh=AAAA; b=AAAA")
    write(t, "missing-b", "v=1; a=rsa-sha256; d=example.com; s=s; h=From; bh=AAAA")
    write(t, "i-outside-d", "v=1; a=rsa-sha256; d=example.com; s=s; h=From; i=@example.org; bh=AAAA; b=AAAA")
    write(t, "h-without-from", "v=1; a=rsa-sha256; d=example.com; s=s; h=To:Subject; bh=AAAA; b=AAAA")
    write(t, "bad-number", "v=1; a=rsa-sha256; d=example.com; s=s; h=From; l=99999999999999999999999; bh=AAAA; b=AAAA")
    write(t, "version-2", "v=2; a=rsa-sha256; d=example.com; s=s; h=From; bh=AAAA; b=AAAA")
    write(t, "empty-b", "v=1; a=rsa-sha256; d=example.com; s=s; h=From; bh=AAAA; b=")


def domainkey_signature():
    t = "domainkey_signature"
    write(t, "rfc4870-3.5", RFC4870_SIG)
    write(t, "all-tags", "a=rsa-sha1; q=dns; c=nofws; d=example.com; s=sel; h=From:To; b=AQID;")
    write(t, "folded", "a=rsa-sha1; c=simple; d=example.com; s=sel;\r\n\th=From :\r\n To; b=AQ\r\n\tID")
    write(t, "rsa-sha256", "a=rsa-sha256; b=AQID; d=example.com; s=sel")
    write(t, "empty-h-name", "a=rsa-sha1; d=example.com; s=sel; h=From::To; b=AQID")
    write(t, "unknown-c", "c=relaxed; d=example.com; s=sel; b=AQID")
    write(t, "minimal", "b=AQID;d=x;s=y")


def key_record():
    t = "key_record"
    write(t, "rfc6376-key", RFC6376_KEY)
    write(t, "rfc8463-ed25519", RFC8463_ED_KEY)
    write(t, "rfc8463-rsa", RFC8463_RSA_KEY)
    write(t, "rfc4870-key", RFC4870_KEY)
    write(t, "revoked", "v=DKIM1; p=")
    write(t, "revoked-fws", "v=DKIM1; k=rsa; p= \r\n ")
    write(t, "all-tags", "v=DKIM1; h=sha1 : SHA256; k=rsa; n=hello_world; s=email:*; t=y:s; p=AQID")
    write(t, "dk-granularity", "g=jon*; k=rsa; n=notes; p=AQID")
    write(t, "shared-with-dkim", "v=DKIM1; k=rsa; h=sha1:sha256; s=email; p=AQID")
    write(t, "v-not-first", "k=rsa; v=DKIM1; p=AQID")
    write(t, "unknown-k", "v=DKIM1; k=dsa; p=AQID")
    write(t, "bad-base64", "v=DKIM1; p=a2V5I!==")
    write(t, "truncated-base64", "v=DKIM1; p=a2V5I")


def txt_rdata():
    t = "txt_rdata"

    def rdata(text, size=255):
        data = text.encode()
        out = b""
        for i in range(0, len(data), size):
            chunk = data[i:i + size]
            out += bytes([len(chunk)]) + chunk
        return out or b"\x00"

    write(t, "rfc8463-rsa-one-string", rdata(RFC8463_RSA_KEY))
    write(t, "rfc8463-rsa-split", rdata(RFC8463_RSA_KEY, 60))
    write(t, "rfc8463-ed25519", rdata(RFC8463_ED_KEY))
    write(t, "rfc4870-key", rdata(RFC4870_KEY, 100))
    write(t, "empty-string", b"\x00")
    write(t, "runs-past-end", b"\x20v=DKIM1; p=")


def base64_seeds():
    t = "base64"
    write(t, "plain", "AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB")
    write(t, "folded", "dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZ\r\n    VoG4ZHRNiYzR")
    write(t, "padding-1", "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
    write(t, "padding-2", "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
    write(t, "bad-char", "a2V5I!==")
    write(t, "truncated", "a2V5I")
    write(t, "pad-inside", "QQ==QQ==")


def address():
    t = "address"
    for name, value in [
        ("display-name", " Joe SixPack <joe@football.example.com>"),
        ("quoted-display", " \"Joe SixPack\" <joe@football.example.com>"),
        ("quoted-comma", " \"Sixpack, Joe\" <joe@Football.Example.COM>"),
        ("bare", " joe@football.example.com"),
        ("comment", " joe@football.example.com (Joe SixPack)"),
        ("nested-comment", " (a (nested) comment) joe(x)@(y)example.com"),
        ("group", " friends: alice@example.com, bob@example.org;"),
        ("empty-group", " undisclosed-recipients:;"),
        ("route", " <@relay.example.net:joe@example.com>"),
        ("list", " a@example.com, b@example.net"),
        ("quoted-local", " \"joe..six\\\"pack\"@example.com"),
        ("folded", " Joe\r\n SixPack\r\n\t<joe@football.example.com>"),
        ("trailing-dot", " joe@example.com."),
        ("no-at", " Joe SixPack <joe>"),
        ("unterminated", " <joe@example.com"),
        ("unterminated-comment", " joe@example.com (oops"),
    ]:
        write(t, name, value)


MESSAGES = [
    ("rfc6376-a1", RFC6376_MESSAGE),
    ("rfc6376-a2-signed", "DKIM-Signature:" + RFC6376_SIG + "\r\n" + RFC6376_MESSAGE),
    ("rfc8463-a3", "DKIM-Signature:" + RFC8463_ED_SIG + "\r\nDKIM-Signature:" + RFC8463_RSA_SIG + "\r\n"
     + RFC8463_MESSAGE),
    ("rfc4870-lf", lf(RFC4870_MESSAGE)),
    ("sender-and-from", "Sender: list@lists.example.org\r\nFrom: a@example.com\r\nSubject:  two\t spaces \r\n\r\nbody"),
    ("headers-only", "From: a@example.com\r\nTo: b@example.net"),
    ("continuation-first", " folded: first\r\nFrom: a@example.com\r\n\r\n"),
    ("no-colon", "From: a@example.com\r\nnot a header\r\n\r\nbody\r\n"),
    ("mixed-line-ends", "From: a@example.com\nTo: b@example.net\r\nSubject: x\r\r\n\nbody\r\nline\n"),
]


def header():
    for name, message in MESSAGES:
        write("header", name, cuts(message))
    write("header", "rfc6376-a1-cut", cuts(RFC6376_MESSAGE, (57, 58, 300, 301)))
    write("header", "rfc8463-small-limits", cuts(MESSAGES[2][1], (100,), flag=True))


def canon_header():
    for name, message in MESSAGES:
        write("canon_header", name, cuts(message))
    write("canon_header", "rfc6376-a2-cut", cuts(MESSAGES[1][1], (15, 16, 200, 399)))
    write("canon_header", "one-field-folded", cuts("Subject :  Is\r\n\t dinner   ready?  \r\n "))
    write("canon_header", "one-field-no-colon", cuts("X-Name-Only \t"))


BODIES = [
    ("rfc6376-3.4.5", " C \r\nD \t E\r\n\r\n\r\n"),
    ("rfc6376-a1", RFC6376_MESSAGE.split("\r\n\r\n", 1)[1]),
    ("empty", ""),
    ("only-crlfs", "\r\n\r\n\r\n"),
    ("no-final-crlf", "Hi.\r\n\r\nJoe."),
    ("trailing-wsp", "line \t \r\n\t\r\n  \r\n"),
    ("bare-cr-lf", "a\rb\nc\r\r\n\n\r"),
    ("long-line", "x" * 300 + " \t " + "y" * 300 + "\r\n"),
]


def canon_bodies():
    for target in ("canon_dkim_simple_body", "canon_dkim_relaxed_body", "canon_dk_simple_body",
                   "canon_dk_nofws_body"):
        for name, body in BODIES:
            write(target, name, cuts(body))
        write(target, "rfc6376-3.4.5-cut", cuts(BODIES[0][1], (1, 2, 4, 5, 10, 11, 12)))
        write(target, "crlf-split", cuts("a\r\nb \r\n\r\n", (1, 2, 5, 6)))
        if target.startswith("canon_dkim"):
            write(target, "length-limit", cuts("\x05Hi there.\r\n\r\nJoe.  \r\n", (3,), flag=True))


def packet(code, data=b""):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">I", len(data) + 1) + code.encode() + data


def milter_reply():
    t = "milter_reply"
    offered = struct.pack(">II", 0x1FF, 0x1FFFFF)
    negotiate6 = packet("O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF & ~0x400))
    negotiate2 = packet("O", struct.pack(">II", 2, 0x01))
    macros = packet("O", struct.pack(">III", 6, 0x13, 0x100000) + struct.pack(">I", 0) + b"j {daemon_name}\0"
                    + struct.pack(">I", 5) + b"{auth_authen} {auth_type}\0")
    replies = [packet(c) for c in "cpaps"]
    edits = (packet("h", "X-Signet\0yes\0") + packet("i", struct.pack(">I", 0) + b"DKIM-Signature\0 v=1; a=rsa\0")
             + packet("m", struct.pack(">I", 1) + b"Subject\0\0") + packet("b", "new body\r\n")
             + packet("e", "<new@example.com>\0SIZE=100\0") + packet("+", "<rcpt@example.net>\0")
             + packet("2", "<r2@example.net>\0NOTIFY=NEVER\0") + packet("-", "<old@example.net>\0")
             + packet("q", "virus found\0"))
    write(t, "negotiate-v6", cuts(negotiate6, header=offered))
    write(t, "negotiate-v2", cuts(negotiate2, header=offered))
    write(t, "negotiate-macros", cuts(macros, header=offered))
    write(t, "replies", cuts(b"".join(replies), (3, 5, 7), header=offered))
    write(t, "conversation", cuts(negotiate6 + packet("c") * 3 + edits + packet("a"), (2, 40), header=offered))
    write(t, "edits-not-allowed", cuts(edits, header=struct.pack(">II", 0, 0)))
    write(t, "reply-codes", cuts(packet("y", "550 5.7.1 rejected\0") + packet("y", "451-4.7.1 try\r\n451 later\0")
                                 + packet("y", "250 ok\0") + packet("t") + packet("r") + packet("d"),
                                 header=offered))
    write(t, "shutdown-fail", cuts(packet("4") + packet("f"), header=offered))
    write(t, "zero-length", cuts(b"\0\0\0\0c", header=offered))
    write(t, "over-limit-small", cuts(packet("b", "x" * 100), flag=True, header=offered))
    write(t, "truncated", cuts(packet("h", "Name\0value\0")[:-3], header=offered))
    write(t, "trailing-bytes", cuts(packet("c", "junk"), header=offered))


def qmail_envelope():
    t = "qmail_envelope"
    write(t, "one-recipient", b"Fjoe@football.example.com\0Tsuzie@shopping.example.net\0\0")
    write(t, "bounce", b"F\0Tpostmaster@example.com\0\0")
    write(t, "three-recipients", b"Fa@example.com\0Tb@example.net\0Tc@example.org\0Td@example.com\0\0")
    write(t, "no-recipient", b"Fa@example.com\0\0")
    write(t, "incomplete", b"Fa@example.com\0Tb@example.net\0")
    write(t, "bad-letter", b"Fa@example.com\0Xb@example.net\0\0")
    write(t, "trailing", b"Fa@example.com\0Tb@example.net\0\0extra")
    write(t, "long-address", b"F" + b"x" * 40 + b"@example.com\0Tb@example.net\0\0")


def qmail_message():
    t = "qmail_message"
    received = "Received: (qmail 12345 invoked by uid 1000); 11 Jul 2003 04:01:54 -0000\n"
    write(t, "rfc6376-lf", b"\x40" + (received + lf(RFC6376_MESSAGE)).encode())
    write(t, "rfc4870-crlf", b"\x40" + RFC4870_MESSAGE.encode())
    write(t, "no-separator", b"\x10" + b"From: a@example.com\nSubject: x\nbody starts here\nmore\n")
    write(t, "headers-only", b"\x10" + b"From: a@example.com\nSubject: no body")
    write(t, "over-limit", b"\x01" + (received + lf(RFC6376_MESSAGE)).encode())
    write(t, "continuation-first", b"\x10" + b" folded\nFrom: a@example.com\n\nbody\n")
    write(t, "empty", b"\x10")


def config():
    t = "config"
    with open(os.path.join(REPO, "packaging", "signet.conf.example"), "rb") as f:
        write(t, "signet.conf.example", f.read())
    write(t, "opendkim-style", "Socket inet:8891@localhost\nMode sv\nDomain example.com, example.org\n"
          "Selector default\nKeyFile /etc/signet/keys/default.private\nCanonicalization relaxed/simple\n"
          "SignatureAlgorithm rsa-sha256\nInternalHosts 127.0.0.1, ::1, 192.0.2.0/24, !192.0.2.7, .example.com\n"
          "ExternalIgnoreList 198.51.100.0/24\nOn-BadSignature reject\nOn-DNSError tempfail\n"
          "MinimumKeyBits 1024\nNameservers 127.0.0.1@5353, ::1\nDNSTimeout 5\nUMask 022\n")
    write(t, "tables", "KeyTable file:/etc/signet/KeyTable\nSigningTable refile:/etc/signet/SigningTable\n"
          "MultipleSignatures yes\nOversignHeaders From, To\nSignHeaders From:To:Subject:Date\n")
    write(t, "domainkeys", "Mode s\nDomain example.com\nSelector sel\nKeyFile /k/%.private\nDomainKeysSign yes\n"
          "DomainKeysCanonicalization nofws\nDKVERIFY DEGIJKfh\nXAuthenticationResults yes\n")
    write(t, "comments-and-case", "# comment\n  socket   local:/run/signet.sock   # trailing\n\nMODE v\nsyslog No\n")
    write(t, "unknown-key", "Socket inet:8891@127.0.0.1\nNoSuchKey yes\n")
    write(t, "bad-values", "Mode x\nUMask 999\nMinimumKeyBits -1\nOn-NoSignature maybe\n")
    write(t, "duplicate-key", "Mode v\nMode s\nDomain example.com\nKeyFile /k\nSelector s\n")


ARC_SEAL = ("i=2; a=rsa-sha256; t=1796685585; cv=pass; d=lists.example.net; s=arc;\r\n"
            "\tb=BTTMbFCpGMkF/RFXNLBczdR9HkecwXtY8Wp2a/uOK64XG2v0zmj2irCF9l3c9fWwW5MH9ib7qAz")
ARC_AMS = ("i=2; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.net;\r\n\ts=arc; t=1796685585;\r\n"
           "\th=from:subject:date:to:message-id;\r\n\tbh=1w23YHqDCu6gP8Ft309HEaSKZBfRQQmgDik0vag2wdQ=; "
           "b=fzXp3Bgy2/VFaG5t2twE+/q")
ARC_AAR = "i=2; mx.lists.example.net;\r\n\tspf=pass smtp.mailfrom=example.com;\r\n\tarc=pass (1 set)"


def arc_fields():
    t = "arc_fields"
    write(t, "seal", ARC_SEAL)
    write(t, "seal-cv-fail-ed25519", "i=3; a=ed25519-sha256; cv=fail; d=example.org; s=ed; b=AAAA")
    write(t, "seal-with-h", "i=1; a=rsa-sha256; cv=none; d=example.org; s=s; h=from; b=AAAA")
    write(t, "ams", ARC_AMS)
    write(t, "ams-signs-seal", "i=1; a=rsa-sha256; d=example.org; s=s; h=from:arc-seal; bh=AAAA; b=AAAA")
    write(t, "aar", ARC_AAR)
    write(t, "aar-comment-quoted", '(hop) i = 12 ; "mx example" 1; dkim=pass (a; b) header.d="x;y"; none')
    write(t, "i51", "i=51; mx.example.org; none")
    write(t, "ar-value", " mx.example.org; spf=pass smtp.mailfrom=example.com; dkim=fail (bad\\) sig)")


def arc_chain():
    t = "arc_chain"
    def message(*sets):
        out = ""
        for i, cv in sets:
            out += f"ARC-Seal: i={i}; a=rsa-sha256; cv={cv}; d=example.org; s=s; b=AAAA\r\n"
            out += f"ARC-Message-Signature: i={i}; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA\r\n"
            out += f"ARC-Authentication-Results: i={i}; mx.example.org; arc=pass\r\n"
        return out + "From: a@example.org\r\nSubject: chain\r\n\r\nbody\r\n"
    write(t, "one-set", message((1, "none")))
    write(t, "three-sets", message((3, "pass"), (2, "pass"), (1, "none")))
    write(t, "gap", message((3, "pass"), (1, "none")))
    write(t, "duplicate", message((1, "none"), (1, "none")))
    write(t, "missing-aar", "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA\r\n"
          "ARC-Message-Signature: i=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA\r\n\r\n")
    write(t, "no-arc", "From: a@example.org\r\n\r\nbody\r\n")
    write(t, "folded-lf", message((2, "pass"), (1, "none")).replace("\r\n", "\n").replace("; b=", ";\n\tb="))


def main():
    arc_fields()
    arc_chain()
    tag_list()
    dkim_signature()
    domainkey_signature()
    key_record()
    txt_rdata()
    base64_seeds()
    address()
    header()
    canon_header()
    canon_bodies()
    milter_reply()
    qmail_envelope()
    qmail_message()
    config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
