#!/usr/bin/env python3
"""Adding a city tier under a running province (ops/RUNBOOK.md, "Adding a city tier").

Before: province 41 ── county 410102 ── schools A and B, all synced.
After:  province 41 ── city 4101 ── county 410102 ── schools A and B.

The province revokes the county with --release-schools (its schools leave the
province's totals: counted through nobody), the county moves its upstream to
the new city and restarts, and sends the city everything it holds by itself;
the city forwards the schools' summaries and the province counts them through
the city. Province, city and county then equal the truth the test computes
from its CSVs, the province's only child is the city, more syncs keep them
there, and every chain passes `audit`.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


class CityTier(rh.RollcallTestCase):
    harness_name = "city"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "410102", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.a = rh.School(h, "2141010250", "410102", cls.county)
        cls.b = rh.School(h, "2141010251", "410102", cls.county)
        cls.county.enroll(cls.a)
        cls.county.enroll(cls.b)
        cls.prov.start()
        cls.county.start()
        cls.a.generate(80, 101)
        cls.b.generate(50, 102)
        cls.a.sync()
        cls.b.sync()
        rh.wait_for_truth(h, (cls.a, cls.b), (cls.county, cls.prov), 40)

    def test_1_releasing_is_refused_at_a_county(self):
        p = self.h.run([rh.AGG, "revoke", "--db", self.county.db, "--source", self.a.id,
                        "--release-schools"], expect=rh.EXIT_USAGE)
        self.assertIn("--release-schools is for a city or the province", p.stderr)
        # Refused before anything changed: the school is still admitted.
        self.a.sync()
        sources = {x["id"]: x for x in rh.agg_status(self.county)["sources"]}
        self.assertIs(sources[self.a.id]["revoked"], False)

    def test_2_the_county_moves_under_a_new_city(self):
        h, prov, county = self.h, self.prov, self.county
        city = rh.Aggregator(h, "4101", "city", upstream=prov)
        self.__class__.city = city
        prov.enroll(city)
        city.enroll(county)
        city.start()

        p = h.run([rh.AGG, "revoke", "--db", prov.db, "--source", county.id,
                   "--release-schools"])
        self.assertIn("released 2 school(s) counted through 410102", p.stdout)
        self.assertTotals(prov.report()["totals"], rh.empty_totals(),
                          "the province right after releasing the county's schools")

        county.stop()
        h.run([rh.AGG, "set-upstream", "--db", county.db, "--upstream", city.endpoint,
               "--upstream-key", city.pubkey])
        county.start()
        rh.wait_for_truth(h, (self.a, self.b), (county, city, prov), 60)
        children = {c["id"]: c for c in prov.report()["children"]}
        self.assertEqual([i for i, c in children.items() if not c.get("revoked")], ["4101"],
                         "the province's only active child should be the city")
        # The revoked county stays listed, counting nothing.
        self.assertTrue(children["410102"]["revoked"])
        self.assertEqual(children["410102"]["totals"]["students"], 0)

    def test_3_syncing_goes_on_through_the_city(self):
        rh.add_students(self.h, self.a, 15, 103, "a-more.csv")
        rh.add_students(self.h, self.b, 7, 104, "b-more.csv")
        self.a.sync()
        self.b.sync()
        rh.wait_for_truth(self.h, (self.a, self.b), (self.county, self.city, self.prov), 40)

    def test_4_every_chain_and_store_is_sound(self):
        for agg in (self.county, self.city, self.prov):
            agg.stop()
        for agg in (self.county, self.city, self.prov):
            self.assertIn("0 breaks", agg.audit())
            self.assertEqual(rh.integrity_check(agg.db), ["ok"])


if __name__ == "__main__":
    rh.main()
