"""Runs the README's first command (`bash scripts/demo.sh`) and checks what a
user sees: the main.cf lines, the DNS records, a self-check that says
dkim=pass for both keys, a milter that answers mail, and a script that stops
with its milter when told to.

Used by demo_test.py (on this machine) and fresh_root.py (in a minimal
Debian root). The script is started as a session of its own, so that every
process it leaves behind can be found by its session id.

  run = DemoRun(argv, cwd, env, work_dir, port)
  run.start(); run.wait_ready(timeout)      # until "The milter's log follows"
  run.check_output()                        # main.cf, DNS records, dkim=pass x2
  run.stop(signal.SIGTERM)                  # the script and the milter end within 10 s
"""

import os
import re
import signal
import subprocess
import threading
import time

READY_LINE = "The milter's log follows. Ctrl-C stops it."
STOP_LIMIT = 10.0  # seconds the issue gives the script and its milter to stop


class Failure(Exception):
    pass


def fenced_blocks(path: str, lang: str | None) -> list[list[str]]:
    """The fenced blocks of a Markdown file whose info string is `lang` ("" for none), each as
    its lines, comments and blank lines left out."""
    blocks, current, current_lang = [], None, ""
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("```"):
                if current is None:
                    current, current_lang = [], line[3:].strip()
                else:
                    if current_lang == lang:
                        blocks.append([x for x in current if x.strip() and not x.lstrip().startswith("#")])
                    current = None
            elif current is not None:
                current.append(line)
    return blocks


def report(title: str, held: list[str], failure: object = None) -> int:
    """Prints the checks that held (and the failure, if any); returns the exit status."""
    for line in held:
        print("ok:", line)
    if failure is not None:
        print(f"{title}: FAILED: {failure}")
        return 1
    print(f"{title}: {len(held)} checks held")
    return 0


def session_processes(sid: int) -> list[tuple[int, str]]:
    """The processes of session `sid` (pid, command line), zombies left out."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.append((int(entry), cmdline))
    return out


def alive(pid: int) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


class DemoRun:
    def __init__(self, argv: list[str], cwd: str, env: dict[str, str], work_dir: str, port: int):
        self.argv, self.cwd, self.env = argv, cwd, env
        self.work_dir = work_dir  # build/demo, as this process sees it
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.ready = threading.Event()
        self.milter_pid = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()

    def _read(self, stream, lines: list[str]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if line == READY_LINE:
                self.ready.set()

    def transcript(self, last: int = 40) -> str:
        return ("stdout:\n  " + "\n  ".join(self.stdout[-last:]) +
                "\nstderr:\n  " + "\n  ".join(self.stderr[-last:]))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(1):
            if self.proc.poll() is not None:
                time.sleep(0.5)  # let the readers take the last lines
                raise Failure(f"demo.sh exited {self.proc.returncode} before its milter was ready\n"
                              + self.transcript())
            if time.monotonic() > deadline:
                raise Failure(f"demo.sh was not ready within {timeout:.0f} s\n" + self.transcript())
        text = "\n".join(self.stdout)
        m = re.search(r"signet-milter is running on 127\.0\.0\.1:(\d+) \(pid (\d+)\)", text)
        if not m or int(m.group(1)) != self.port:
            raise Failure(f"demo.sh did not say it runs on 127.0.0.1:{self.port}\n" + self.transcript())
        self.milter_pid = int(m.group(2))
        if not alive(self.milter_pid):
            raise Failure(f"the milter demo.sh named (pid {self.milter_pid}) is not running")

    def check_output(self) -> list[str]:
        """What a user must see; returns the checks that held, one line each."""
        text = "\n".join(self.stdout)
        held = []
        for line in (f"smtpd_milters = inet:127.0.0.1:{self.port}", "non_smtpd_milters = $smtpd_milters",
                     "milter_default_action = accept", "milter_protocol = 6"):
            if not any(out.strip() == line for out in self.stdout):
                raise Failure(f"the main.cf line {line!r} is missing\n" + self.transcript(80))
            held.append(f"main.cf line: {line}")
        for selector, kind in (("demo-rsa", "rsa"), ("demo-ed", "ed25519")):
            with open(os.path.join(self.work_dir, "keys", f"{selector}.txt")) as f:
                record = f.read().strip()
            if not re.match(rf'^{selector}\._domainkey\.\S+\. \d+ IN TXT "v=DKIM1; k={kind}; p=', record):
                raise Failure(f"{selector}.txt is not a DKIM TXT record: {record[:120]!r}")
            if record not in self.stdout:
                raise Failure(f"the DNS record of {selector} is not printed as a line of its own\n"
                              + self.transcript(80))
            held.append(f"DNS record printed: {record[:60]}...")
        results = self.authentication_results()
        for selector in ("demo-rsa", "demo-ed"):
            if not any(r.startswith("dkim=pass") and f"header.s={selector}" in r.split() for r in results):
                raise Failure(f"the self-check has no dkim=pass for s={selector}: {results}")
            held.append(f"self-check: dkim=pass header.s={selector}")
        return held

    def authentication_results(self) -> list[str]:
        """The resinfo parts of the Authentication-Results field the self-check printed."""
        lines = self.stdout
        start = next((i for i, line in enumerate(lines) if line.startswith("Authentication-Results:")), None)
        if start is None:
            raise Failure("the self-check printed no Authentication-Results field\n" + self.transcript(80))
        field = lines[start]
        for line in lines[start + 1:]:
            if not line[:1].isspace():
                break
            field += " " + line.strip()
        field = re.sub(r"\([^()]*\)", "", field)  # comments may hold ';'
        return [" ".join(part.split()) for part in field.split(";")[1:]]

    def stop(self, sig: int, whole_group: bool = False) -> float:
        """Sends `sig` to the script (or, as a terminal's Ctrl-C does, to its process
        group); returns the seconds until the script, its milter and every process
        of its session had ended."""
        started = time.monotonic()
        if whole_group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            raise Failure(f"demo.sh still runs {STOP_LIMIT:.0f} s after signal {sig}: "
                          f"{session_processes(self.proc.pid)}")
        while alive(self.milter_pid) or session_processes(self.proc.pid):
            if time.monotonic() - started > STOP_LIMIT:
                raise Failure(f"{STOP_LIMIT:.0f} s after signal {sig}, left behind: "
                              f"milter alive={alive(self.milter_pid)}, {session_processes(self.proc.pid)}")
            time.sleep(0.05)
        seconds = time.monotonic() - started
        want = 128 + sig
        if self.proc.returncode not in (want, -sig):
            raise Failure(f"demo.sh exited {self.proc.returncode} after signal {sig}, expected {want}")
        return seconds

    def kill(self) -> None:
        """Whatever the checks found: nothing of the run is left running."""
        if self.proc is None:
            return
        for pid, _ in session_processes(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.milter_pid and alive(self.milter_pid):
            try:
                os.kill(self.milter_pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
