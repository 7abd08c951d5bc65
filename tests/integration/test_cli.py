#!/usr/bin/env python3
"""The command-line contract: exit codes, FILE:LINE errors, atomic import,
a dead upstream, report formats, and reports while `run` is running."""

import csv
import io
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


class Cli(rh.RollcallTestCase):
    harness_name = "cli"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, "410102", "county")
        cls.school = rh.School(h, "2141010230", "410102", cls.county)
        cls.county.enroll(cls.school)
        cls.county.start()
        cls.school.generate(40, 41)
        cls.school.sync()

    def test_1_bad_rows_are_all_reported_and_nothing_is_applied(self):
        before = self.school.report()["students"]
        good = {"student_id": rh.student_id("410102", "20120101", 501), "name": "周一",
                "grade": "1", "class": "1班", "network": "mobile", "devices": "smartphone",
                "groups": "", "assistance": "", "participation": ""}
        bad_check = rh.student_id("410102", "20110101", 502)
        bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
        rows = [
            good,                                                                    # line 2
            dict(good, student_id=rh.student_id("410102", "20120101", 503), grade="13"),  # 3
            dict(good, student_id=rh.student_id("410102", "20120101", 504), name="吴二"),  # 4
            dict(good, student_id=bad_check),                                        # line 5
            dict(good, student_id=rh.student_id("410102", "20120101", 505), network="wifi"),  # 6
            dict(good, student_id=rh.student_id("410102", "20120101", 506),
                 participation="sometimes"),                                         # line 7
        ]
        path = self.h.path("bad.csv")
        rh.write_csv(path, rows)
        p = self.school.import_csv(path, expect=rh.EXIT_DATA)
        for line, what in ((3, "grade"), (5, "check digit"), (6, "network 'wifi'"),
                           (7, "participation 'sometimes'")):
            self.assertIn("bad.csv:%d:" % line, p.stderr,
                          "the error for line %d (%s) should be reported as FILE:LINE; stderr:\n%s"
                          % (line, what, p.stderr))
        for line in (2, 4):
            self.assertNotIn("bad.csv:%d:" % line, p.stderr, "line %d is valid" % line)
        self.assertIn("wifi", p.stderr)
        self.assertEqual(self.school.report()["students"], before,
                         "an import with bad rows must apply nothing")
        self.assertEqual(rh.pending_changes(self.school.status()), 0)

    def test_2_an_unknown_column_is_named(self):
        path = self.h.path("unknown-column.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("student_id,name,grade,class,shoe_size\n")
            f.write("%s,郑三,2,1班,32\n" % rh.student_id("410102", "20110101", 507))
        p = self.school.import_csv(path, expect=rh.EXIT_DATA)
        self.assertIn("shoe_size", p.stderr)
        self.assertIn("student_id", p.stderr, "the error should list the accepted columns")

    def test_3_usage_errors_exit_2(self):
        db = self.school.db
        cases = [
            [rh.SCHOOL],
            [rh.SCHOOL, "frobnicate"],
            [rh.SCHOOL, "import", "--db", db],
            [rh.SCHOOL, "sync"],
            [rh.SCHOOL, "sync", "--db", db, "--bogus"],
            [rh.SCHOOL, "report", "--db", db, "--format", "yaml"],
            [rh.AGG],
            [rh.AGG, "frobnicate"],
            [rh.AGG, "enroll", "--db", self.county.db],
            [rh.AGG, "init", "--db", self.h.path("x.db"), "--id", "1"],
            [rh.AGG, "report", "--db", self.county.db, "--format", "pdf"],
        ]
        for args in cases:
            p = self.h.run(args, expect=None)
            shown = " ".join(os.path.basename(a) for a in args)
            self.assertEqual(p.returncode, rh.EXIT_USAGE, "%s should exit 2 (usage), got %d: %s"
                             % (shown, p.returncode, p.stderr))
            self.assertTrue(p.stderr.strip(), "%s: a usage error says why on stderr" % args)
        for args in ([rh.SCHOOL, "--help"], [rh.SCHOOL, "import", "--help"],
                     [rh.AGG, "--help"], [rh.AGG, "run", "--help"]):
            p = self.h.run(args, expect=rh.EXIT_OK)
            self.assertIn("--db", p.stdout + p.stderr)

    def test_4_a_dead_upstream_exits_3_and_keeps_the_changes(self):
        dead = self.h.reserve_port()
        s = rh.School(self.h, "2141010231", "410102", self.county,
                      endpoint="tcp://127.0.0.1:%d" % dead)
        s.generate(10, 42)
        # It gives up by itself: a sync that hung would be stopped by the harness and fail.
        p = s.sync(expect=rh.EXIT_UPSTREAM, timeout=2)
        self.assertTrue(rh.has_log_event(p.stderr, "no acknowledgement in time",
                                         upstream="tcp://127.0.0.1:%d" % dead, timeout_s="2"),
                        "sync should say why it failed:\n" + p.stderr)
        self.assertGreater(rh.pending_changes(s.status()) or 0, 0,
                           "the changes stay pending after a failed sync")
        self.assertEqual(s.report()["students"], 10, "the data is kept")

    def test_5_report_formats(self):
        text = self.county.report("csv")
        # A UTF-8 byte order mark may lead, so that Excel reads the Chinese names right.
        text = text[1:] if text.startswith("\ufeff") else text
        rows = list(csv.reader(io.StringIO(text)))
        self.assertGreaterEqual(len(rows), 3, "header, a school, total:\n" + text)
        self.assertEqual(rows[0][:4], ["id", "name", "schools", "reported"])
        self.assertIn("students", rows[0])
        by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:] if r}
        self.assertIn("total", by_id, "the CSV ends with a 'total' row:\n" + text)
        self.assertIn(self.school.id, by_id)
        self.assertEqual(int(by_id["total"]["students"]), len(self.school.rows))
        self.assertEqual(int(by_id[self.school.id]["students"]), len(self.school.rows))

        html = self.county.report("html")
        self.assertIn("<html", html.lower())
        self.assertIn(self.school.id, html)

        p = self.h.run([rh.SCHOOL, "report", "--db", self.school.db, "--format", "csv"])
        self.assertIn("students", p.stdout)
        self.assertIn(str(len(self.school.rows)), p.stdout)

    def test_6_report_works_while_run_is_running(self):
        self.assertIsNone(self.county.proc.poll(), "the county aggregator is running")
        for _ in range(3):
            r = self.county.report()
            self.assertEqual(r["totals"]["students"], len(self.school.rows))
            self.assertEqual(r["completeness"]["expected"], 1)
            self.assertEqual(r["completeness"]["reported"], 1)
            self.assertEqual(r["completeness"]["missing"], [])

    def test_7_status_json_and_text(self):
        self.assertEqual(rh.pending_changes(self.school.status()), 0)
        p = self.h.run([rh.SCHOOL, "status", "--db", self.school.db])
        self.assertTrue(p.stdout.strip())

    def test_8_missing_files_are_data_errors(self):
        p = self.h.run([rh.SCHOOL, "import", "--db", self.school.db, self.h.path("nope.csv")],
                       expect=rh.EXIT_DATA)
        self.assertIn("nope.csv", p.stderr)
        p = self.h.run([rh.AGG, "report", "--db", self.h.path("nope.db")], expect=rh.EXIT_DATA)
        self.assertIn("nope.db", p.stderr)

    def test_9_progress_line_only_when_asked_or_on_a_terminal(self):
        path = self.h.gen_students(self.school.id, self.school.county, 300, 99,
                                   path=self.h.path("progress.csv"))
        # Not a terminal: quiet.
        p = self.school.import_csv(path)
        self.assertNotIn("\x1b[K", p.stderr)
        # Forced (as on a terminal): drawn in place, then erased before the result line.
        saved, self.h.env = self.h.env, dict(self.h.env, ROLLCALL_PROGRESS="1")
        try:
            more = self.h.gen_students(self.school.id, self.school.county, 320, 98,
                                       path=self.h.path("progress2.csv"))
            p = self.school.import_csv(more)
            # (The harness reads text: a carriage return arrives as a newline.)
            self.assertRegex(p.stderr, r"\n\x1b\[K导入 \d+/320 行 \d+%")
            p = self.school.sync()
            self.assertRegex(p.stderr, r"\n\x1b\[Ksync: \d+ of \d+ changes \(\d+%\), \d+ pending")
            # Erased at the end; the INFO lines held back under it follow, whole.
            before, after = p.stderr.rsplit("\x1b[K", 1)
            self.assertTrue(before.endswith("\n"), p.stderr[-300:])
            self.assertNotRegex(after, r"sync: \d+ of", "the progress line should be erased")
            for line in after.splitlines():
                self.assertRegex(line, r"^\d{4}-\d\d-\d\dT[\d:]+Z rollcall-school: INFO ")
        finally:
            self.h.env = saved
        self.assertIn("in totals:", p.stdout)


if __name__ == "__main__":
    rh.main()
