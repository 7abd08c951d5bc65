#!/usr/bin/env python3
"""The exchange through a city: province 41 ── city 4101 ── counties 410102 and 410103, and
county 411381 directly under the province, one school each.

Some students are enrolled in two of the counties, for every pair, and one in all three. The
city takes its counties' digests and passes them up in a file of its own signed by the city;
the province takes it for counties under the city's code only, counts what each pair shares,
and makes each county's matches; the city takes those for its counties (the province's key is
its upstream's) and hands each county its own re-signed by the city, which the county checks
against its upstream's key as a county under the province does. Every figure is computed here
from the rows the test gave the schools. Neither the city's store nor the province's holds a
student number, name, pseudonym or the exchange key. Forged, misaddressed and older files are
refused with what and where, and change nothing.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_editing import query  # noqa: E402
from test_dashboard import parse_dom  # noqa: E402
from test_dashboard_county import table  # noqa: E402
from test_exchange import student_words_in  # noqa: E402
from test_metrics import http_get, start_with_http  # noqa: E402

X, Y, Z = "2141010201", "2141010301", "2141138101"


class ExchangeThroughCity(rh.RollcallTestCase):
    harness_name = "exchange-city"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4101", "city", upstream=cls.prov)
        cls.cx = rh.Aggregator(h, "410102", "county", upstream=cls.city)
        cls.cy = rh.Aggregator(h, "410103", "county", upstream=cls.city)
        cls.cz = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.city)
        cls.prov.enroll(cls.cz)
        cls.city.enroll(cls.cx)
        cls.city.enroll(cls.cy)
        cls.x = rh.School(h, X, "410102", cls.cx)
        cls.y = rh.School(h, Y, "410103", cls.cy)
        cls.z = rh.School(h, Z, "411381", cls.cz)
        cls.school_of = {cls.cx.id: cls.x, cls.cy.id: cls.y, cls.cz.id: cls.z}
        cls.cx.enroll(cls.x)
        cls.cy.enroll(cls.y)
        cls.cz.enroll(cls.z)
        for agg in (cls.prov, cls.city, cls.cx, cls.cy, cls.cz):
            agg.start()
        cls.x.generate(30, 81)
        cls.y.generate(25, 82)
        cls.z.generate(20, 83)
        # Every pair shares some students; X's tenth is in all three counties.
        take = [(cls.y, cls.x.rows[0:4] + cls.x.rows[9:10]),
                (cls.z, cls.x.rows[4:7] + cls.x.rows[9:10]),
                (cls.z, cls.y.rows[0:2])]
        for i, (school, rows) in enumerate(take):
            path = h.path("take-%d.csv" % i)
            rh.write_csv(path, rows)
            school.import_csv(path)
        for s in (cls.x, cls.y, cls.z):
            s.sync()
            rh.wait_for_truth(h, [s], [cls.county_of(s)])
        cls.key = h.path("exchange.key")

    @classmethod
    def county_of(cls, school):
        return {cls.x: cls.cx, cls.y: cls.cy, cls.z: cls.cz}[school]

    def run_exchange(self, agg, *args, expect=rh.EXIT_OK):
        return self.h.run([rh.AGG, "exchange", args[0], "--db", agg.db] + list(args[1:]),
                          expect=expect)

    def ids(self, county):
        return {r["student_id"] for r in self.school_of[county.id].rows}

    def want_pairs(self):
        counties = sorted((self.cx, self.cy, self.cz), key=lambda c: c.id)
        want = []
        for i, a in enumerate(counties):
            for b in counties[i + 1:]:
                n = len(self.ids(a) & self.ids(b))
                if n:
                    want.append({"a": a.id, "b": b.id, "shared": n})
        return want

    def want_elsewhere(self, county):
        school = self.school_of[county.id]
        out = []
        for other in (self.cx, self.cy, self.cz):
            if other is county:
                continue
            both = self.ids(county) & self.ids(other)
            out += [(other.id, "enrolled", school.id, int(r["grade"]), r["class"], r["name"])
                    for r in school.rows if r["student_id"] in both]
        return sorted(out, key=lambda e: (e[0], e[2], e[3], e[4].encode(), e[5].encode()))

    def elsewhere(self, county):
        p = self.h.run([rh.AGG, "list", "elsewhere", "--db", county.db, "--format", "json"])
        return [tuple(r[k] for k in ("county", "status", "school_id", "grade", "class", "name"))
                for r in json.loads(p.stdout)["rows"]]

    def store_state(self, agg):
        return (query(agg.db, "SELECT unit, digests, made, matches_made FROM exchange_units"
                              " ORDER BY unit"),
                query(agg.db, "SELECT unit, hex(digest) FROM exchange_digests ORDER BY 1, 2"),
                query(agg.db, "SELECT county, other, hex(digest) FROM exchange_relay"
                              " ORDER BY 1, 2, 3"))

    def refused(self, agg, path, why, state_of=None):
        """Importing path at agg fails naming why and path; state_of (default agg) is unchanged."""
        state_of = state_of or agg
        before = self.store_state(state_of), self.elsewhere_or_none(state_of)
        p = self.run_exchange(agg, "import", path, expect=rh.EXIT_DATA)
        self.assertIn(why, p.stderr)
        self.assertIn(path, p.stderr)
        self.assertEqual((self.store_state(state_of), self.elsewhere_or_none(state_of)), before,
                         path)
        return p

    def elsewhere_or_none(self, agg):
        return self.elsewhere(agg) if agg.tier == "county" else None

    def send_up(self, tag):
        """Every county's digests to its upstream, the city's on to the province; the files."""
        files = {}
        for county, up in ((self.cx, self.city), (self.cy, self.city), (self.cz, self.prov)):
            files[county.id] = self.h.path("%s-%s.digests" % (county.id, tag))
            p = self.run_exchange(county, "digests", "--out", files[county.id])
            self.assertIn("%d digests" % len(self.ids(county)), p.stdout)
            p = self.run_exchange(up, "import", files[county.id])
            self.assertIn("%d digests of %s" % (len(self.ids(county)), county.id), p.stdout)
        files["city"] = self.h.path("city-%s.digests" % tag)
        self.run_exchange(self.city, "digests", "--out", files["city"])
        p = self.run_exchange(self.prov, "import", files["city"])
        self.assertIn("%d digests of 2 counties from 4101"
                      % (len(self.ids(self.cx)) + len(self.ids(self.cy))), p.stdout)
        return files

    def hand_down(self, tag):
        """Each county's matches from the province, through the city for its two; the files."""
        files = {}
        for county in (self.cx, self.cy, self.cz):
            path = files[county.id] = self.h.path("%s-%s.matches" % (county.id, tag))
            want = sum(len(self.ids(county) & self.ids(o))
                       for o in (self.cx, self.cy, self.cz) if o is not county)
            p = self.run_exchange(self.prov, "matches", "--county", county.id, "--out", path)
            self.assertIn("%d matches" % want, p.stdout)
            if county is not self.cz:
                p = self.run_exchange(self.city, "import", path)
                self.assertIn("matches from 41 for %s kept" % county.id, p.stdout)
                path = files["city " + county.id] = self.h.path(
                    "%s-%s.city-matches" % (county.id, tag))
                p = self.run_exchange(self.city, "matches", "--county", county.id, "--out", path)
                self.assertIn("%d matches" % want, p.stdout)
            p = self.run_exchange(county, "import", path)
            self.assertIn("%d students of %s" % (len(self.want_elsewhere(county)), county.id),
                          p.stdout)
        return files

    def test_1_counts_and_lists_through_the_city(self):
        self.run_exchange(self.cx, "key", "--new", self.key)
        for c in (self.cy, self.cz):
            self.run_exchange(c, "key", "--import", self.key)
        # The test's rows make every pair share, or there is nothing to show.
        self.assertEqual(len(self.want_pairs()), 3)
        self.__class__.up = self.send_up("1")
        self.assertEqual(self.prov.report()["exchange"], self.want_pairs())
        self.__class__.down = self.hand_down("1")
        for county in (self.cx, self.cy, self.cz):
            self.assertEqual(self.elsewhere(county), self.want_elsewhere(county), county.id)

    def test_1b_the_county_dashboard_lists_them(self):
        self.cx.stop()
        port = start_with_http(self.cx)
        token = self.h.run([rh.AGG, "dashboard-token", "--db", self.cx.db]).stdout.strip()
        status, _, body = http_get(port, "/?token=" + token)
        self.assertEqual(status, 200, body[:500])
        text = body.decode("utf-8")
        self.assertIn('<a href="#h-elsewhere">', text)
        header, got = table(parse_dom(text), "elsewhere")
        cols = [header.index(h) for h in ("另一区县", "本县状态", "学校代码", "年级", "班级", "姓名")]
        # As `list elsewhere` lists them, its status in the word the README gives (在读).
        want = [(c, "在读", s, str(g), k, n) for c, _, s, g, k, n in self.want_elsewhere(self.cx)]
        self.assertEqual([tuple(r[i] for i in cols) for r in got], want)

    def test_2_each_file_from_the_tier_that_hands_it_over(self):
        # A county under the city is not enrolled at the province: its own file is refused.
        self.refused(self.prov, self.up[self.cx.id], "410102 is not enrolled", self.prov)
        # The province's matches are checked against the county's upstream key: the city's.
        self.refused(self.cx, self.down[self.cx.id], "signature does not verify", self.cx)
        # Each kind goes to its own tier.
        self.refused(self.city, self.up["city"], "a city's digests go to the province", self.city)
        self.refused(self.cx, self.up["city"], "a city's digests go to the province", self.cx)
        self.refused(self.prov, self.down[self.cz.id], "is a province", self.prov)
        # Matches for a county not under the city, and the city's for another of its counties.
        self.refused(self.city, self.down[self.cz.id], "has sent no digests to this city 4101",
                     self.city)
        self.refused(self.cx, self.down["city " + self.cy.id], "not for this county 410102",
                     self.cx)
        # A digest changed in the city's file: the city's signature no longer holds.
        with open(self.up["city"]) as f:
            lines = f.read().split("\n")
        lines[3] = lines[3][:-1] + ("0" if lines[3][-1] != "0" else "1")
        forged = self.h.path("forged-city.digests")
        with open(forged, "w") as f:
            f.write("\n".join(lines))
        self.refused(self.prov, forged, "signature does not verify", self.prov)

    def test_3_a_city_speaks_only_for_counties_under_its_code(self):
        # City 4102 took 410102's digests by mistake; the province refuses the lot.
        other = rh.Aggregator(self.h, "4102", "city", upstream=self.prov)
        self.prov.enroll(other)
        other.enroll(self.cx)
        self.run_exchange(other, "import", self.up[self.cx.id])
        path = self.h.path("city-4102.digests")
        self.run_exchange(other, "digests", "--out", path)
        self.refused(self.prov, path, "county 410102 is not under city 4102", self.prov)
        # Nor does a city carry a county enrolled at the province itself.
        self.prov.enroll(self.cx)
        try:
            self.refused(self.prov, self.up["city"], "county 410102 is enrolled here itself",
                         self.prov)
        finally:
            self.prov.revoke(self.cx)
        self.assertEqual(self.prov.report()["exchange"], self.want_pairs())

    def test_4_an_older_file_never_replaces_a_newer(self):
        # Files carry the second they were made: the next ones are made a second later.
        time.sleep(1.1)
        up = self.send_up("2")
        down = self.hand_down("2")
        self.refused(self.prov, self.up["city"], "an older file never replaces a newer one",
                     self.prov)
        self.refused(self.prov, self.up[self.cz.id], "an older file never replaces a newer one",
                     self.prov)
        self.refused(self.city, self.up[self.cy.id], "an older file never replaces a newer one",
                     self.city)
        self.refused(self.city, self.down[self.cx.id], "an older file never replaces a newer one",
                     self.city)
        for county in (self.cx, self.cz):
            key = ("city " + county.id) if county is self.cx else county.id
            p = self.refused(county, self.down[key], "an older file never replaces a newer one",
                             county)
            self.assertIn("matches of %s" % county.id, p.stderr)
        # The same file again is no older: taken, nothing moves.
        self.run_exchange(self.prov, "import", up["city"])
        self.run_exchange(self.cy, "import", down["city " + self.cy.id])
        self.assertEqual(self.prov.report()["exchange"], self.want_pairs())
        for county in (self.cx, self.cy, self.cz):
            self.assertEqual(self.elsewhere(county), self.want_elsewhere(county), county.id)

    def test_5_city_and_province_hold_no_student(self):
        rows = [self.x.rows, self.y.rows, self.z.rows]
        for agg in (self.city, self.prov):
            agg.stop()
            try:
                found = student_words_in(agg.db, rows, self.key)
                self.assertEqual(found[:10], [], "in %s's store: %d" % (agg.id, len(found)))
            finally:
                agg.start()
        # The search finds what is there: a county holds its students' pseudonyms.
        self.assertNotEqual(student_words_in(self.cx.db, rows, self.key), [])


if __name__ == "__main__":
    rh.main()
