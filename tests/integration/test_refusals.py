#!/usr/bin/env python3
"""An aggregator refuses keys it did not enroll, and revoked ones, and keeps
serving honest schools.

county 410105 (no upstream) with school A (enrolled), school B (never
enrolled), school C (enrolled, synced once, then revoked).
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


class Refusals(rh.RollcallTestCase):
    harness_name = "refusals"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, "410105", "county")
        cls.a = rh.School(h, "2141010510", "410105", cls.county)
        cls.b = rh.School(h, "2141010511", "410105", cls.county)
        cls.c = rh.School(h, "2141010512", "410105", cls.county)
        cls.county.enroll(cls.a)
        cls.county.enroll(cls.c)
        cls.county.start()
        cls.a.generate(80, 21)
        cls.b.generate(50, 22)
        cls.c.generate(60, 23)

    def assertRefused(self, school, what):
        p = school.sync(expect=rh.EXIT_UPSTREAM, timeout=10)
        self.assertRegex(p.stderr.lower(), r"refus",
                         "%s: sync should say it was refused; stderr:\n%s" % (what, p.stderr))
        self.assertGreater(rh.pending_changes(school.status()) or 0, 0,
                           "%s: the refused changes are kept" % what)
        return p

    def county_child(self, school):
        return rh.child(self.county.report(), school.id)

    def test_1_an_unenrolled_key_is_refused(self):
        self.assertRefused(self.b, "school %s, never enrolled" % self.b.id)
        ids = [str(c.get("id")) for c in self.county.report()["children"]]
        self.assertNotIn(self.b.id, ids, "a refused school must not appear in the county's report")

    def test_2_an_honest_school_is_still_served(self):
        self.a.sync()
        self.assertTotals(self.county_child(self.a)["totals"], self.a.totals(),
                          "school %s after another school was refused" % self.a.id)
        self.assertEqual(rh.pending_changes(self.a.status()), 0)

    def test_3_a_revoked_school_is_refused_and_its_counted_data_kept(self):
        self.c.sync()
        counted = self.county_child(self.c)["totals"]
        self.assertTotals(counted, self.c.totals(), "school %s before revocation" % self.c.id)
        self.county.revoke(self.c)
        change = dict(self.c.rows[0], participation="absent")
        path = self.h.path("c-change.csv")
        rh.write_csv(path, [change])
        self.c.import_csv(path)
        self.assertRefused(self.c, "school %s after revocation" % self.c.id)
        self.assertEqual(rh.comparable(self.county_child(self.c)["totals"]), rh.comparable(counted),
                         "a revoked school's counted data stays as it was (README), and nothing "
                         "new from it is applied")

    def test_4_the_aggregator_keeps_serving_after_the_refusals(self):
        change = dict(self.a.rows[0], participation="irregular")
        path = self.h.path("a-change.csv")
        rh.write_csv(path, [change])
        self.a.import_csv(path)
        self.a.sync()
        self.assertTotals(self.county_child(self.a)["totals"], self.a.totals(),
                          "school %s after the refusals" % self.a.id)
        self.assertIsNone(self.county.proc.poll(), "the county aggregator must still run")

    def test_5_a_wrong_upstream_key_fails_with_exit_3(self):
        other = rh.Aggregator(self.h, "410106", "county")
        d = rh.School(self.h, "2141010513", "410105", self.county, upstream_key=other.pubkey)
        self.county.enroll(d)
        d.generate(5, 24)
        d.sync(expect=rh.EXIT_UPSTREAM, timeout=3)
        self.assertGreater(rh.pending_changes(d.status()) or 0, 0)


if __name__ == "__main__":
    rh.main()
