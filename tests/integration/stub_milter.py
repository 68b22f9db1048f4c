"""A scriptable milter (the filter side of the milter protocol, version 6) for
the qmail-signet integration test (qmail_test.py): it answers as it is told
and records everything the MTA side sent, for assertions.

  stub = StubMilter(edits=[("h", "X-Added", "yes"), ("i", 0, "X-Top", "1")],
                    final="continue", unix_path=None)
  ... run the MTA side against stub.socket (inet:PORT@127.0.0.1) ...
  s = stub.sessions[-1]           # one Session per connection, in accept order
  s.commands, s.macros, s.headers, s.body, s.mail, s.rcpts, s.connect
  stub.close()

Behaviours (all per instance):
  edits          sent at end of message, one packet each, in order:
                   ("h", name, value)          SMFIR_ADDHEADER
                   ("i", index, name, value)   SMFIR_INSHEADER
                   ("m", index, name, value)   SMFIR_CHGHEADER (empty value deletes)
                   ("b", bytes)                SMFIR_REPLBODY (several = chunks, concatenated)
                   ("e", sender[, args])       SMFIR_CHGFROM
                   ("+", rcpt)                 SMFIR_ADDRCPT
                   ("-", rcpt)                 SMFIR_DELRCPT
                   ("q", reason)               SMFIR_QUARANTINE
  final          the end-of-message reply: "continue", "accept", "reject", "tempfail",
                 "discard", or an SMTP reply "550 5.7.1 text" (SMFIR_REPLYCODE)
  replies        {step: word} for an earlier step ("connect", "helo", "mail", "rcpt",
                 "header", "eoh", "body"); a word as for `final`
  version        the version negotiated back (6; 2 for an old filter)
  leadspc        ask for SMFIP_HDR_LEADSPC (header values with their leading space)
  protocol       more SMFIP_* bits to ask for (e.g. SMFIP_NR_HDR)
  progress       SMFIR_PROGRESS packets sent before the end-of-message edits
  hang_at        a step ("optneg", ..., "eom") at which it never answers (the
                 connection stays open until close())
  close_after    at end of message: close the connection after this many edits
                 (a milter killed in the middle of its reply)
  garbage_at     a step at which it answers `garbage` (default: a packet with an
                 unknown reply letter)
  oversized_at   a step at which it announces a packet of 0x7fffff00 bytes and
                 sends one byte of it
  delay          seconds to sleep before every reply

Everything listens on 127.0.0.1 (and on `unix_path` when given).
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

SMFIP_NR_HDR = 0x80
SMFIP_HDR_LEADSPC = 0x100000
ALL_ACTIONS = 0x1FF

STEPS = {b"O": "optneg", b"C": "connect", b"H": "helo", b"M": "mail", b"R": "rcpt", b"L": "header",
         b"N": "eoh", b"B": "body", b"E": "eom", b"T": "data", b"U": "unknown"}
NO_REPLY = {b"D", b"A", b"Q"}  # macros, abort, quit
WORD_LETTERS = {"continue": b"c", "accept": b"a", "reject": b"r", "tempfail": b"t", "discard": b"d",
                "skip": b"s"}
DEFAULT_GARBAGE = struct.pack("!I", 5) + b"Zjunk"


def packet(letter: bytes, data: bytes = b"") -> bytes:
    return struct.pack("!I", len(data) + 1) + letter + data


def reply_packet(word: str) -> bytes:
    if word in WORD_LETTERS:
        return packet(WORD_LETTERS[word])
    return packet(b"y", word.encode() + b"\0")  # an SMTP reply: "550 5.7.1 text"


def z(v) -> bytes:
    """A NUL-terminated field from str or bytes."""
    return (v.encode() if isinstance(v, str) else v) + b"\0"


def edit_packet(edit: tuple) -> bytes:
    kind = edit[0]
    if kind == "h":
        return packet(b"h", z(edit[1]) + z(edit[2]))
    if kind in ("i", "m"):
        return packet(kind.encode(), struct.pack("!I", edit[1]) + z(edit[2]) + z(edit[3]))
    if kind == "b":
        return packet(b"b", edit[1])
    if kind == "e":
        return packet(b"e", z(edit[1]) + (z(edit[2]) if len(edit) > 2 and edit[2] else b""))
    if kind in ("+", "-", "q"):
        return packet(kind.encode(), z(edit[1]))
    raise ValueError(f"unknown edit kind {kind!r}")


def nul_fields(data: bytes) -> list[bytes]:
    parts = data.split(b"\0")
    return parts[:-1] if parts and parts[-1] == b"" else parts


class Session:
    """What one MTA connection sent."""

    def __init__(self):
        self.commands: list[bytes] = []          # command letters in order (macros included)
        self.optneg: tuple[int, int, int] | None = None
        self.macros: dict[str, dict[str, str]] = {}   # stage letter -> {name: value}
        self.connect: dict | None = None         # hostname, family, port, address
        self.helo: bytes | None = None
        self.mail: list[bytes] = []              # MAIL args (sender first)
        self.rcpts: list[list[bytes]] = []       # RCPT args per recipient
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.body_chunks = 0
        self.eom = False
        self.aborts = 0
        self.quit = False
        self.closed_by_peer = False
        self.problems: list[str] = []            # malformed commands the stub saw

    def all_macros(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for stage in self.macros.values():
            out.update(stage)
        return out

    def macro_stage(self, name: str) -> str | None:
        for stage, values in self.macros.items():
            if name in values:
                return stage
        return None


class StubMilter:
    def __init__(self, edits: list[tuple] = (), final: str = "continue", replies: dict[str, str] | None = None,
                 version: int = 6, leadspc: bool = False, protocol: int = 0, progress: int = 0,
                 hang_at: str | None = None, close_after: int | None = None, garbage_at: str | None = None,
                 garbage: bytes = DEFAULT_GARBAGE, oversized_at: str | None = None, delay: float = 0.0,
                 unix_path: str | None = None, record_body: bool = True):
        self.edits = list(edits)
        self.final = final
        self.replies = dict(replies or {})
        self.version = version
        self.protocol = protocol | (SMFIP_HDR_LEADSPC if leadspc else 0)
        self.progress = progress
        self.hang_at = hang_at
        self.close_after = close_after
        self.garbage_at = garbage_at
        self.garbage = garbage
        self.oversized_at = oversized_at
        self.delay = delay
        self.record_body = record_body
        self.sessions: list[Session] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.conns: list[socket.socket] = []
        self.listeners: list[socket.socket] = []
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(64)
        self.port = tcp.getsockname()[1]
        self.listeners.append(tcp)
        self.unix_path = unix_path
        if unix_path:
            if os.path.exists(unix_path):
                os.unlink(unix_path)
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.bind(unix_path)
            unix.listen(64)
            self.listeners.append(unix)
        for listener in self.listeners:
            t = threading.Thread(target=self._accept, args=(listener,), daemon=True)
            t.start()
            self.threads.append(t)

    @property
    def socket(self) -> str:
        return f"inet:{self.port}@127.0.0.1"

    @property
    def unix_socket(self) -> str:
        return f"unix:{self.unix_path}"

    @property
    def connections(self) -> int:
        with self.lock:
            return len(self.sessions)

    def last(self) -> Session | None:
        with self.lock:
            return self.sessions[-1] if self.sessions else None

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Waits until every connection thread has finished (the MTA side hung up)."""
        deadline = time.monotonic() + timeout
        for t in list(self.threads[len(self.listeners):]):
            t.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self.stopping.set()
        for listener in self.listeners:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(5)
        if self.unix_path and os.path.exists(self.unix_path):
            os.unlink(self.unix_path)

    # ------------------------------------------------------------------ serving

    def _accept(self, listener: socket.socket) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            session = Session()
            with self.lock:
                self.sessions.append(session)
                self.conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, session), daemon=True)
            t.start()
            self.threads.append(t)

    def _hang(self, conn: socket.socket) -> None:
        """Never answers; reads (and drops) whatever comes until the peer or close() ends it."""
        while not self.stopping.is_set():
            try:
                if not conn.recv(65536):
                    return
            except OSError:
                return

    def _serve(self, conn: socket.socket, s: Session) -> None:
        if conn.family == socket.AF_INET:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        try:
            while True:
                while len(buffer) < 4 or len(buffer) < 4 + struct.unpack("!I", buffer[:4])[0]:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        s.closed_by_peer = not s.quit
                        return
                    buffer += chunk
                size = struct.unpack("!I", buffer[:4])[0]
                if size == 0:
                    s.problems.append("a packet of length 0")
                    return
                command, data, buffer = buffer[4:5], buffer[5:4 + size], buffer[4 + size:]
                if not self._command(conn, s, command, data):
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _record(self, s: Session, command: bytes, data: bytes) -> None:
        s.commands.append(command)
        if command == b"O":
            if len(data) >= 12:
                s.optneg = struct.unpack("!III", data[:12])
            else:
                s.problems.append(f"short option negotiation: {len(data)} bytes")
        elif command == b"D":
            stage = data[:1].decode("latin-1")
            fields = nul_fields(data[1:])
            if len(fields) % 2:
                s.problems.append(f"macro packet for stage {stage!r} with an odd number of fields")
            values = s.macros.setdefault(stage, {})
            for i in range(0, len(fields) - 1, 2):
                values[fields[i].decode("utf-8", "replace")] = fields[i + 1].decode("utf-8", "replace")
        elif command == b"C":
            host, _, rest = data.partition(b"\0")
            info = {"hostname": host.decode("utf-8", "replace"), "family": rest[:1].decode("latin-1")}
            if rest[:1] in (b"4", b"6") and len(rest) >= 3:
                info["port"] = struct.unpack("!H", rest[1:3])[0]
                info["address"] = rest[3:].rstrip(b"\0").decode("utf-8", "replace")
            elif rest[:1] == b"L":
                info["port"] = struct.unpack("!H", rest[1:3])[0] if len(rest) >= 3 else None
                info["address"] = rest[3:].rstrip(b"\0").decode("utf-8", "replace")
            s.connect = info
        elif command == b"H":
            s.helo = data.rstrip(b"\0")
        elif command == b"M":
            s.mail = nul_fields(data)
        elif command == b"R":
            s.rcpts.append(nul_fields(data))
        elif command == b"L":
            fields = data.split(b"\0")
            if len(fields) != 3 or fields[2] != b"":
                s.problems.append(f"header packet with {len(fields) - 1} NULs: {data[:60]!r}")
            s.headers.append((fields[0], fields[1] if len(fields) > 1 else b""))
        elif command == b"B":
            s.body_chunks += 1
            if self.record_body:
                s.body += data
        elif command == b"E":
            if data:  # a last body chunk may ride on end of body
                s.body += data
            s.eom = True
        elif command == b"A":
            s.aborts += 1
        elif command == b"Q":
            s.quit = True

    def _command(self, conn: socket.socket, s: Session, command: bytes, data: bytes) -> bool:
        """Records and answers one command; False ends the connection."""
        self._record(s, command, data)
        if command == b"Q":
            return False
        if command in NO_REPLY:
            return True
        step = STEPS.get(command, "unknown")
        if self.hang_at == step:
            self._hang(conn)
            return False
        if self.delay:
            time.sleep(self.delay)
        if self.garbage_at == step:
            conn.sendall(self.garbage)
            self._hang(conn)
            return False
        if self.oversized_at == step:
            conn.sendall(struct.pack("!I", 0x7FFFFF00) + b"c")
            self._hang(conn)
            return False
        if command == b"O":
            offered_actions = s.optneg[1] if s.optneg else ALL_ACTIONS
            conn.sendall(packet(b"O", struct.pack("!III", self.version, offered_actions & ALL_ACTIONS,
                                                  self.protocol)))
            return True
        if command == b"E":
            return self._end_of_message(conn)
        if command == b"L" and self.protocol & SMFIP_NR_HDR:
            return True
        conn.sendall(reply_packet(self.replies.get(step, "continue")))
        return True

    def _end_of_message(self, conn: socket.socket) -> bool:
        for _ in range(self.progress):
            conn.sendall(packet(b"p"))
        for n, edit in enumerate(self.edits):
            if self.close_after is not None and n >= self.close_after:
                return False
            conn.sendall(edit_packet(edit))
        if self.close_after is not None and self.close_after <= len(self.edits):
            return False  # killed after all the edits, before the final reply
        conn.sendall(reply_packet(self.final))
        return True


def _selftest() -> int:
    """Plays miltertest_client.py's MTA side against the stub (development check)."""
    import miltertest_client as mc
    stub = StubMilter(edits=[("i", 0, "X-Top", "1"), ("h", "X-Added", "yes"), ("m", 1, "Subject", "new"),
                             ("b", b"new body\r\n"), ("e", "<x@example.org>"), ("+", "<c@example.net>"),
                             ("-", "<bob@example.net>"), ("q", "held")], leadspc=True)
    try:
        conn = mc.MilterClient(stub.port)
        conn.connect_info("mail.example.org", "192.0.2.1", {"{daemon_name}": "ORIGINATING"})
        reply = conn.message(b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
        conn.quit()
        stub.wait_idle()
        s = stub.last()
        ok = (reply.word == "continue" and [e[0] for e in reply.edits] == [b"i", b"h", b"m", b"b", b"e", b"+", b"-",
                                                                            b"q"]
              and s.headers == [(b"From", b" a@example.com"), (b"Subject", b" hi")] and bytes(s.body) == b"body\r\n"
              and s.all_macros().get("j") == "mx.signet.test" and s.connect["address"] == "192.0.2.1"
              and s.quit and s.mail == [b"<alice@example.com>"])
        print("stub selftest", "PASS" if ok else "FAIL", reply.word, reply.edits, s.headers, bytes(s.body),
              s.macros, s.connect, s.mail, s.rcpts, s.commands)
        for word, expect in [("reject", "reject"), ("550 5.7.1 no", "replycode"), ("discard", "discard")]:
            stub.final = word
            conn = mc.MilterClient(stub.port)
            conn.connect_info("h", "192.0.2.1")
            r = conn.message(b"From: a@example.com\r\n\r\nb\r\n")
            conn.quit()
            print("stub selftest final", word, "PASS" if r.word == expect else "FAIL", r.word, r.smtp_reply)
            ok = ok and r.word == expect
        return 0 if ok else 1
    finally:
        stub.close()


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(_selftest())
