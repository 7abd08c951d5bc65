#!/usr/bin/env python3
"""Stores restored from old backups are detected and repaired; totals converge to the truth.

province 41 ── county 411381 ── schools A and B.

- A school restored from an older backup reuses sequence numbers with other
  content. The county's acknowledgement names a batch the school never
  sealed, so the school starts a new epoch with a full snapshot, which
  replaces its rows at the county: students it no longer holds disappear.
- A county restored from an older backup lost what its schools had already
  had acknowledged. A school's next sync (even with nothing to send: a probe)
  shows it, the school sends a snapshot, and the county's own history toward
  the province is repaired the same way. The province converges to the truth.
- `sync --watch` sends changes as they are imported, and `status` carries the
  receipt: in the province's totals as of when.
"""

import os
import signal
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


class Restore(rh.RollcallTestCase):
    harness_name = "restore"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov, cls.county, (cls.a, cls.b) = rh.province_with_county(
            h, "411381", ["2141138101", "3141138101"])
        cls.a.generate(120, 21)
        cls.b.generate(90, 22)
        cls.a.sync()
        cls.b.sync()
        cls.wait_for_truth()

    @classmethod
    def wait_for_truth(cls, timeout=40):
        rh.wait_for_truth(cls.h, (cls.a, cls.b), (cls.county, cls.prov), timeout)

    def more_students(self, school, count, seed, name):
        return rh.add_students(self.h, school, count, seed, name)

    def test_1_a_school_restored_from_an_old_backup_is_sent_again_in_full(self):
        a = self.a
        rh.backup(a.db)
        rows_at_backup = list(a.rows)
        lost = self.more_students(a, 30, 31, "a-lost.csv")
        a.sync()
        self.wait_for_truth()

        # The PC is restored: the 30 students imported since the backup are gone from it.
        rh.restore(a.db)
        a.rows = rows_at_backup
        self.more_students(a, 12, 32, "a-after-restore.csv")
        out = a.sync().stdout
        self.assertIn("sent again in full", out,
                      "sync should say the school's data was sent again in full")
        self.wait_for_truth()
        county_rows = self.county_students(a.id)
        self.assertEqual(county_rows, len(a.rows),
                         "the county should hold exactly the restored school's students")
        st = a.status()
        self.assertEqual(st.get("epoch"), 2, "status --json should show the new epoch: %s" % st)
        self.assertEqual(rh.pending_changes(st), 0)
        self.assertTrue(lost)

        # And the new epoch goes on like any other.
        self.more_students(a, 5, 33, "a-epoch2.csv")
        a.sync()
        self.wait_for_truth()

    def county_students(self, school_id):
        con = sqlite3.connect("file:%s?mode=ro" % self.county.db, uri=True)
        try:
            return con.execute("SELECT count(*) FROM students WHERE school_id = ?",
                               (school_id,)).fetchone()[0]
        finally:
            con.close()

    def test_2_a_county_restored_from_an_old_backup_gets_everything_back(self):
        self.county.stop()
        rh.backup(self.county.db)
        self.county.start()
        self.more_students(self.b, 25, 41, "b-after-county-backup.csv")
        self.more_students(self.a, 10, 42, "a-after-county-backup.csv")
        self.a.sync()
        self.b.sync()
        self.wait_for_truth()

        # The county server dies and comes back from its older backup.
        self.county.stop()
        rh.restore(self.county.db)
        self.county.start()
        # Nothing is pending at either school: the probe finds what the county lost.
        self.assertEqual(rh.pending_changes(self.a.status()), 0)
        self.a.sync()
        self.b.sync()
        self.wait_for_truth()
        for s in (self.a, self.b):
            self.assertEqual(self.county_students(s.id), len(s.rows),
                             "county rows of %s after its restore" % s.id)

    def test_3_watch_sends_imports_and_status_carries_the_receipt(self):
        a = self.a
        log = self.h.path("watch-%s.log" % a.id)
        proc = self.h.start("watch-%s" % a.id, [rh.SCHOOL, "sync", "--db", a.db, "--watch"])
        try:
            self.more_students(a, 8, 51, "a-watched.csv")
            self.wait_for_truth()
            rh.wait_until(lambda: rh.pending_changes(a.status()) == 0, 20,
                          "the watching sync to have every change acknowledged")

            def receipt_complete():
                st = a.status()
                return (st.get("top_id") == "41" and st.get("top_at", 0) > 0
                        and st.get("top_seq") == st.get("acked_seq"))

            rh.wait_until(receipt_complete, 30,
                          "status to show every change in the province's totals")
            # The county's own receipt, from the province, is what it passed down.
            outbox = rh.agg_status(self.county)["outbox"]
            self.assertEqual(outbox.get("top_id"), "41", "county status: %s" % outbox)
            self.assertGreater(outbox.get("top_seq", 0), 0)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except Exception:
                proc.kill()
                raise
        self.assertEqual(proc.returncode, 0, "sync --watch should stop cleanly on SIGTERM:\n%s"
                         % rh.tail(log))
        text = self.h.run([rh.SCHOOL, "status", "--db", a.db]).stdout
        self.assertIn("in the totals of 41", text, "status should carry the receipt:\n" + text)

    def test_4_every_store_passes_its_integrity_check(self):
        self.county.stop()
        self.prov.stop()
        # The chains stay sound across the new epochs, and every summary names its batch.
        for agg in (self.county, self.prov):
            self.assertIn("0 breaks", agg.audit())
        for path in (self.a.db, self.b.db, self.county.db, self.prov.db):
            self.assertEqual(rh.integrity_check(path), ["ok"], "PRAGMA integrity_check of %s" % path)


if __name__ == "__main__":
    rh.main()
