#!/usr/bin/env python3
"""A county whose disk is full answers BUSY, keeps running, and loses nothing.

province 41 ── county 411381 ── schools A and B. The county's store sits on
a small tmpfs of its own, mounted in a mount namespace this test makes for
itself (so nothing outside sees it, and it vanishes with the test). The
tmpfs is filled up with a filler file, then school A syncs a large import:

- the county must answer BUSY (never ACK without a durable commit): A's sync
  exits 3 with every change kept, the county's applied seq for A and its
  totals do not move, and A's log shows the county's BUSY answers;
- the county logs a clear error that names its store and says it is full
  (checked last, test_5, so that its failure does not hide the rest);
- it keeps running and keeps answering: B (nothing pending) gets its answer;
- once the filesystem is grown (remount with a larger size), A's next sync
  succeeds and the county's and the province's totals are exactly the truth;
  every store passes PRAGMA integrity_check.

Needs root on Linux (mount namespace, tmpfs); skipped with the reason
otherwise.
"""

import os
import shutil
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
import rollcall_hazards as hz  # noqa: E402

DISK_BYTES = 24 << 20   # the county's filesystem before it fills up
GROWN_BYTES = 96 << 20  # after the operator makes room


class FullDisk(rh.RollcallTestCase):
    harness_name = "full-disk"

    @classmethod
    def setUpClass(cls):
        why = hz.private_mount_namespace()
        if why:
            raise unittest.SkipTest("full-disk test skipped: " + why)
        super().setUpClass()

    @classmethod
    def build(cls):
        h = cls.h
        cls.disk = h.path("county-disk")
        os.mkdir(cls.disk)
        hz.mount_tmpfs(cls.disk, DISK_BYTES)
        cls.mounted = True
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.a = rh.School(h, "2141138101", "411381", cls.county)
        cls.b = rh.School(h, "3141138101", "411381", cls.county)
        cls.county.enroll(cls.a)
        cls.county.enroll(cls.b)
        # The county's store moves onto its own small filesystem (it is closed: no -wal).
        store = os.path.join(cls.disk, os.path.basename(cls.county.db))
        shutil.move(cls.county.db, store)
        cls.county.db = store
        cls.prov.start()
        cls.county.start()
        cls.a.generate(300, 81)
        cls.b.generate(120, 82)
        cls.a.sync()
        cls.b.sync()
        cls.wait_for_truth()

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "mounted", False):
                # The aggregators hold the store open: stop them before the filesystem goes.
                cls.county.stop()
                cls.prov.stop()
                hz.unmount(cls.disk)
        finally:
            super().tearDownClass()

    @classmethod
    def wait_for_truth(cls, timeout=30):
        rh.wait_for_truth(cls.h, (cls.a, cls.b), (cls.county, cls.prov), timeout)

    def test_1_the_store_is_on_a_filesystem_of_its_own_that_nobody_else_sees(self):
        self.assertIn(self.disk, hz.mounts_of("self"), "the tmpfs should be mounted here")
        self.assertNotIn(self.disk, hz.mounts_of(os.getppid()),
                         "the tmpfs must stay inside this test's mount namespace")
        self.assertEqual(os.path.dirname(self.county.db), self.disk)

    def test_2_a_full_disk_is_answered_busy_and_nothing_is_acknowledged(self):
        a, county = self.a, self.county
        totals_before = county.report()["totals"]
        applied_before = rh.source_applied_seq(rh.agg_status(county), a.id)
        filled = hz.fill_disk(os.path.join(self.disk, "filler"))
        self.assertEqual(os.statvfs(self.disk).f_bavail, 0, "the county's disk should be full")
        log_at = os.path.getsize(self.h.path("agg-%s.log" % county.id))

        # A large import: 2,500 new students (several batches) and a change for every known one.
        path = self.h.gen_students(a.id, a.county, 2800, 83, path=self.h.path("a-large.csv"))
        known = {r["student_id"] for r in a.rows}
        rows = [r for r in rh.read_csv(path) if r["student_id"] not in known][:2500]
        rows += [dict(r, participation="irregular" if r["participation"] != "irregular"
                      else "active") for r in a.rows]
        rh.write_csv(path, rows)
        a.import_csv(path)
        st = a.status()
        pending = rh.pending_changes(st)
        self.assertGreater(pending, 2000)

        p = a.sync(expect=rh.EXIT_UPSTREAM, timeout=4)
        self.assertIn("kept", p.stderr,
                      "sync should say the changes are kept:\n" + p.stderr[-2000:])
        self.assertIn("upstream busy", p.stderr,
                      "the county should have answered BUSY, not stayed silent:\n"
                      + p.stderr[-2000:])
        self.assertNotIn("acknowledged through", p.stderr,
                         "nothing may be acknowledged while the county cannot commit")
        after = a.status()
        self.assertEqual((rh.pending_changes(after), after.get("acked_seq")),
                         (pending, st.get("acked_seq")),
                         "every change must be kept at the school, nothing acknowledged")
        self.assertEqual(rh.source_applied_seq(rh.agg_status(county), a.id), applied_before,
                         "the county must not have applied anything for A")
        self.assertEqual(rh.comparable(county.report()["totals"]), rh.comparable(totals_before),
                         "the county's totals must not move while its disk is full")

        with open(self.h.path("agg-%s.log" % county.id), encoding="utf-8", errors="replace") as f:
            f.seek(log_at)
            log = f.read()
        full = [line for line in log.splitlines() if "full" in line and "ERROR" in line]
        self.assertTrue(full, "the county should log an error saying its disk is full:\n"
                        + log[-3000:])
        self.__class__.full_errors = full  # whether they name the store: test_5
        self.assertIsNone(county.proc.poll(), "the county must keep running:\n" + county.log())

        # Still answering: B has nothing to send and asks whether the county holds its history.
        self.b.sync()
        self.assertIsNone(county.proc.poll(), "the county must keep running:\n" + county.log())
        print("full disk: %d filler bytes; %d changes kept at the school, county applied seq "
              "for it stayed %s" % (filled, pending, applied_before), file=sys.stderr)

    def test_3_when_space_returns_the_next_sync_brings_exactly_the_truth(self):
        hz.mount_tmpfs(self.disk, GROWN_BYTES, remount=True)
        self.assertGreater(os.statvfs(self.disk).f_bavail, 0)
        self.a.sync(timeout=30)
        self.wait_for_truth()
        self.assertEqual(rh.pending_changes(self.a.status()), 0)
        figures = rh.count_discrepancies(self.county.db, [self.a, self.b],
                                         self.prov.report()["totals"])
        print("full disk: after space returned: records lost %d, records double-counted %d, "
              "rows differing %d" % (figures["lost"], figures["double"], figures["differing"]),
              file=sys.stderr)
        self.assertEqual(figures, {"lost": 0, "double": 0, "differing": 0})

    def test_4_every_store_passes_its_integrity_check(self):
        self.county.stop()
        self.prov.stop()
        for path in (self.a.db, self.b.db, self.county.db, self.prov.db):
            self.assertEqual(rh.integrity_check(path), ["ok"],
                             "PRAGMA integrity_check of %s" % path)

    def test_5_the_full_disk_error_names_the_store(self):
        # Last, so that its failure does not hide the recovery: an operator reading the log
        # must learn which file sits on the full filesystem.
        full = getattr(self, "full_errors", [])
        self.assertTrue(any(self.county.db in line or os.path.basename(self.county.db) in line
                            for line in full),
                        "the county's error should name its store %s; it logged:\n%s"
                        % (self.county.db, "\n".join(sorted(set(x[21:] for x in full))[:6])))


if __name__ == "__main__":
    rh.main()
