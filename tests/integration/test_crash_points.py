#!/usr/bin/env python3
"""A crash at any step of the protocol loses nothing acknowledged and counts nothing twice.

province 41 ── county 411381 ── schools A and B. For every named crash point
(proto/store/rcl_crash.c) of every role, the process of that role is started with
ROLLCALL_CRASH_AT naming the point, so it dies by SIGKILL exactly there
(after the commit and before the acknowledgement, after the acknowledgement
and before the sender records it, ...). Then it is started again normally,
the schools sync until they succeed, and the invariant is checked: the
province's and the county's totals equal the truth the test computes from
the CSVs, and every store passes PRAGMA integrity_check.
"""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

# (role, point): the role's process is the one that dies there.
SWEEP = [
    ("school", "seal-before-commit"),
    ("school", "uplink-after-send"),
    ("school", "ack-before-record"),
    ("school", "ack-after-record"),
    ("county", "ingest-before-commit"),
    ("county", "ingest-after-commit"),
    ("county", "seal-before-commit"),
    ("county", "uplink-after-send"),
    ("county", "ack-before-record"),
    ("county", "ack-after-record"),
    ("province", "ingest-before-commit"),
    ("province", "ingest-after-commit"),
]




class CrashPoints(rh.RollcallTestCase):
    harness_name = "crash-points"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov, cls.county, (cls.a, cls.b) = rh.province_with_county(
            h, "411381", ["2141138101", "3141138101"])
        cls.a.generate(80, 61)
        cls.b.generate(60, 62)
        cls.a.sync()
        cls.b.sync()
        cls.round = 0
        cls.crashes = 0

    # -- helpers

    def wait_for_truth(self, timeout=30):
        rh.wait_for_truth(self.h, (self.a, self.b), (self.county, self.prov), timeout)

    def start_armed(self, agg, point):
        env = self.h.env
        self.h.env = dict(env, ROLLCALL_CRASH_AT=point)
        try:
            agg.start()
        finally:
            self.h.env = env

    def reap(self, agg, point, timeout=20):
        """Waits for agg to die at point; forgets the dead process."""
        proc = agg.proc
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIsNotNone(proc.poll(), "%s did not reach crash point %s within %ss:\n%s"
                             % (agg.id, point, timeout, agg.log()))
        self.assertEqual(proc.returncode, -9, "%s should die by SIGKILL at %s:\n%s"
                         % (agg.id, point, agg.log()))
        self.h.procs = [p for p in self.h.procs if p[1] is not proc]
        agg.proc = None
        self.__class__.crashes += 1

    def change_something(self, school):
        """A few new students and one changed row, imported."""
        self.__class__.round += 1
        path = self.h.gen_students(school.id, school.county, 6, 700 + self.round,
                                   path=self.h.path("round-%d.csv" % self.round))
        known = {r["student_id"] for r in school.rows}
        rows = [r for r in rh.read_csv(path) if r["student_id"] not in known]
        if school.rows:
            first = dict(school.rows[self.round % len(school.rows)])
            first["participation"] = "absent" if first["participation"] != "absent" else ""
            rows.append(first)
        rh.write_csv(path, rows)
        school.import_csv(path)

    def sync_until_done(self, school, tries=8):
        for _ in range(tries):
            if school.sync(expect=None, timeout=6).returncode == rh.EXIT_OK:
                return
        self.fail("%s could not sync after the crash:\n%s" % (school.id, self.h.logs()))

    # -- the sweep

    def crash_school(self, point):
        self.change_something(self.a)
        env = dict(self.h.env, ROLLCALL_CRASH_AT=point)
        saved, self.h.env = self.h.env, env
        try:
            p = self.a.sync(expect=None, timeout=10)
        finally:
            self.h.env = saved
        self.assertEqual(p.returncode, -9, "school sync should die by SIGKILL at %s:\n%s"
                         % (point, p.stderr[-2000:]))
        self.__class__.crashes += 1
        self.sync_until_done(self.a)

    def crash_aggregator(self, agg, point):
        agg.stop()
        self.start_armed(agg, point)
        self.change_something(self.a)
        self.change_something(self.b)
        # The armed aggregator dies while these are in flight; they may or may not get through.
        self.a.sync(expect=None, timeout=4)
        self.b.sync(expect=None, timeout=4)
        self.reap(agg, point)
        agg.start()
        self.sync_until_done(self.a)
        self.sync_until_done(self.b)

    def test_1_every_crash_point_of_every_role(self):
        for role, point in SWEEP:
            with self.subTest(role=role, point=point):
                if role == "school":
                    self.crash_school(point)
                else:
                    self.crash_aggregator(self.county if role == "county" else self.prov, point)
                self.wait_for_truth()
        print("crash points swept: %d kills, records lost 0, double-counted 0"
              % self.crashes, file=sys.stderr)

    def test_2_an_import_killed_before_commit_leaves_nothing_half_done(self):
        before = self.a.status()
        path = self.h.gen_students(self.a.id, self.a.county, 40, 999,
                                   path=self.h.path("killed-import.csv"))
        env = dict(self.h.env, ROLLCALL_CRASH_AT="import-before-commit")
        saved, self.h.env = self.h.env, env
        try:
            p = self.h.run([rh.SCHOOL, "import", "--db", self.a.db, path], expect=None)
        finally:
            self.h.env = saved
        self.assertEqual(p.returncode, -9, "import should die at the crash point")
        after = self.a.status()
        self.assertEqual(after.get("students"), before.get("students"),
                         "a killed import must apply nothing")
        self.assertEqual(rh.pending_changes(after), 0)
        self.a.import_csv(path)
        self.sync_until_done(self.a)
        self.wait_for_truth()

    def test_3_a_restored_school_survives_crashes_in_its_new_epoch(self):
        """The restored school dies as it starts its new epoch, the county dies applying
        the snapshot: both come back, and the county holds exactly the school's rows."""
        a = self.a
        rh.backup(a.db)
        rows_at_backup = list(a.rows)
        self.change_something(a)
        self.sync_until_done(a)
        self.wait_for_truth()
        rh.restore(a.db)
        a.rows = rows_at_backup
        self.change_something(a)

        env = dict(self.h.env, ROLLCALL_CRASH_AT="new-epoch-before-commit")
        saved, self.h.env = self.h.env, env
        try:
            p = a.sync(expect=None, timeout=10)
        finally:
            self.h.env = saved
        self.assertEqual(p.returncode, -9, "sync should die as it starts the new epoch:\n%s"
                         % p.stderr[-2000:])
        self.assertEqual(a.status().get("epoch"), 1, "the killed epoch must not be half made")

        # Now the county dies inside the snapshot's transaction.
        self.county.stop()
        self.start_armed(self.county, "ingest-before-commit")
        a.sync(expect=None, timeout=4)
        self.reap(self.county, "ingest-before-commit")
        self.county.start()
        self.sync_until_done(a)
        self.wait_for_truth()
        self.assertEqual(a.status().get("epoch"), 2)
        held = rh.county_student_rows(self.county.db).get(a.id, [])
        self.assertEqual(len(held), len(a.rows), "the county holds the school's rows once")

    def test_4_every_store_passes_its_integrity_check(self):
        self.county.stop()
        self.prov.stop()
        for agg in (self.county, self.prov):
            self.assertIn("0 breaks", agg.audit())
        for path in (self.a.db, self.b.db, self.county.db, self.prov.db):
            self.assertEqual(rh.integrity_check(path), ["ok"], "PRAGMA integrity_check of %s" % path)


if __name__ == "__main__":
    rh.main()
