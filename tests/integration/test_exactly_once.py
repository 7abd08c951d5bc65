#!/usr/bin/env python3
"""Every change is counted exactly once, however often it is sent.

province 41 ── county 411381 ── schools A and B. Syncing again with nothing
new, or importing the same CSV again, changes no figure anywhere; a changed
row moves the totals by exactly that change; a CSV with only a new student
adds it and deletes nobody.
"""

import copy
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

SETTLE = 1.5  # seconds for anything (wrongly) still in flight to arrive


def snapshot(report):
    """What must not change when nothing changed (no timestamps)."""
    return {
        "totals": rh.comparable(report.get("totals")),
        "children": sorted((str(c.get("id")), repr(rh.comparable(c.get("totals"))),
                            c.get("schools"), c.get("reported"))
                           for c in report.get("children", [])),
        "completeness": {k: report.get("completeness", {}).get(k)
                         for k in ("expected", "reported", "stale", "missing")},
    }


class ExactlyOnce(rh.RollcallTestCase):
    harness_name = "exactly-once"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.a = rh.School(h, "2141138101", "411381", cls.county)
        cls.b = rh.School(h, "3141138101", "411381", cls.county)
        cls.county.enroll(cls.a)
        cls.county.enroll(cls.b)
        cls.prov.start()
        cls.county.start()
        cls.csv_a = cls.a.generate(150, 11)
        cls.b.generate(120, 12)
        cls.a.sync()
        cls.b.sync()
        cls.wait_for_totals()

    @classmethod
    def want(cls):
        return rh.add_totals(cls.a.totals(), cls.b.totals())

    @classmethod
    def wait_for_totals(cls):
        want = rh.comparable(cls.want())

        def arrived():
            p, c = cls.prov.report(), cls.county.report()
            return (rh.comparable(p["totals"]) == want and rh.comparable(c["totals"]) == want
                    and p["completeness"].get("reported") == 2)

        try:
            rh.wait_until(arrived, 30, "the province and the county to show the schools' totals")
        except AssertionError as e:
            raise AssertionError("%s\nprovince: %s\ncounty: %s\n%s" % (
                e, cls.prov.report().get("totals"), cls.county.report().get("totals"),
                cls.h.logs())) from None

    def snapshots(self):
        return snapshot(self.prov.report()), snapshot(self.county.report())

    def assertPending(self, school, n):
        st = school.status()
        self.assertEqual(rh.pending_changes(st), n, "status --json of %s should show %d pending "
                         "changes: %s" % (school.id, n, st))

    def test_1_sync_again_with_nothing_new_changes_nothing(self):
        before = self.snapshots()
        self.assertPending(self.a, 0)
        self.a.sync()
        self.b.sync()
        time.sleep(SETTLE)
        self.assertEqual(self.snapshots(), before)
        self.assertPending(self.a, 0)

    def test_2_importing_the_same_csv_again_changes_nothing(self):
        before = self.snapshots()
        self.a.import_csv(self.csv_a)
        self.assertPending(self.a, 0)
        self.a.sync()
        time.sleep(SETTLE)
        self.assertEqual(self.snapshots(), before)

    def test_3_a_changed_row_moves_totals_by_exactly_the_change(self):
        before = self.prov.report()["totals"]
        row = next(r for r in self.a.rows
                   if rh.condition(r) == "online" and rh.participation(r) == "active"
                   and not r["assistance"] and not r["groups"])
        changed = dict(row, network="", devices="", participation="absent", groups="left_behind")
        path = self.h.path("changed.csv")
        rh.write_csv(path, [changed])
        self.a.import_csv(path)
        self.assertPending(self.a, 1)
        self.a.sync()
        self.assertPending(self.a, 0)
        self.wait_for_totals()

        expect = copy.deepcopy(rh.comparable(before))
        expect["condition_online"] -= 1
        expect["condition_none"] += 1
        expect["blind_spots"] += 1
        expect["participation"]["active"] -= 1
        expect["participation"]["absent"] += 1
        expect["groups"]["left_behind"] += 1
        after = self.prov.report()
        self.assertEqual(rh.comparable(after["totals"]), expect,
                         "the province totals should move by exactly the one changed row")
        self.assertTotals(rh.child(self.county.report(), self.a.id)["totals"], self.a.totals(),
                          "county child %s after the change" % self.a.id)

    def test_4_a_csv_with_one_new_student_adds_it_and_deletes_nobody(self):
        before = self.prov.report()["totals"]["students"]
        new = {"student_id": rh.student_id("411381", "20110505", 321), "name": "孙悦", "grade": "3",
               "class": "2班", "network": "mobile", "devices": "smartphone", "groups": "",
               "assistance": "", "participation": "active"}
        path = self.h.path("one-new.csv")
        rh.write_csv(path, [new])
        self.a.import_csv(path)
        self.a.sync()
        self.wait_for_totals()
        self.assertEqual(self.prov.report()["totals"]["students"], before + 1)

    def test_5_everything_synced_twice_still_counts_once(self):
        before = self.snapshots()
        for _ in range(2):
            self.a.sync()
            self.b.sync()
        time.sleep(SETTLE)
        self.assertEqual(self.snapshots(), before)
        self.assertTotals(self.prov.report()["totals"], self.want(), "province after re-syncs")


if __name__ == "__main__":
    rh.main()
