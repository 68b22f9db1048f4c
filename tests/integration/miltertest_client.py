"""A small milter client (the MTA side of the milter protocol, version 6),
for what miltertest(8) cannot show: the order of the header edits across
field names, a connection kept open while the daemon reloads, and how long
the end-of-message reply takes over TCP when the MTA delays its ACKs.

Used by miltertest_driver.py. Everything is on 127.0.0.1.

  conn = MilterClient(port, delayed_ack=True)   # connects and negotiates
  conn.connect_info("mail.example.org", "192.0.2.1")
  reply = conn.message(msg)                     # MAIL ... end of body; a Reply
  conn.quit()

With delayed_ack the client sets TCP_QUICKACK off after every recv(), as an
MTA host does whose kernel delays ACKs (Linux leaves quick-ACK mode on its
own after a few segments; this makes it certain). A milter that sends its
end-of-message reply as several small writes without TCP_NODELAY then waits
for the client's delayed ACK (40 ms on Linux) before the last write goes out
(Nagle's algorithm), which is what Reply.seconds shows.
"""

import socket
import struct
import time

# Commands (MTA to milter).
SMFIC_ABORT = b"A"
SMFIC_BODY = b"B"
SMFIC_CONNECT = b"C"
SMFIC_MACRO = b"D"
SMFIC_BODYEOB = b"E"
SMFIC_HELO = b"H"
SMFIC_HEADER = b"L"
SMFIC_MAIL = b"M"
SMFIC_EOH = b"N"
SMFIC_OPTNEG = b"O"
SMFIC_QUIT = b"Q"
SMFIC_RCPT = b"R"
SMFIC_DATA = b"T"

# Replies (milter to MTA).
SMFIR_ADDRCPT = b"+"
SMFIR_DELRCPT = b"-"
SMFIR_ACCEPT = b"a"
SMFIR_REPLBODY = b"b"
SMFIR_CONTINUE = b"c"
SMFIR_DISCARD = b"d"
SMFIR_ADDHEADER = b"h"
SMFIR_INSHEADER = b"i"
SMFIR_CHGHEADER = b"m"
SMFIR_PROGRESS = b"p"
SMFIR_QUARANTINE = b"q"
SMFIR_REJECT = b"r"
SMFIR_SKIP = b"s"
SMFIR_TEMPFAIL = b"t"
SMFIR_REPLYCODE = b"y"
FINAL = {SMFIR_ACCEPT, SMFIR_CONTINUE, SMFIR_DISCARD, SMFIR_REJECT, SMFIR_TEMPFAIL, SMFIR_REPLYCODE,
         SMFIR_SKIP}
WORDS = {b"a": "accept", b"c": "continue", b"d": "discard", b"r": "reject", b"t": "tempfail",
         b"y": "replycode", b"s": "skip"}

# Protocol flags (SMFIP_*).
SMFIP_NOCONNECT = 0x1
SMFIP_NOHELO = 0x2
SMFIP_NOMAIL = 0x4
SMFIP_NORCPT = 0x8
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NOUNKNOWN = 0x100
SMFIP_NODATA = 0x200
SMFIP_SKIP = 0x400
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_DATA = 0x10000
SMFIP_NR_UNKN = 0x20000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000
SMFIP_HDR_LEADSPC = 0x100000
# What this client offers: every step may be left out or left unanswered,
# and header values may keep their leading space (as Postfix offers); the
# steps the milter leaves out are then not sent (MilterClient.step).
OFFERED_PROTOCOL = 0x001FFFFF
OFFERED_ACTIONS = 0x1FF  # SMFIF_ADDHDRS ... SMFIF_SETSYMLIST


class ProtocolError(Exception):
    pass


class Reply:
    """The milter's answer to end of body: the edits in the order they came, then the final reply."""

    def __init__(self):
        self.edits: list[tuple[bytes, bytes]] = []  # (reply letter, payload)
        self.final = b""
        self.final_data = b""
        self.seconds = 0.0  # from sending SMFIC_BODYEOB to the final reply

    @property
    def word(self) -> str:
        return WORDS.get(self.final, repr(self.final))

    @property
    def smtp_reply(self) -> str:
        return self.final_data.rstrip(b"\0").decode("utf-8", "replace") if self.final == SMFIR_REPLYCODE else ""

    def inserts(self) -> list[tuple[int, bytes, bytes]]:
        """SMFIR_INSHEADER requests as (index, name, value), in the order sent."""
        out = []
        for letter, data in self.edits:
            if letter == SMFIR_INSHEADER:
                index = struct.unpack("!I", data[:4])[0]
                name, value, _ = data[4:].split(b"\0", 2)
                out.append((index, name, value))
        return out

    def inserted(self, name: bytes) -> list[bytes]:
        return [v for _, n, v in self.inserts() if n.lower() == name.lower()]

    def apply(self, msg: bytes, leading_space: bool) -> bytes:
        """The message as the MTA stores it after the header inserts (index 0 = above the first field)."""
        head, sep, body = msg.partition(b"\r\n\r\n")
        fields: list[bytes] = []
        for line in (head + b"\r\n").split(b"\r\n")[:-1]:
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] += b"\r\n" + line
            else:
                fields.append(line)
        for index, name, value in self.inserts():
            value = value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            sep_ = b":" if leading_space or value[:1] in (b" ", b"\t") else b": "
            fields.insert(index, name + sep_ + value)
        return b"\r\n".join(fields) + b"\r\n" + sep[2:] + body if sep else msg


class MilterClient:
    def __init__(self, port: int | str, delayed_ack: bool = False, timeout: float = 30.0):
        """port: a TCP port on 127.0.0.1, or the path of a unix socket."""
        self.delayed_ack = delayed_ack and isinstance(port, int)
        if isinstance(port, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(port)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            # A macro packet and its command go out as two writes; without
            # TCP_NODELAY the second would wait for the milter's delayed ACK of
            # the first (the milter does not answer macros), as an MTA that
            # buffers both into one write never does.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self._slow()
        self.send(SMFIC_OPTNEG, struct.pack("!III", 6, OFFERED_ACTIONS, OFFERED_PROTOCOL))
        letter, data = self.read()
        if letter != SMFIC_OPTNEG or len(data) < 12:
            raise ProtocolError(f"option negotiation: got {letter!r} {data[:40]!r}")
        self.version, self.actions, self.protocol = struct.unpack("!III", data[:12])
        self.leading_space = bool(self.protocol & SMFIP_HDR_LEADSPC)

    def _slow(self) -> None:
        if self.delayed_ack:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)

    def send(self, command: bytes, data: bytes = b"") -> None:
        self.sock.sendall(struct.pack("!I", len(data) + 1) + command + data)

    def _fill(self, size: int) -> None:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            self._slow()
            if not chunk:
                raise ProtocolError("the milter closed the connection")
            self.buffer += chunk

    def read(self) -> tuple[bytes, bytes]:
        self._fill(4)
        size = struct.unpack("!I", self.buffer[:4])[0]
        if size == 0 or size > 1 << 20:
            raise ProtocolError(f"bad reply length {size}")
        self._fill(4 + size)
        packet, self.buffer = self.buffer[4:4 + size], self.buffer[4 + size:]
        return packet[:1], packet[1:]

    def step(self, command: bytes, data: bytes, no_reply_flag: int = 0, skip_flag: int = 0) -> bytes:
        """Sends one command and returns the milter's reply letter (b"" when none is due)."""
        if skip_flag and self.protocol & skip_flag:
            return b""
        self.send(command, data)
        if no_reply_flag and self.protocol & no_reply_flag:
            return b""
        while True:
            letter, payload = self.read()
            if letter != SMFIR_PROGRESS:
                if letter not in FINAL:
                    raise ProtocolError(f"reply {letter!r} to {command!r}")
                return letter

    def macro(self, stage: bytes, values: dict[str, str]) -> None:
        data = stage
        for k, v in values.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(SMFIC_MACRO, data)

    def connect_info(self, hostname: str, address: str, macros: dict[str, str] | None = None) -> bytes:
        self.macro(SMFIC_CONNECT, {"j": "mx.signet.test", **(macros or {})})
        return self.step(SMFIC_CONNECT, hostname.encode() + b"\0" + b"4" + struct.pack("!H", 25) +
                         address.encode() + b"\0", SMFIP_NR_CONN, SMFIP_NOCONNECT)

    def begin(self, mail_macros: dict[str, str] | None = None, queue_id: str = "MTQ1",
              sender: bytes = b"<alice@example.com>", recipient: bytes = b"<bob@example.net>") -> bytes:
        """HELO, MAIL, RCPT and DATA, each unless the milter asked for it to be left out, as
        Postfix does; returns the first reply that is not continue."""
        r = self.step(SMFIC_HELO, b"client.example.org\0", SMFIP_NR_HELO, SMFIP_NOHELO)
        if r not in (b"", SMFIR_CONTINUE):
            return r
        self.macro(SMFIC_MAIL, {"i": queue_id, **(mail_macros or {})})
        for command, data, nr, skip in [(SMFIC_MAIL, sender + b"\0", SMFIP_NR_MAIL, SMFIP_NOMAIL),
                                         (SMFIC_RCPT, recipient + b"\0", SMFIP_NR_RCPT, SMFIP_NORCPT),
                                         (SMFIC_DATA, b"", SMFIP_NR_DATA, SMFIP_NODATA)]:
            r = self.step(command, data, nr, skip)
            if r not in (b"", SMFIR_CONTINUE):
                return r
        return SMFIR_CONTINUE

    def headers(self, head: bytes) -> bytes:
        """Sends the header fields of `head` (CRLF lines) and end of headers."""
        fields: list[tuple[bytes, bytes]] = []
        for line in head.split(b"\r\n"):
            if not line:
                continue
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + b"\n" + line)
            else:
                name, _, value = line.partition(b":")
                fields.append((name, value))
        for name, value in fields:
            if not self.leading_space and value[:1] == b" ":
                value = value[1:]
            r = self.step(SMFIC_HEADER, name + b"\0" + value + b"\0", SMFIP_NR_HDR, SMFIP_NOHDRS)
            if r not in (b"", SMFIR_CONTINUE):
                return r
        r = self.step(SMFIC_EOH, b"", SMFIP_NR_EOH, SMFIP_NOEOH)
        return r if r not in (b"", SMFIR_CONTINUE) else SMFIR_CONTINUE

    def body_chunks(self, body: bytes) -> bytes:
        for i in range(0, len(body), 65535):
            r = self.step(SMFIC_BODY, body[i:i + 65535], SMFIP_NR_BODY, SMFIP_NOBODY)
            if r not in (b"", SMFIR_CONTINUE):
                return r
        return SMFIR_CONTINUE

    def end_of_message(self) -> Reply:
        reply = Reply()
        started = time.perf_counter()
        self.send(SMFIC_BODYEOB)
        while True:
            letter, data = self.read()
            if letter == SMFIR_PROGRESS:
                continue
            if letter in FINAL:
                reply.seconds = time.perf_counter() - started
                reply.final, reply.final_data = letter, data
                return reply
            reply.edits.append((letter, data))

    def message(self, msg: bytes, mail_macros: dict[str, str] | None = None, queue_id: str = "MTQ1") -> Reply:
        """One whole message; an early non-continue reply ends it (Reply.final, no edits)."""
        head, sep, body = msg.partition(b"\r\n\r\n")
        if not sep:
            raise ProtocolError("message without a header/body separator")
        for r in (lambda: self.begin(mail_macros, queue_id), lambda: self.headers(head + b"\r\n"),
                  lambda: self.body_chunks(body)):
            got = r()
            if got != SMFIR_CONTINUE:
                early = Reply()
                early.final = got
                self.send(SMFIC_ABORT)
                return early
        return self.end_of_message()

    def quit(self) -> None:
        try:
            self.send(SMFIC_QUIT)
        except OSError:
            pass
        self.sock.close()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


class StubMilter:
    """A milter stand-in on 127.0.0.1 that answers every command with continue
    and end of body with one SMFIR_INSHEADER then SMFIR_CONTINUE, each its own
    write, like libmilter. With nodelay=False it shows what a milter without
    TCP_NODELAY costs a client that delays its ACKs: the control that proves
    the latency check can see the stall it looks for."""

    def __init__(self, nodelay: bool):
        import threading
        self.nodelay = nodelay
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            if self.nodelay:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buffer = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while len(buffer) >= 4 and len(buffer) >= 4 + struct.unpack("!I", buffer[:4])[0]:
                    size = struct.unpack("!I", buffer[:4])[0]
                    command, buffer = buffer[4:5], buffer[4 + size:]
                    if command == SMFIC_OPTNEG:
                        conn.sendall(struct.pack("!I", 13) + SMFIC_OPTNEG +
                                     struct.pack("!III", 6, 0x31, SMFIP_HDR_LEADSPC))
                    elif command == SMFIC_BODYEOB:
                        field = struct.pack("!I", 0) + b"X-Stub\0 yes\0"
                        conn.sendall(struct.pack("!I", len(field) + 1) + SMFIR_INSHEADER + field)
                        conn.sendall(struct.pack("!I", 1) + SMFIR_CONTINUE)
                    elif command == SMFIC_QUIT:
                        return
                    elif command not in (SMFIC_MACRO, SMFIC_ABORT):
                        conn.sendall(struct.pack("!I", 1) + SMFIR_CONTINUE)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)
