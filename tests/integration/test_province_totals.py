#!/usr/bin/env python3
"""The province sees exactly the totals of every school below it, once each.

Topology (every process real, over 127.0.0.1):

    province 41 ── city 4101 ── county 410102 (中原区): 2 schools
                 │            └ county 410105 (金水区): 2 schools + 1 that never syncs
                 └ county 411381 (邓州市, administered directly): 2 schools

The expected figures are computed here from the CSVs the test wrote, with the
rules of DESIGN.md implemented again in rollcall_harness, not read back from
any rollcall program.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


def edge_rows(county):
    """Hand-written students on the edges of the derived rules."""
    return [
        # broadband + tv only: tv_only; empty participation means active
        {"student_id": rh.student_id(county, "20120315", 11), "name": "王小明", "grade": "2",
         "class": "1班", "network": "broadband", "devices": "tv", "groups": "",
         "assistance": "", "participation": ""},
        # no conditions, help only planned, absent: a blind spot
        {"student_id": rh.student_id(county, "20110704", 22), "name": "李丽", "grade": "3",
         "class": "2班", "network": "", "devices": "", "groups": "poverty_card;left_behind",
         "assistance": "tv_at_village:planned", "participation": "absent"},
        # no conditions, but a television at the village in place: not a blind spot
        {"student_id": rh.student_id(county, "20100921", 35), "name": "张伟", "grade": "4",
         "class": "2班", "network": "mobile", "devices": "", "groups": "hardship",
         "assistance": "tv_at_village", "participation": "irregular"},
        # online but absent with no help: a blind spot
        {"student_id": rh.student_id(county, "20090102", 47), "name": "刘洋", "grade": "5",
         "class": "1班", "network": "mobile", "devices": "smartphone", "groups": "migrant",
         "assistance": "", "participation": "absent"},
        # an ended measure does not count as help
        {"student_id": rh.student_id(county, "20081130", 58), "name": "陈静怡", "grade": "6",
         "class": "3班", "network": "broadband", "devices": "computer", "groups": "disabled;other",
         "assistance": "loaned_device:ended", "participation": "absent"},
        # a student without an ID card (J number); paper materials in place
        {"student_id": "J41010220120101001X", "name": "杨子涵", "grade": "1", "class": "1班",
         "network": "", "devices": "tv", "groups": "frontline_family",
         "assistance": "paper_materials", "participation": "active"},
        # online with several measures, opted out
        {"student_id": rh.student_id(county, "20111212", 69), "name": "赵欣然", "grade": "3",
         "class": "1班", "network": "broadband;cable_tv", "devices": "tablet;tv",
         "groups": "poverty_card", "assistance": "data_subsidy;funding:planned;one_to_one",
         "participation": "opted_out"},
    ]


class ProvinceTotals(rh.RollcallTestCase):
    harness_name = "province-totals"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4101", "city", upstream=cls.prov)
        cls.c102 = rh.Aggregator(h, "410102", "county", upstream=cls.city)
        cls.c105 = rh.Aggregator(h, "410105", "county", upstream=cls.city)
        cls.c381 = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.city)
        cls.prov.enroll(cls.c381)
        cls.city.enroll(cls.c102)
        cls.city.enroll(cls.c105)

        plan = [  # (county, school, students, seed)
            (cls.c102, "2141010200", 120, 1), (cls.c102, "3141010200", 90, 2),
            (cls.c105, "2141010500", 150, 3), (cls.c105, "2141010501", 60, 4),
            (cls.c381, "2141138100", 110, 5), (cls.c381, "3441138100", 70, 6),
        ]
        cls.schools = []
        for county, sid, count, seed in plan:
            s = rh.School(h, sid, county.id, county)
            county.enroll(s)
            cls.schools.append((s, county, count, seed))
        cls.silent = rh.School(h, "2141010502", "410105", cls.c105, name="金水区未报学校")
        cls.c105.enroll(cls.silent)

        for agg in (cls.prov, cls.city, cls.c102, cls.c105, cls.c381):
            agg.start()

        for s, county, count, seed in cls.schools:
            s.generate(count, seed)
        # Hand-written edge cases, in a different column order, for the first school.
        first = cls.schools[0][0]
        edge = h.path("edge.csv")
        rh.write_csv(edge, edge_rows("410102"),
                     header=["name", "student_id", "participation", "grade", "class", "groups",
                             "devices", "network", "assistance"])
        first.import_csv(edge)
        # The silent school has students too, but never syncs them.
        cls.silent.generate(40, 99)

        for s, _, _, _ in cls.schools:
            s.sync()

        want = rh.add_totals(*(s.totals() for s, _, _, _ in cls.schools))
        cls.want = want

        def province_done():
            r = cls.prov.report()
            c = r.get("completeness", {})
            # Wait on counts that do not depend on the rules, so a wrong figure fails below
            # with a precise difference instead of a time-out here.
            done = (c.get("expected") == 7 and c.get("reported") == 6
                    and r.get("totals", {}).get("students") == want["students"])
            return r if done else None

        try:
            cls.province = rh.wait_until(province_done, 60, "the province to hold every summary")
        except AssertionError as e:
            raise AssertionError("%s\nlast province report: %s\n%s"
                                 % (e, cls.prov.report(), h.logs())) from None

    def school_totals(self, county_id):
        return rh.add_totals(*(s.totals() for s, c, _, _ in self.schools if c.id == county_id))

    def test_1_province_totals_match_the_csvs(self):
        r = self.prov.report()
        self.assertEqual(r.get("scope"), "41")
        self.assertEqual(r.get("tier"), "province")
        self.assertTotals(r["totals"], self.want, "province totals vs. the CSVs")
        self.assertEqual(r["totals"]["students"], 120 + 90 + 150 + 60 + 110 + 70 + 7)
        for key in ("groups", "measures", "participation"):
            self.assertEqual(set(r["totals"][key]), set(rh.empty_totals()[key]),
                             "totals.%s must carry every key of its set" % key)

    def test_2_province_children_are_the_city_and_the_direct_county(self):
        r = self.prov.report()
        ids = sorted(str(c.get("id")) for c in r["children"])
        self.assertEqual(ids, ["4101", "411381"], "the province's children")
        city = rh.child(r, "4101")
        direct = rh.child(r, "411381")
        self.assertTotals(city["totals"], rh.add_totals(self.school_totals("410102"),
                                                        self.school_totals("410105")),
                          "province child 4101")
        self.assertTotals(direct["totals"], self.school_totals("411381"), "province child 411381")
        self.assertEqual(city.get("schools"), 5, "city 4101 has 5 schools below it")
        self.assertEqual(city.get("reported"), 4, "4 of city 4101's schools reported")
        self.assertEqual(direct.get("schools"), 2)
        self.assertEqual(direct.get("reported"), 2)

    def test_3_province_completeness_names_the_silent_school(self):
        c = self.prov.report()["completeness"]
        self.assertEqual(c["expected"], 7)
        self.assertEqual(c["reported"], 6)
        self.assertEqual(c["stale"], 0)
        self.assertEqual([str(x) for x in c["missing"]], ["2141010502"])

    def test_4_city_report(self):
        r = self.city.report()
        self.assertEqual(r.get("tier"), "city")
        self.assertEqual(sorted(str(c.get("id")) for c in r["children"]), ["410102", "410105"])
        self.assertTotals(rh.child(r, "410102")["totals"], self.school_totals("410102"),
                          "city child 410102")
        self.assertTotals(rh.child(r, "410105")["totals"], self.school_totals("410105"),
                          "city child 410105")
        self.assertTotals(r["totals"], rh.add_totals(self.school_totals("410102"),
                                                     self.school_totals("410105")), "city totals")
        c = r["completeness"]
        self.assertEqual((c["expected"], c["reported"], c["stale"]), (5, 4, 0))
        self.assertEqual([str(x) for x in c["missing"]], ["2141010502"])

    def test_5_county_children_are_its_schools(self):
        for county in (self.c102, self.c105, self.c381):
            r = county.report()
            self.assertEqual(r.get("tier"), "county")
            mine = [s for s, c, _, _ in self.schools if c is county]
            extra = ["2141010502"] if county is self.c105 else []
            want_ids = sorted([s.id for s in mine] + extra)
            self.assertEqual(sorted(str(c.get("id")) for c in r["children"]), want_ids,
                             "children of county %s" % county.id)
            for s in mine:
                self.assertTotals(rh.child(r, s.id)["totals"], s.totals(),
                                  "county %s child %s" % (county.id, s.id))
            self.assertTotals(r["totals"], self.school_totals(county.id), "county %s" % county.id)
        silent = rh.child(self.c105.report(), "2141010502")
        self.assertEqual(silent["totals"]["students"], 0,
                         "a school that never synced counts nothing")
        c = self.c105.report()["completeness"]
        self.assertEqual((c["expected"], c["reported"]), (3, 2))
        self.assertEqual([str(x) for x in c["missing"]], ["2141010502"])

    def test_6_county_learns_school_names(self):
        r = self.c105.report()
        for s, c, _, _ in self.schools:
            if c is self.c105:
                self.assertEqual(rh.child(r, s.id).get("name"), s.name)

    def test_7_school_report_totals(self):
        for s, _, _, _ in self.schools:
            self.assertTotals(s.report(), s.totals(), "rollcall-school report of %s" % s.id)


if __name__ == "__main__":
    rh.main()
