#!/usr/bin/env python3
"""Logs: one line per event with its level, journald's priorities when stderr
is the journal, and nothing about a student, a key or a payload in any line.

province 41 ── county 410102 ── school S, every process at ROLLCALL_LOG=debug.
A known student (a distinctive name, number, feedback and platform) is
imported, synced, changed and synced again by `sync --watch`, carried in a
bundle, backed up, audited. Then every line every process wrote (the
long-running ones' logs, and stdout and stderr of every command) is searched
for the student's name, number and the 18-digit ID inside it, the pseudonym
the county keys the student by (hex and raw), the feedback and platform
texts, every node's secret key and the pseudonym key (from the stores
themselves, hex either case) — none may appear — and for any run of 64 or
more hex digits, or of 40 or more base64 characters, that is not a node's
public key (a dumped payload or key would show as one).

The county runs with JOURNAL_STREAM naming its log file, as systemd sets it:
its every line starts with the syslog priority of its level ("<6>INFO ...",
"<4>WARN ...") and carries no time stamp; the others' lines start with the
time, the program and the level.
"""

import base64
import os
import re
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

NAME = "欧阳晓雯"
FEEDBACK = "家里只有一部旧手机需要借平板"
PLATFORM = "空中课堂测试平台"
PRIORITY = {"DEBUG": 7, "INFO": 6, "WARN": 4, "ERROR": 3}
PLAIN_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ rollcall-(agg|school): "
                        r"(DEBUG|INFO|WARN|ERROR) ")
JOURNAL_LINE = re.compile(r"^<(\d)>(DEBUG|INFO|WARN|ERROR) [a-z]")


def meta_blob(db, key):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        con.close()


class Logs(rh.RollcallTestCase):
    harness_name = "logs"

    @classmethod
    def build(cls):
        h = cls.h
        h.env["ROLLCALL_LOG"] = "debug"
        cls.outputs = []  # (what, text) of every command
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "410102", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.school = rh.School(h, "2141010230", "410102", cls.county)
        cls.county.enroll(cls.school)
        cls.prov.start()
        # The county's stderr is "the journal": JOURNAL_STREAM names its log file.
        log = h.path("agg-410102.log")
        open(log, "ab").close()
        st = os.stat(log)
        h.env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        try:
            cls.county.start()
        finally:
            del h.env["JOURNAL_STREAM"]

    def run_cmd(self, args, expect=rh.EXIT_OK):
        p = self.h.run(args, expect=expect)
        self.outputs.append((" ".join(args[:2]), p.stdout + p.stderr))
        return p

    def test_1_a_known_student_goes_everywhere(self):
        h, s = self.h, self.school
        self.student = rh.student_id("410102", "20120305", 417)
        rows = rh.read_csv(h.gen_students(s.id, s.county, 30, 91))
        rows.append({"student_id": self.student, "name": NAME, "grade": "4", "class": "2班",
                     "network": "mobile", "devices": "smartphone", "groups": "left_behind",
                     "assistance": "loaned_device:planned", "participation": "irregular",
                     "platform": PLATFORM, "feedback": FEEDBACK})
        path = h.path("known.csv")
        rh.write_csv(path, rows, header=rh.CSV_HEADER + ["platform", "feedback"])
        self.run_cmd([rh.SCHOOL, "import", "--db", s.db, path])
        s.rows = rh.merge_rows(s.rows, rh.read_csv(path))
        self.run_cmd([rh.SCHOOL, "sync", "--db", s.db, "--timeout", "30"])
        rh.wait_for_truth(h, (s,), (self.county, self.prov), 40)

        # A change, sent by a watching sync.
        watch = h.start("watch", [rh.SCHOOL, "sync", "--db", s.db, "--watch"])
        rows[-1]["participation"] = "absent"
        rows[-1]["assistance"] = ""
        path2 = h.path("known-2.csv")
        rh.write_csv(path2, rows[-1:], header=rh.CSV_HEADER + ["platform", "feedback"])
        self.run_cmd([rh.SCHOOL, "import", "--db", s.db, path2])
        s.rows = rh.merge_rows(s.rows, rh.read_csv(path2))
        rh.wait_for_truth(h, (s,), (self.county, self.prov), 40)
        self.assertEqual(h.stop(watch), 0)

        # A bundle carried by hand, then applied (already held: nothing twice).
        rows[-1]["feedback"] = FEEDBACK + "了"
        path3 = h.path("known-3.csv")
        rh.write_csv(path3, rows[-1:], header=rh.CSV_HEADER + ["platform", "feedback"])
        self.run_cmd([rh.SCHOOL, "import", "--db", s.db, path3])
        self.run_cmd([rh.SCHOOL, "bundle", "--db", s.db, "--out", h.path("s.rcl")])
        self.run_cmd([rh.AGG, "import-bundle", "--db", self.county.db, h.path("s.rcl")])
        self.run_cmd([rh.SCHOOL, "sync", "--db", s.db, "--timeout", "30"])
        for cmd in ([rh.SCHOOL, "status", "--db", s.db],
                    [rh.AGG, "status", "--db", self.county.db],
                    [rh.AGG, "audit", "--db", self.county.db],
                    [rh.AGG, "backup", "--db", self.county.db, "--out", h.path("c.bak")]):
            self.run_cmd(cmd)
        self.__class__.student = self.student

    def lines(self):
        self.county.stop()
        self.prov.stop()
        out = []
        for name in sorted(os.listdir(self.h.dir)):
            if name.endswith(".log"):
                with open(self.h.path(name), encoding="utf-8", errors="replace") as f:
                    out += [(name, l) for l in f.read().splitlines()]
        for what, text in self.outputs:
            out += [(what, l) for l in text.splitlines()]
        return out

    def test_2_no_line_holds_a_student_a_key_or_a_payload(self):
        s, county, prov = self.school, self.county, self.prov
        pseudo = rh.pseudonym(self.student)
        secrets = {
            "name": NAME, "student number": self.student, "ID number": self.student[1:],
            "feedback": FEEDBACK, "platform": PLATFORM,
            "pseudonym (hex)": pseudo.hex(),
            "pseudonym (base64)": base64.b64encode(pseudo).decode()[:40],
        }
        for label, db in (("school", s.db), ("county", county.db), ("province", prov.db)):
            secrets[label + " secret key"] = meta_blob(db, "secret_key").hex()
            secrets[label + " secret key (seed)"] = meta_blob(db, "secret_key")[:32].hex()
        secrets["pseudonym key"] = meta_blob(s.db, "pseudonym_key").hex()
        public = {k.lower() for k in (s.pubkey, county.pubkey, prov.pubkey)}
        lines = self.lines()
        self.assertGreater(len(lines), 20, "the processes should have logged")
        found = []
        for where, line in lines:
            low = line.lower()
            for label, secret in secrets.items():
                if secret.lower() in low:
                    found.append("%s: %s in %r" % (where, label, line))
            for run in re.findall(r"[0-9a-fA-F]{64,}", line):
                if run.lower() not in public:
                    found.append("%s: a hex run of %d in %r" % (where, len(run), line))
            for run in re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", line):
                if run.lower() not in public:
                    found.append("%s: a base64 run in %r" % (where, line))
        self.assertEqual(found, [], "log lines with what must never be logged")

    def test_3_one_line_per_event_and_journal_priorities(self):
        journal = plain = 0
        for where, line in self.lines():
            if where == "agg-410102.log":
                m = JOURNAL_LINE.match(line)
                self.assertIsNotNone(m, "county line not in the journal's form: %r" % line)
                self.assertEqual(int(m.group(1)), PRIORITY[m.group(2)], line)
                journal += 1
            elif where == "agg-41.log":
                self.assertRegex(line, PLAIN_LINE, "province line")
                plain += 1
        self.assertGreater(journal, 3)
        self.assertGreater(plain, 3)

    def test_4_no_warning_at_start(self):
        # libmicrohttpd logs through our logger only when it is given first; a start with the
        # dashboard and metrics listeners must say nothing above INFO.
        city = rh.Aggregator(self.h, "4101", "city")
        city.start(http="127.0.0.1:0", metrics="127.0.0.1:0")
        try:
            self.assertIsNotNone(city.http_port)
            self.assertIsNotNone(city.metrics_port)
        finally:
            city.stop()
        with open(self.h.path("agg-4101.log"), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        self.assertTrue(any("metrics" in l for l in lines), lines)
        for line in lines:
            self.assertRegex(line, PLAIN_LINE)
            self.assertRegex(line, r": (DEBUG|INFO) ", "a warning at start")

    def test_6_every_line_splits_into_fields(self):
        # The checker the harness applies to every process: a sentence without '=', then
        # fields; a quoted value may hold spaces, '=' and escaped quotes.
        good = ('2026-03-01T08:00:00Z rollcall-agg: WARN ingest: batch refused source=410102 '
                'reason="say \\"no\\" a=b \\\\ end"')
        self.assertEqual(rh.log_fields(good), {"source": "410102", "reason": 'say "no" a=b \\ end'})
        self.assertEqual(rh.log_fields("<6>INFO run: stopping"), {})
        for bad in ("<4>WARN ingest: refused a batch from source=4: epoch 3 is old",
                    '<4>WARN ingest: batch refused reason="open',
                    "<4>WARN ingest: batch refused reason=two words",
                    "<4>WARN school store: reading failed err=x"):
            self.assertIsNone(rh.log_fields(bad), bad)
        self.assertEqual(rh.log_fields("students.csv:7: grade '13' is out of range"), {})
        # Every log line here, at debug level, parses; the county's applied batches are the
        # school's, from seq 1 on without a hole, each with as many changes as seqs.
        applied = []
        for where, line in self.lines():
            fields = rh.log_fields(line)
            self.assertIsNotNone(fields, "%s: %r" % (where, line))
            if where == "agg-410102.log" and "ingest: applied batch " in line:
                applied.append(fields)
        self.assertTrue(applied, "the county logged no applied batch")
        want = 1
        for f in applied:
            self.assertEqual(f["source"], self.school.id, f)
            first, last = (int(x) for x in f["seq"].split(".."))
            self.assertEqual(first, want, applied)
            self.assertEqual(int(f["changes"]), last - first + 1, f)
            want = last + 1

    def test_5_a_failing_command_ends_with_an_error_line_of_the_log(self):
        import subprocess
        for args, area in (([rh.AGG, "run", "--db", self.h.path("none-agg.db")], "run"),
                           ([rh.SCHOOL, "status", "--db", self.h.path("none-school.db")],
                            "status")):
            db = args[-1]
            # On a terminal or a pipe: the time, the program and the level.
            p = self.h.run(args, expect=rh.EXIT_DATA)
            last = p.stderr.splitlines()[-1]
            self.assertRegex(last, PLAIN_LINE)
            self.assertIn(" ERROR %s: " % area, last)
            self.assertTrue(last.endswith(" db=%s" % db), last)
            # Under systemd: the priority of an error, 3, whatever the log level.
            out = self.h.path("journal-%s.log" % area)
            with open(out, "wb") as f:
                st = os.fstat(f.fileno())
                env = dict(self.h.env, ROLLCALL_LOG="error",
                           JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
                rc = subprocess.run(args, stderr=f, stdout=subprocess.DEVNULL, env=env,
                                    cwd=self.h.dir, timeout=60).returncode
            self.assertEqual(rc, rh.EXIT_DATA)
            with open(out, encoding="utf-8") as f:
                lines = f.read().splitlines()
            self.assertEqual(lines, ["<3>" + last.split(": ", 1)[1]], "the same line, in the journal's form")


if __name__ == "__main__":
    rh.main()
