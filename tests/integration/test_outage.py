#!/usr/bin/env python3
"""Outages upstream and schools offline for a long time lose nothing.

province 41 ── county 411381 ── schools A and B, and school C whose line to
the county runs through a cable the test can unplug (a plain TCP relay).

(a) The province is down. A and B keep syncing to the county and get exit 0
    (the county keeps accepting and holds the summaries for later). When the
    province is back, the county forwards everything by itself: the
    province's totals become the truth without any school syncing again.
(b) C is offline for a long time: 20,000 students imported, then several
    rounds of edits of the same 3,000 students, each followed by a sync that
    cannot reach the county (exit 3, changes kept). Unsent changes of one student
    are coalesced: the pending count never exceeds one per student plus the
    school profile. Back online, one sync sends everything (exit 0), and the
    county's and the province's figures equal the final truth.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
import rollcall_hazards as hz  # noqa: E402

OFFLINE_STUDENTS = 20000
EDIT_ROUNDS = 3
EDITED_STUDENTS = 3000  # of them, edited in every round


class Outage(rh.RollcallTestCase):
    harness_name = "outage"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.a = rh.School(h, "2141138101", "411381", cls.county)
        cls.b = rh.School(h, "2141138102", "411381", cls.county)
        cls.cable = hz.TcpCable(h, cls.county.port)
        cls.c = rh.School(h, "3141138101", "411381", cls.county, endpoint=cls.cable.endpoint)
        for s in (cls.a, cls.b, cls.c):
            cls.county.enroll(s)
        # C's 20,000 students are imported while (a) runs: that import is the slow part of (b).
        cls.c_csv = h.gen_students(cls.c.id, cls.c.county, OFFLINE_STUDENTS, 93,
                                   path=h.path("c-all.csv"))
        cls.c_import = h.start("import-%s" % cls.c.id, [rh.SCHOOL, "import", "--db", cls.c.db,
                                                         cls.c_csv])
        cls.prov.start()
        cls.county.start()
        cls.a.generate(300, 91)
        cls.b.generate(200, 92)
        cls.a.sync()
        cls.b.sync()
        cls.wait_for_truth([cls.a, cls.b])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.cable.close()
        finally:
            super().tearDownClass()

    @classmethod
    def wait_for_truth(cls, schools, timeout=30, at=("county", "province")):
        want = rh.comparable(rh.add_totals(*[s.totals() for s in schools]))

        def arrived():
            c = cls.county.report()
            ok = "county" not in at or (
                rh.comparable(c["totals"]) == want
                and all(rh.comparable(rh.child(c, s.id)["totals"]) == rh.comparable(s.totals())
                        for s in schools))
            if ok and "province" in at:
                ok = rh.comparable(cls.prov.report()["totals"]) == want
            return ok

        try:
            rh.wait_until(arrived, timeout, "%s to show the truth" % " and ".join(at))
        except AssertionError as e:
            raise AssertionError("%s\nwant: %s\nprovince: %s\ncounty: %s\n%s" % (
                e, want, rh.comparable(cls.prov.report().get("totals")),
                rh.comparable(cls.county.report().get("totals")), cls.h.logs())) from None

    def more(self, school, new, changed, seed, name):
        """`new` new students and `changed` known ones with another participation, imported."""
        path = self.h.gen_students(school.id, school.county, new + 40, seed,
                                   path=self.h.path(name))
        known = {r["student_id"] for r in school.rows}
        rows = [r for r in rh.read_csv(path) if r["student_id"] not in known][:new]
        rows += [dict(r, participation="absent" if r["participation"] != "absent" else "")
                 for r in school.rows[:changed]]
        rh.write_csv(path, rows)
        school.import_csv(path)

    def test_1_province_down_schools_keep_syncing_and_the_county_forwards_later(self):
        prov_before = self.prov.report()["totals"]
        self.prov.stop()
        for i in range(3):
            self.more(self.a, 25, 10 + i, 100 + i, "a-outage-%d.csv" % i)
            self.more(self.b, 15, 5 + i, 110 + i, "b-outage-%d.csv" % i)
            self.a.sync(timeout=15)  # exit 0: the county acknowledges, the province is no matter
            self.b.sync(timeout=15)
        self.wait_for_truth([self.a, self.b], at=("county",))
        waiting = rh.agg_status(self.county).get("outbox", {}).get("pending")
        self.assertGreater(waiting or 0, 0,
                           "the county should hold the summaries for the province meanwhile")
        self.assertEqual(rh.comparable(self.prov.report()["totals"]), rh.comparable(prov_before),
                         "the province was down: its totals cannot have moved")

        started = time.monotonic()
        self.prov.start()
        # No school syncs from here on: the county alone brings the province up to date.
        self.wait_for_truth([self.a, self.b], timeout=30)
        rh.wait_until(lambda: rh.agg_status(self.county)["outbox"]["pending"] == 0, 20,
                      "the county's forwards to be acknowledged")
        print("outage: province down for 3 rounds of school syncs; %d summaries waited at the "
              "county; the province had the truth %.1f s after it came back"
              % (waiting, time.monotonic() - started), file=sys.stderr)

    def test_2_a_school_offline_for_long_coalesces_and_sends_everything_at_once(self):
        c = self.c  # its cable was never plugged in
        self.c_import.wait(90)  # then stop() only checks its exit status and its log
        self.assertEqual(self.h.stop(self.c_import), 0,
                         "the import of %d students should succeed" % OFFLINE_STUDENTS)
        c.rows = rh.read_csv(self.c_csv)
        students = len(c.rows)
        self.assertGreaterEqual(students, OFFLINE_STUDENTS)
        most = students + 1  # one change per student, plus the school profile
        seen = [rh.pending_changes(c.status())]
        p = c.sync(expect=rh.EXIT_UPSTREAM, timeout=1)
        self.assertIn("kept", p.stderr)
        seen.append(rh.pending_changes(c.status()))
        for r in range(EDIT_ROUNDS):
            # The same students round after round, another field each time.
            rows = []
            for i, row in enumerate(c.rows[:EDITED_STUDENTS]):
                row = dict(row)
                if r == 0:
                    row["participation"] = "irregular" if row["participation"] != "irregular" \
                        else "active"
                elif r == 1:
                    row["assistance"] = "" if row["assistance"] else "paper_materials"
                else:
                    row["class"] = "%d班" % (i % 9 + 1)
                    row["devices"] = "tv" if row["devices"] != "tv" else "smartphone"
                rows.append(row)
            path = self.h.path("c-round-%d.csv" % r)
            rh.write_csv(path, rows)
            c.import_csv(path)
            seen.append(rh.pending_changes(c.status()))
            p = c.sync(expect=rh.EXIT_UPSTREAM, timeout=1)
            self.assertIn("kept", p.stderr)
            seen.append(rh.pending_changes(c.status()))

        self.cable.plug()
        started = time.monotonic()
        p = c.sync(timeout=40)  # exit 0: everything in one go
        took = time.monotonic() - started
        self.assertEqual(rh.pending_changes(c.status()), 0)
        self.wait_for_truth([self.a, self.b, c], timeout=40)
        figures = rh.count_discrepancies(self.county.db, [self.a, self.b, c],
                                         self.prov.report()["totals"])
        print("outage: school offline with %d students, %d rounds of edits; pending after each "
              "import/sync: %s (at most %d); one sync sent it all in %.1f s; records lost %d, "
              "double-counted %d, rows differing %d"
              % (students, EDIT_ROUNDS, seen, most, took, figures["lost"], figures["double"],
                 figures["differing"]), file=sys.stderr)
        self.assertEqual(figures, {"lost": 0, "double": 0, "differing": 0})
        # Checked last so that a failure here still shows whether everything got through.
        self.assertTrue(all(n is not None and 0 < n <= most for n in seen),
                        "pending changes must stay coalesced, at most %d (one per student plus "
                        "the profile); status showed %s after the first import and after each "
                        "round's import and offline sync" % (most, seen))

    def test_3_every_store_passes_its_integrity_check(self):
        self.county.stop()
        self.prov.stop()
        for path in (self.a.db, self.b.db, self.c.db, self.county.db, self.prov.db):
            self.assertEqual(rh.integrity_check(path), ["ok"],
                             "PRAGMA integrity_check of %s" % path)


if __name__ == "__main__":
    rh.main()
