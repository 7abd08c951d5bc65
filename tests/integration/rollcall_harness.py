"""rollcall_harness - shared helpers for rollcall's integration tests.

Every test runs real rollcall-school / rollcall-agg processes over 127.0.0.1
in a temporary folder of its own, with a time limit, and stops everything it
started. Standard library only.

Environment:
  ROLLCALL_BIN        folder with rollcall-school, rollcall-agg, rollcall-gen
                      (default: <repo>/build/bin)
  ROLLCALL_SHARED     the shared reference data (default: <repo>/../shared)
  ROLLCALL_TEST_KEEP  1 keeps the temporary folder (its path is printed)

The reference rules (condition, blind spot, totals) are implemented here
again, independently of the C code, straight from DESIGN.md, so the reports
are checked against figures the tests compute themselves.
"""

import csv
import ctypes
import fcntl
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("ROLLCALL_BIN") or os.path.join(REPO, "build", "bin")
SHARED = os.environ.get("ROLLCALL_SHARED") or os.path.join(os.path.dirname(REPO), "shared")

SCHOOL = os.path.join(BIN, "rollcall-school")
AGG = os.path.join(BIN, "rollcall-agg")
GEN = os.path.join(BIN, "rollcall-gen")

# Exit codes of the command-line contract.
EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_UPSTREAM = 0, 1, 2, 3

# The sets of DESIGN.md, in their documented order.
NETWORKS = ("broadband", "mobile", "cable_tv")
DEVICES = ("computer", "tablet", "smartphone", "tv")
GROUPS = ("poverty_card", "hardship", "frontline_family", "left_behind", "migrant",
          "disabled", "other")
MEASURES = ("tv_at_village", "loaned_device", "data_subsidy", "one_to_one",
            "paper_materials", "funding")
PARTICIPATION = ("active", "irregular", "absent", "opted_out")
CSV_HEADER = ["student_id", "name", "grade", "class", "network", "devices", "groups",
              "assistance", "participation"]

# Generous: on a loaded machine with sanitizers a start can take many seconds; polled.
LISTEN_TIMEOUT = 60
TEST_TIME_LIMIT = int(os.environ.get("ROLLCALL_TEST_TIME_LIMIT", "160"))


# ---------------------------------------------------------------- reference rules

def _items(cell):
    return [w.strip() for w in (cell or "").split(";") if w.strip()]


def measures_in_place(cell):
    """Kinds whose status is in place: a bare kind, or kind:in_place."""
    kinds = set()
    for item in _items(cell):
        kind, _, status = item.partition(":")
        if status in ("", "in_place"):
            kinds.add(kind.strip())
    return kinds


def condition(row):
    net, dev = set(_items(row["network"])), set(_items(row["devices"]))
    if net & {"broadband", "mobile"} and dev & {"computer", "tablet", "smartphone"}:
        return "online"
    if "tv" in dev and net & {"cable_tv", "broadband"}:
        return "tv_only"
    return "none"


def participation(row):
    return (row.get("participation") or "").strip() or "active"


def is_blind_spot(row):
    return ((condition(row) == "none" or participation(row) == "absent")
            and not measures_in_place(row.get("assistance")))


def expected_blind_spots(rows_by_school, names):
    """The county's blind-spot list of rows_by_school ({school id: CSV rows}; names: {school id:
    name}), as rollcall-agg list blind-spots orders it: urgency 1 (lacking conditions, in a
    special group), 2 (lacking), 3 (absent, in a group), 4 (absent); more groups first, then
    the absent ones, then by school, grade, class and name. also_at: the other schools where
    the same student id is enrolled."""
    out = []
    schools_of = {}
    for school, rows in rows_by_school.items():
        for r in rows:
            schools_of.setdefault(r["student_id"], set()).add(school)
    for school, rows in rows_by_school.items():
        for r in rows:
            if not is_blind_spot(r):
                continue
            lacking = condition(r) == "none"
            absent = participation(r) == "absent"
            groups = [g for g in GROUPS if g in set(_items(r["groups"]))]
            urgency = (1 if lacking else 3) + (0 if groups else 1)
            why = (["lacking_conditions"] if lacking else []) + (["absent"] if absent else [])
            out.append({"urgency": urgency, "school_id": school, "school_name": names[school],
                        "grade": int(r["grade"]), "class": r["class"], "name": r["name"],
                        "why": why, "groups": groups, "participation": participation(r),
                        "measures": _items(r["assistance"]),
                        "also_at": sorted(schools_of[r["student_id"]] - {school})})
    out.sort(key=lambda e: (e["urgency"], -len(e["groups"]), "absent" not in e["why"],
                            e["school_id"], e["grade"], e["class"].encode("utf-8"),
                            e["name"].encode("utf-8")))
    return out


def empty_totals():
    return {
        "students": 0, "condition_online": 0, "condition_tv_only": 0, "condition_none": 0,
        "blind_spots": 0,
        "groups": {g: 0 for g in GROUPS},
        "measures": {m: 0 for m in MEASURES},
        "participation": {p: 0 for p in PARTICIPATION},
    }


def totals_of(rows):
    """Totals over student rows (dicts with the CSV's columns)."""
    t = empty_totals()
    for row in rows:
        t["students"] += 1
        t["condition_" + condition(row)] += 1
        if is_blind_spot(row):
            t["blind_spots"] += 1
        for g in set(_items(row["groups"])):
            t["groups"][g] += 1
        for m in measures_in_place(row.get("assistance")):
            t["measures"][m] += 1
        t["participation"][participation(row)] += 1
    return t


def add_totals(*many):
    out = empty_totals()
    for t in many:
        for k, v in t.items():
            if isinstance(v, dict):
                for kk, vv in v.items():
                    out[k][kk] = out[k].get(kk, 0) + vv
            else:
                out[k] += v
    return out


def comparable(t):
    """The contract's part of a totals object (extra keys a report may add are ignored)."""
    ref = empty_totals()
    out = {}
    for k, v in ref.items():
        if isinstance(v, dict):
            got = (t or {}).get(k) or {}
            out[k] = {kk: got.get(kk) for kk in v}
        else:
            out[k] = (t or {}).get(k)
    return out


def id_check_char(digits17):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(digits17, weights)) % 11]


def student_id(county, birth, seq):
    """'G' + a valid 18-character ID number: county (6), birth YYYYMMDD, 3-digit seq."""
    d = "%s%s%03d" % (county, birth, seq)
    return "G" + d + id_check_char(d)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# What import needs beside participation opted_out: the approved application that allows it
# (without one, import files a pending application and keeps the participation it had).
OPTOUT_APPROVED = {"optout_status": "approved", "optout_decided": "2020-02-17"}


def write_csv(path, rows, header=CSV_HEADER):
    def opted_out(row):
        return (row.get("participation") or "").strip() == "opted_out"

    if any(opted_out(r) or "optout_status" in r for r in rows):
        header = list(header) + [k for k in OPTOUT_APPROVED if k not in header]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for row in rows:
            if opted_out(row) and not row.get("optout_status"):
                row = dict(row, **OPTOUT_APPROVED)
            w.writerow(row)


def merge_rows(*lists):
    """Import upserts by student id and never deletes: the store after importing each list."""
    merged = {}
    for rows in lists:
        for row in rows:
            merged[row["student_id"]] = row
    return list(merged.values())


# ---------------------------------------------------------------- processes

def _die_with_parent():
    # Children must not outlive a test killed by ctest's time-out.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def tail(path, lines=25):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return "(no log: %s)" % e


class CommandFailed(AssertionError):
    pass


# A sanitizer's report fails the test whatever the exit code (a test may expect 1 or 3).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


# A log event (rcl_log.h): "TIME program: LEVEL area: sentence key=value ...", or
# "<N>LEVEL area: ..." when stderr is the journal; a value is one word without
# a space or a quote, or "quoted" with \" and \\ escaped. The sentence holds
# no '=': what varies goes in the fields.
LOG_EVENT_START = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ rollcall-[a-z]+: |<[0-7]>)"
                             r"(DEBUG|INFO|WARN|ERROR) ")
LOG_EVENT = re.compile(r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ rollcall-[a-z]+: |<[0-7]>)"
                       r"(?:DEBUG|INFO|WARN|ERROR) [a-z][a-z-]*: [^=]*?"
                       r"((?: [a-z][a-z_]*=(?:\"(?:[^\"\\]|\\.)*\"|[^ \"]+))*)$")
LOG_FIELD = re.compile(r' ([a-z][a-z_]*)=("(?:[^"\\]|\\.)*"|[^ "]+)')


def log_fields(line):
    """The key=value fields of a log event as a dict (quoted values unescaped); None if the line
    is a log event that breaks the format. A line that is no log event gives {}."""
    if not LOG_EVENT_START.match(line):
        return {}
    m = LOG_EVENT.match(line)
    if not m:
        return None
    fields = {}
    for key, value in LOG_FIELD.findall(m.group(1)):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[key] = value
    return fields


def log_events(text):
    """(line, fields) of every log event of text, in order; fields as log_fields gives them."""
    out = []
    for line in text.split("\n"):
        line = line.rsplit("\x1b[K", 1)[-1]
        fields = log_fields(line)
        if fields is not None and LOG_EVENT_START.match(line):
            out.append((line, fields))
    return out


def has_log_event(text, words, **fields):
    """Whether text holds a log event saying words with these field values."""
    return any(words in line and all(f.get(k) == v for k, v in fields.items())
               for line, f in log_events(text))


def log_format_problem(text):
    """The first log event of text (a process's stderr) that breaks the format, or None. Lines
    that are no log event (a command's own lines, usage, stdout in a log file) are skipped; a
    progress line redrawn in place is cut at its last erase."""
    for line in text.split("\n"):
        line = line.rsplit("\x1b[K", 1)[-1]
        if log_fields(line) is None:
            return line
    return None


def sanitizer_report(text):
    for mark in SANITIZER_MARKS:
        at = text.find(mark)
        if at >= 0:
            return text[max(0, at - 200):at + 3000]
    return None


PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "rollcall-test-ports")


def reservable_ports():
    """The ports reserve_port() hands out: the 12,000 below the system's ephemeral range."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_lo = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_lo = 32768
    hi = ephemeral_lo - 1
    return max(1024, hi - 12000), hi


def _bindable(port):
    """True when nothing listens on 127.0.0.1:port (SO_REUSEADDR, as ZeroMQ binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def read_listen_file(db):
    """What `rollcall-agg run` wrote into DB.listen: {"pid": int, "sync": ep, "http": addr}."""
    out = {}
    try:
        with open(db + ".listen", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition(" ")
                out[key] = int(value) if key == "pid" else value
    except (OSError, ValueError):
        return None
    return out


class Harness:
    """A temporary folder, the processes started in it, and helpers to drive them."""

    def __init__(self, name):
        for exe in (SCHOOL, AGG, GEN):
            if not os.access(exe, os.X_OK):
                raise AssertionError("%s is missing or not executable (set ROLLCALL_BIN)" % exe)
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="rollcall-%s-" % name)
        self.procs = []  # (label, Popen, log path)
        self.ports = {}  # reserved port -> its lock file's descriptor
        self.env = dict(os.environ)
        self.env.setdefault("ROLLCALL_LOG", "info")
        # A locale that asks for no language, whoever runs the suite: the commands speak
        # English (which the tests read) and the page Chinese. A test wanting another sets it.
        for k in ("LC_ALL", "LC_MESSAGES"):
            self.env.pop(k, None)
        self.env["LANG"] = "C.UTF-8"

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # -- ports

    def reserve_port(self):
        """A port of 127.0.0.1 that this harness holds until close(), for a process that must
        listen on a port known before it starts (a county whose schools are given its
        endpoint at init, and keep it across the county's restarts).

        Not a guess at a free port: the port is below the system's ephemeral range, where no
        outgoing connection is ever given a port, and it is locked (flock on a file in
        PORT_LOCK_DIR) against every other harness on this machine while this one runs. What
        needs no port in advance (a dashboard) listens on port 0 and says what it bound."""
        os.makedirs(PORT_LOCK_DIR, mode=0o1777, exist_ok=True)
        lo, hi = reservable_ports()
        first = random.randrange(lo, hi + 1)
        for i in range(hi - lo + 1):
            port = lo + (first - lo + i) % (hi - lo + 1)
            if port in self.ports:
                continue
            fd = os.open(os.path.join(PORT_LOCK_DIR, "%d.lock" % port), os.O_RDWR | os.O_CREAT,
                         0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            if not _bindable(port):
                os.close(fd)
                continue
            self.ports[port] = fd
            return port
        raise AssertionError("no port of 127.0.0.1 in %d-%d left to reserve" % (lo, hi))

    # -- commands

    def run(self, args, expect=EXIT_OK, timeout=60, input_text=None):
        """Runs a command; fails the test unless it exits with `expect` (None = any)."""
        started = time.monotonic()
        try:
            p = subprocess.run(args, input=input_text, capture_output=True, text=True,
                               timeout=timeout, env=self.env, cwd=self.dir,
                               encoding="utf-8", errors="replace")
        except subprocess.TimeoutExpired as e:
            raise CommandFailed("command did not finish within %ss: %s\nstderr: %s"
                                % (timeout, " ".join(args), e.stderr)) from None
        report = sanitizer_report(p.stderr)
        if report:
            raise CommandFailed("sanitizer error in: %s\n%s" % (" ".join(args), report))
        bad = log_format_problem(p.stderr)
        if bad is not None:
            raise CommandFailed("a log line breaks the format (rcl_log.h) in: %s\n%s"
                                % (" ".join(args), bad))
        if expect is not None and p.returncode != expect:
            raise CommandFailed(
                "command exited %d, expected %d: %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                % (p.returncode, expect, " ".join(args), p.stdout[-3000:], p.stderr[-3000:]))
        return p

    def gen_students(self, school, county, count, seed, path=None):
        path = path or self.path("students-%s.csv" % school)
        p = self.run([GEN, "students", "--school", school, "--county", county,
                      "--count", str(count), "--seed", str(seed)])
        with open(path, "w", encoding="utf-8") as f:
            f.write(p.stdout)
        return path

    # -- long-running processes

    def start(self, label, args, port=None):
        log = self.path("%s.log" % label)
        logf = open(log, "ab")
        proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=self.env, cwd=self.dir,
                                preexec_fn=_die_with_parent)
        logf.close()
        self.procs.append((label, proc, log))
        if port is not None:
            self.wait_listening(label, proc, log, port)
        return proc

    def wait_listen_file(self, label, proc, log, db, timeout=LISTEN_TIMEOUT):
        """Waits until `proc` (a `rollcall-agg run` of the store db) has written DB.listen, the
        ports it bound; returns read_listen_file()'s dict."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("%s exited (%d) before listening; log:\n%s"
                                     % (label, proc.returncode, tail(log)))
            bound = read_listen_file(db)
            if bound and bound.get("pid") == proc.pid:
                return bound
            time.sleep(0.05)
        raise AssertionError("%s wrote no %s.listen after %ss; log:\n%s"
                             % (label, db, timeout, tail(log)))

    def wait_listening(self, label, proc, log, port, timeout=LISTEN_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("%s exited (%d) before listening on port %d; log:\n%s"
                                     % (label, proc.returncode, port, tail(log)))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("%s does not listen on port %d after %ss; log:\n%s"
                             % (label, port, timeout, tail(log)))

    def stop(self, proc, timeout=5):
        """SIGTERM, then SIGKILL after `timeout` s. Returns the exit status, or None if killed."""
        for i, (label, p, log) in enumerate(self.procs):
            if p is proc:
                del self.procs[i]
                return self._stop_one(label, p, log, timeout)
        return proc.poll()

    def _stop_one(self, label, p, log, timeout):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError("%s did not stop within %ss of SIGTERM; log:\n%s"
                                     % (label, timeout, tail(log)))
        if p.returncode != 0:
            raise AssertionError("%s exited with status %d (expected a clean stop, 0); log:\n%s"
                                 % (label, p.returncode, tail(log)))
        try:
            with open(log, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        report = sanitizer_report(text)
        if report:
            raise AssertionError("sanitizer error in %s:\n%s" % (label, report))
        bad = log_format_problem(text)
        if bad is not None:
            raise AssertionError("a log line of %s breaks the format (rcl_log.h):\n%s"
                                 % (label, bad))
        return p.returncode

    def close(self):
        """Stops every process still running; removes the folder. Raises if one stopped badly."""
        problems = []
        while self.procs:
            label, p, log = self.procs.pop()
            try:
                self._stop_one(label, p, log, 5)
            except AssertionError as e:
                problems.append(str(e))
        while self.ports:
            os.close(self.ports.popitem()[1])
        if os.environ.get("ROLLCALL_TEST_KEEP") == "1":
            print("kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if problems:
            raise AssertionError("\n".join(problems))

    def logs(self):
        """Tails of every log, for a failure message."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log"):
                out.append("--- %s ---\n%s" % (name, tail(self.path(name), 15)))
        return "\n".join(out)


def wait_until(predicate, timeout, what, interval=0.2):
    """Polls predicate() until it returns a true value; returns it, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except (CommandFailed, ValueError, KeyError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %ss waiting for %s (last: %r)"
                                 % (timeout, what, last))
        time.sleep(interval)


# ---------------------------------------------------------------- nodes

class Aggregator:
    def __init__(self, h, ident, tier, upstream=None):
        self.h, self.id, self.tier = h, ident, tier
        self.db = h.path("agg-%s.db" % ident)
        # Reserved, not port 0: schools and children are given this endpoint at their init,
        # before the aggregator first runs, and keep it across its restarts.
        self.port = h.reserve_port()
        self.endpoint = "tcp://127.0.0.1:%d" % self.port
        self.proc = None
        self.http_port = self.metrics_port = None
        args = [AGG, "init", "--db", self.db, "--id", ident, "--tier", tier,
                "--listen", self.endpoint]
        if upstream is not None:
            args += ["--upstream", upstream.endpoint, "--upstream-key", upstream.pubkey]
        h.run(args)
        self.pubkey = h.run([AGG, "pubkey", "--db", self.db]).stdout.strip()
        if len(self.pubkey) != 64:
            raise AssertionError("rollcall-agg pubkey printed %r, not 64 hex characters"
                                 % self.pubkey)

    def enroll(self, node, expect=EXIT_OK):
        return self.h.run([AGG, "enroll", "--db", self.db, "--source", node.id,
                           "--key", node.pubkey], expect=expect)

    def revoke(self, node, expect=EXIT_OK):
        return self.h.run([AGG, "revoke", "--db", self.db, "--source", node.id], expect=expect)

    def start(self, http=None, metrics=None, extra=()):
        """`run`, returned once it listens (it says so in DB.listen). http, metrics: --http and
        --metrics values; with port 0 the system picks the port, found in self.http_port and
        self.metrics_port. extra: further arguments of run (--tls-cert FILE ...)."""
        label = "agg-%s" % self.id
        args = [AGG, "run", "--db", self.db] + (["--http", http] if http else [])
        args += (["--metrics", metrics] if metrics else []) + list(extra)
        self.proc = self.h.start(label, args)
        bound = self.h.wait_listen_file(label, self.proc, self.h.path("%s.log" % label), self.db)
        if bound.get("sync") != self.endpoint:
            raise AssertionError("%s listens on %s, not on its endpoint %s"
                                 % (label, bound.get("sync"), self.endpoint))
        if "http" in bound:
            self.http_port = int(bound["http"].rsplit(":", 1)[1])
        if "metrics" in bound:
            self.metrics_port = int(bound["metrics"].rsplit(":", 1)[1])
        return self

    def stop(self):
        if self.proc is not None:
            self.h.stop(self.proc)
            self.proc = None

    def report(self, fmt="json"):
        p = self.h.run([AGG, "report", "--db", self.db, "--format", fmt])
        if fmt != "json":
            return p.stdout
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AssertionError("rollcall-agg report of %s is not JSON (%s):\n%s"
                                 % (self.id, e, p.stdout[:2000])) from None

    def log(self):
        return tail(self.h.path("agg-%s.log" % self.id))

    def audit(self):
        """`audit`: every source's chain of batches is sound (exit 0), or the test fails."""
        return self.h.run([AGG, "audit", "--db", self.db]).stdout


class School:
    def __init__(self, h, ident, county, upstream, name=None, upstream_key=None, endpoint=None):
        self.h, self.id, self.county = h, ident, county
        self.name = name or "测试学校%s" % ident[-4:]
        self.db = h.path("school-%s.db" % ident)
        self.rows = []  # what the school's store should hold, as CSV rows
        h.run([SCHOOL, "init", "--db", self.db, "--school", ident, "--county", county,
               "--name", self.name, "--upstream", endpoint or upstream.endpoint,
               "--upstream-key", upstream_key or upstream.pubkey])
        self.pubkey = h.run([SCHOOL, "pubkey", "--db", self.db]).stdout.strip()
        if len(self.pubkey) != 64:
            raise AssertionError("rollcall-school pubkey printed %r, not 64 hex characters"
                                 % self.pubkey)

    def import_csv(self, path, expect=EXIT_OK):
        p = self.h.run([SCHOOL, "import", "--db", self.db, path], expect=expect)
        if p.returncode == EXIT_OK:
            self.rows = merge_rows(self.rows, read_csv(path))
        return p

    def generate(self, count, seed):
        path = self.h.gen_students(self.id, self.county, count, seed)
        self.import_csv(path)
        return path

    def sync(self, expect=EXIT_OK, timeout=30):
        return self.h.run([SCHOOL, "sync", "--db", self.db, "--timeout", str(timeout)],
                          expect=expect, timeout=timeout + 30)

    def status(self):
        p = self.h.run([SCHOOL, "status", "--db", self.db, "--json"])
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AssertionError("rollcall-school status --json is not JSON (%s):\n%s"
                                 % (e, p.stdout[:2000])) from None

    def report(self):
        p = self.h.run([SCHOOL, "report", "--db", self.db, "--format", "json"])
        obj = json.loads(p.stdout)
        return obj["totals"] if isinstance(obj, dict) and "totals" in obj else obj

    def totals(self):
        return totals_of(self.rows)


def pending_changes(status):
    """The count of unacknowledged changes in `status --json` output: the first integer under a
    key that mentions 'pending'."""
    if isinstance(status, dict):
        for k, v in status.items():
            if "pending" in k and isinstance(v, int) and not isinstance(v, bool):
                return v
        for v in status.values():
            found = pending_changes(v)
            if found is not None:
                return found
    return None


def child(report, ident):
    for c in report.get("children", []):
        if str(c.get("id")) == ident:
            return c
    ids = [c.get("id") for c in report.get("children", [])]
    raise AssertionError("report of %s has no child %s (children: %s)"
                         % (report.get("scope"), ident, ids))


class TimeLimit:
    """Fails the running test (via SIGALRM) after `seconds`, so cleanup still runs."""

    def __init__(self, seconds=TEST_TIME_LIMIT):
        self.seconds = seconds

    def _fire(self, signum, frame):
        raise AssertionError("integration test exceeded its %ss time limit" % self.seconds)

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.alarm(self.seconds)
        return self

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.old)
        return False


class RollcallTestCase(unittest.TestCase):
    """A test case with one harness for the whole class, closed at the end, and a time limit."""

    maxDiff = None
    harness_name = "test"

    @classmethod
    def setUpClass(cls):
        cls._limit = TimeLimit()
        cls._limit.__enter__()
        cls.h = Harness(cls.harness_name)
        try:
            cls.build()
        except BaseException:
            logs = cls.h.logs()
            try:
                cls.h.close()
            finally:
                cls._limit.__exit__(None, None, None)
            print(logs, file=sys.stderr)
            raise

    @classmethod
    def build(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        try:
            cls.h.close()
        finally:
            cls._limit.__exit__(None, None, None)

    def assertTotals(self, got, want, what):
        self.assertEqual(comparable(got), comparable(want), "%s: totals differ" % what)


def main():
    # Test methods run in name order (test_1_..., test_2_...): later ones build on the state
    # the earlier ones left, so the whole file stops at the first failure.
    unittest.main(verbosity=2, failfast=True)


# ---------------------------------------------------------------- a bad link: rollcall-faultproxy

FAULTPROXY = os.path.join(BIN, "rollcall-faultproxy")


def start_with_stdout(h, label, args, port=None):
    """Like Harness.start, but stdout goes to <label>.out on its own (stderr to <label>.log)."""
    out, log = h.path("%s.out" % label), h.path("%s.log" % label)
    with open(out, "wb") as outf, open(log, "ab") as logf:
        proc = subprocess.Popen(args, stdout=outf, stderr=logf, stdin=subprocess.DEVNULL,
                                env=h.env, cwd=h.dir, preexec_fn=_die_with_parent)
    h.procs.append((label, proc, log))
    if port is not None:
        h.wait_listening(label, proc, log, port)
    return proc


class Via:
    """What a node is initialised with to reach `upstream` through a proxy: the proxy's
    endpoint, and the upstream's own key (the proxy serves with the upstream's key)."""

    def __init__(self, endpoint, upstream):
        self.endpoint = endpoint
        self.pubkey = upstream.pubkey


class FaultProxy:
    """A rollcall-faultproxy between the nodes added with add() and `upstream` (an Aggregator).

    Make it before the nodes (they are initialised with via()), add them, then start()."""

    def __init__(self, h, label, upstream):
        if not os.access(FAULTPROXY, os.X_OK):
            raise AssertionError("%s is missing or not executable (set ROLLCALL_BIN)"
                                 % FAULTPROXY)
        self.h, self.label, self.upstream = h, label, upstream
        self.port = h.reserve_port()
        self.endpoint = "tcp://127.0.0.1:%d" % self.port
        self.nodes = []
        self.proc = None
        self.counters = None

    def via(self):
        return Via(self.endpoint, self.upstream)

    def add(self, node):
        self.nodes.append(node)
        return node

    def start(self, seed=1, **knobs):
        """knobs: drop, dup, reorder, reorder_max_ms, delay_ms, jitter_ms, cut_every_ms,
        rate_bps (the proxy's options, with '_' for '-')."""
        args = [FAULTPROXY, "--listen", self.endpoint, "--upstream", self.upstream.endpoint,
                "--upstream-db", self.upstream.db, "--seed", str(seed)]
        for node in self.nodes:
            args += ["--client-db", node.db]
        for k, v in sorted(knobs.items()):
            args += ["--" + k.replace("_", "-"), str(v)]
        self.proc = start_with_stdout(self.h, self.label, args, port=self.port)
        return self

    def stop(self):
        """Stops it (it must exit 0) and returns its counters (the JSON line it printed)."""
        if self.proc is not None:
            self.h.stop(self.proc)
            self.proc = None
            with open(self.h.path("%s.out" % self.label), encoding="utf-8") as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
            if not lines:
                raise AssertionError("%s printed no counters on stdout; log:\n%s"
                                     % (self.label, tail(self.h.path("%s.log" % self.label))))
            try:
                self.counters = json.loads(lines[-1])
            except ValueError as e:
                raise AssertionError("%s: counters are not JSON (%s): %r"
                                     % (self.label, e, lines[-1])) from None
        return self.counters


# ---------------------------------------------------------------- syncing and checking stores

import hashlib  # noqa: E402
import sqlite3  # noqa: E402
import urllib.request  # noqa: E402


def province_with_county(h, county, school_ids):
    """A running province 41 with one running county enrolled, and its schools (not started:
    schools sync on demand) enrolled at the county. Returns (province, county, [schools])."""
    prov = Aggregator(h, "41", "province")
    agg = Aggregator(h, county, "county", upstream=prov)
    prov.enroll(agg)
    schools = [School(h, sid, county, agg) for sid in school_ids]
    for s in schools:
        agg.enroll(s)
    prov.start()
    agg.start()
    return prov, agg, schools


def sync_until_acked(h, schools, attempts=10, timeout=10):
    """Runs `sync` for every school at once, and again for those that exit 3 (not everything
    acknowledged), until each has exited 0. Any other exit code, a sanitizer report, or no
    success within `attempts` runs fails. Returns {school id: runs it took}."""
    runs = {s.id: 0 for s in schools}
    pending = list(schools)
    for _ in range(attempts):
        started = []
        for s in pending:
            out = h.path("sync-%s.last" % s.id)
            with open(out, "wb") as f:
                p = subprocess.Popen([SCHOOL, "sync", "--db", s.db, "--timeout", str(timeout)],
                                     stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=h.env, cwd=h.dir, preexec_fn=_die_with_parent)
            started.append((s, p, out))
        pending = []
        for s, p, out in started:
            try:
                p.wait(timeout + 30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError("sync of %s did not stop within %ss" % (s.id, timeout + 30))
            runs[s.id] += 1
            with open(out, encoding="utf-8", errors="replace") as f:
                text = f.read()
            with open(h.path("sync-%s.log" % s.id), "a", encoding="utf-8") as f:
                f.write("--- run %d: exit %d\n%s" % (runs[s.id], p.returncode, text))
            report = sanitizer_report(text)
            if report:
                raise AssertionError("sanitizer error in sync of %s:\n%s" % (s.id, report))
            bad = log_format_problem(text)
            if bad is not None:
                raise AssertionError("a log line of the sync of %s breaks the format (rcl_log.h):"
                                     "\n%s" % (s.id, bad))
            if p.returncode == EXIT_UPSTREAM:
                pending.append(s)
            elif p.returncode != EXIT_OK:
                raise AssertionError("sync of %s exited %d (expected 0, or 3 to retry):\n%s"
                                     % (s.id, p.returncode, text[-3000:]))
        if not pending:
            return runs
    raise AssertionError("sync of %s not acknowledged after %d runs; last output:\n%s"
                         % ([s.id for s in pending], attempts,
                            tail(h.path("sync-%s.last" % pending[0].id))))


def integrity_check(path):
    """PRAGMA integrity_check of a store, opened read-only: ['ok'] when sound."""
    con = sqlite3.connect("file:%s?mode=ro" % urllib.request.pathname2url(path), uri=True,
                          timeout=10)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    finally:
        con.close()


DEFAULT_PSEUDONYM_KEY_TEXT = b"rollcall default pseudonym key v1"


def pseudonym(student_number, key=None):
    """The county's key for a student: BLAKE2b-256 of the number, keyed with the province's
    pseudonym key (by default BLAKE2b-256 of the built-in text, as the README says)."""
    if key is None:
        key = hashlib.blake2b(DEFAULT_PSEUDONYM_KEY_TEXT, digest_size=32).digest()
    return hashlib.blake2b(student_number.encode("ascii"), digest_size=32, key=key).digest()


def county_student_rows(db):
    """{school id: [(pseudonym bytes, name, grade, class), ...]} from a county store, read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % urllib.request.pathname2url(db), uri=True,
                          timeout=10)
    try:
        out = {}
        for school, pn, name, grade, klass in con.execute(
                "SELECT school_id, pseudonym, name, grade, class FROM students"):
            out.setdefault(school, []).append((bytes(pn), name, int(grade), klass))
        return out
    finally:
        con.close()


# ---------------------------------------------------------------- aggregator state
def agg_status(agg):
    """`rollcall-agg status --json` of an aggregator, parsed."""
    p = agg.h.run([AGG, "status", "--db", agg.db, "--json"])
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise AssertionError("rollcall-agg status --json of %s is not JSON (%s):\n%s"
                             % (agg.id, e, p.stdout[:2000])) from None


def source_applied_seq(status, source_id):
    for s in status.get("sources", []):
        if str(s.get("id")) == source_id:
            return s.get("applied_seq")
    raise AssertionError("status of %s lists no source %s" % (status.get("id"), source_id))


def count_discrepancies(county_db, schools, province_totals=None):
    """Compares a county's student rows (keyed by pseudonym) and, if given, a province's totals
    with the truth the schools' CSVs say. Returns {"lost", "double", "differing"}: students the
    truth has and the store lacks (or the province counts fewer), rows held twice or not in the
    truth (or the province counts more), and rows whose name, grade or class differ."""
    held = county_student_rows(county_db)
    lost = double = differing = 0
    for s in schools:
        want = {pseudonym(r["student_id"]): r for r in s.rows}
        rows = held.get(s.id, [])
        got = {}
        for pn, name, grade, klass in rows:
            if pn in got or pn not in want:
                double += 1
            got[pn] = (name, grade, klass)
        for pn, r in want.items():
            if pn not in got:
                lost += 1
            elif got[pn] != (r["name"], int(r["grade"]), r["class"]):
                differing += 1
    if province_totals is not None:
        truth = sum(len(s.rows) for s in schools)
        counted = (province_totals or {}).get("students") or 0
        lost += max(0, truth - counted)
        double += max(0, counted - truth)
    return {"lost": lost, "double": double, "differing": differing}



# ---------------------------------------------------------------- backups

def backup(path):
    """A consistent copy of a store, path + ".bak", through SQLite's online backup API
    (what an operator would take), private like the store."""
    src = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    dst = sqlite3.connect(path + ".bak")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    os.chmod(path + ".bak", 0o600)


def add_students(h, school, count, seed, name):
    """New students for school (ids from another generator seed, none it already holds),
    imported; returns their rows."""
    path = h.gen_students(school.id, school.county, count, seed, path=h.path(name))
    known = {r["student_id"] for r in school.rows}
    fresh = [r for r in read_csv(path) if r["student_id"] not in known]
    write_csv(path, fresh)
    school.import_csv(path)
    return fresh


def restore(path):
    """Puts the backup back in place of a store whose process is stopped."""
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copyfile(path + ".bak", path)
    os.chmod(path, 0o600)


# ---------------------------------------------------------------- the invariant

def wait_for_truth(h, schools, aggregators, timeout=30):
    """Waits until every aggregator's totals equal the truth computed from the schools' CSV
    rows, and a county's child entry of each school equals that school's; fails with the
    figures and the logs otherwise. aggregators: (Aggregator, ...) above all the schools."""
    want = comparable(add_totals(*[s.totals() for s in schools]))

    def arrived():
        for agg in aggregators:
            r = agg.report()
            if comparable(r.get("totals")) != want:
                return False
            if agg.tier == "county" and not all(
                    comparable(child(r, s.id)["totals"]) == comparable(s.totals())
                    for s in schools):
                return False
        return True

    try:
        wait_until(arrived, timeout, "%s to show the truth"
                   % " and ".join(a.id for a in aggregators))
    except AssertionError as e:
        raise AssertionError("%s\nwant: %s\n%s\n%s" % (
            e, want, "\n".join("%s: %s" % (a.id, a.report().get("totals")) for a in aggregators),
            h.logs())) from None
