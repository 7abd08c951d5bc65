#!/usr/bin/env python3
"""Completeness and timeliness: a reporting deadline, on time / late / never per unit, a
silent county counted missing with its expected schools, names of never-reported schools
from enrolment, and the daily series.

Province 41 enrolls county 410102 (schools S1, S2 and S3, S3 enrolled with a name and never
syncing) and county 410105 with `--expect 7`, which never runs. S1 syncs, then the deadline
falls (a moment chosen between the two syncs, so no assertion depends on how long anything
took), then S2 syncs. Every figure is checked against what the test did.
"""

import calendar
import csv
import io
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

SILENT_NAME = "金水区"
NEVER_NAME = "未报告的村小"


def iso_utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Timeliness(rh.RollcallTestCase):
    harness_name = "timeliness"

    @classmethod
    def build(cls):
        h = cls.h
        cls.province = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "410102", "county", upstream=cls.province)
        cls.silent = rh.Aggregator(h, "410105", "county", upstream=cls.province)
        cls.province.enroll(cls.county)
        h.run([rh.AGG, "enroll", "--db", cls.province.db, "--source", cls.silent.id,
               "--key", cls.silent.pubkey, "--name", SILENT_NAME, "--expect", "7"])
        cls.s1, cls.s2, cls.s3 = [rh.School(h, "21410102%02d" % (i + 1), "410102", cls.county)
                                  for i in range(3)]
        for s in (cls.s1, cls.s2):
            cls.county.enroll(s)
        h.run([rh.AGG, "enroll", "--db", cls.county.db, "--source", cls.s3.id,
               "--key", cls.s3.pubkey, "--name", NEVER_NAME])
        cls.s1.generate(20, seed=1)
        cls.s2.generate(30, seed=2)
        cls.province.start()
        cls.county.start()

    def report(self, agg, *extra, fmt="json"):
        p = self.h.run([rh.AGG, "report", "--db", agg.db, "--format", fmt] + list(extra))
        return rh.json.loads(p.stdout) if fmt == "json" else p.stdout

    def province_holds(self, reported):
        rh.wait_until(lambda: self.report(self.province)["completeness"]["reported"] == reported,
                      60, "the province holding %d reported schools" % reported)

    def test_1_first_school_reports_before_the_deadline(self):
        self.s1.sync()
        # Acknowledged, so the county's first accepted batch of S1 is at or before now.
        self.__class__.deadline = int(time.time())
        # The deadline's second has passed before S2 sends anything.
        rh.wait_until(lambda: time.time() >= self.deadline + 1.05, 5, "the clock passing the "
                      "deadline")
        self.s2.sync()
        self.province_holds(2)

    def test_2_county_counts_on_time_late_and_never(self):
        r = self.report(self.county, "--deadline", iso_utc(self.deadline))
        c, t = r["completeness"], r["timeliness"]
        self.assertEqual(t["deadline"], self.deadline)
        self.assertEqual((c["expected"], c["reported"], t["on_time"], t["late"], t["never"]),
                         (3, 2, 1, 1, 1))
        self.assertEqual((t["expected"], t["reported"]), (3, 2))
        self.assertEqual(c["missing"], [self.s3.id])
        self.assertEqual(t["never_reported"], [{"id": self.s3.id, "name": NEVER_NAME}],
                         "the name given at enrolment")
        by_id = {u["id"]: u for u in r["children"]}
        self.assertEqual((by_id[self.s1.id]["on_time"], by_id[self.s1.id]["late"]), (1, 0))
        self.assertEqual((by_id[self.s2.id]["on_time"], by_id[self.s2.id]["late"]), (0, 1))
        self.assertEqual((by_id[self.s3.id]["on_time"], by_id[self.s3.id]["missing"]), (0, 1))
        self.assertEqual(by_id[self.s3.id]["name"], NEVER_NAME)
        # Without a deadline there are no timeliness figures, only completeness.
        t = self.report(self.county)["timeliness"]
        self.assertIsNone(t["deadline"])
        self.assertIsNone(t["on_time"])
        self.assertEqual(t["never"], 1)

    def test_3_province_counts_a_silent_county_with_its_expected_schools(self):
        r = self.report(self.province, "--deadline", iso_utc(self.deadline))
        c, t = r["completeness"], r["timeliness"]
        # 3 schools of 410102 and the 7 that 410105 is to bring.
        self.assertEqual((c["expected"], c["reported"], t["on_time"], t["late"], t["never"]),
                         (10, 2, 1, 1, 8))
        self.assertEqual(c["missing"], [self.s3.id], "ids only of schools that are known")
        self.assertEqual(t["never_reported"], [{"id": self.s3.id, "name": NEVER_NAME}],
                         "the county sent the enrolled name")
        self.assertEqual(t["silent"], [{"id": "410105", "name": SILENT_NAME, "expected": 7}])
        kids = {u["id"]: u for u in r["children"]}
        self.assertTrue(kids["410105"]["silent"])
        self.assertEqual((kids["410105"]["schools"], kids["410105"]["missing"]), (7, 7))
        self.assertEqual(kids["410105"]["name"], SILENT_NAME)
        self.assertFalse(kids["410102"]["silent"])
        self.assertEqual((kids["410102"]["schools"], kids["410102"]["reported"],
                          kids["410102"]["on_time"], kids["410102"]["late"]), (3, 2, 1, 1))
        counties = {(k["code"], k["via"]): k for k in r["counties"]}
        self.assertEqual(counties[("410105", "410105")]["missing"], 7)
        # The rows add up to the totals, the silent county included.
        self.assertEqual(sum(u["schools"] for u in r["children"]), c["expected"])
        self.assertEqual(sum(k["schools"] for k in r["counties"]), c["expected"])
        # The rollup and a recount of every summary agree.
        self.assertEqual(r["totals"]["students"], 50)

    def test_4_the_store_keeps_its_deadline(self):
        p = self.h.run([rh.AGG, "deadline", "--db", self.province.db, "--set",
                        iso_utc(self.deadline)])
        self.assertIn("reporting deadline of 41", p.stdout)
        t = self.report(self.province)["timeliness"]
        self.assertEqual((t["deadline"], t["on_time"], t["late"]), (self.deadline, 1, 1))
        # A deadline before anyone reported: both are late.
        t = self.report(self.province, "--deadline", iso_utc(self.deadline - 86400))["timeliness"]
        self.assertEqual((t["on_time"], t["late"]), (0, 2))
        # --deadline none overrides the store's for one report.
        self.assertIsNone(self.report(self.province, "--deadline", "none")["timeliness"]["on_time"])
        self.h.run([rh.AGG, "deadline", "--db", self.province.db, "--clear"])
        self.assertIsNone(self.report(self.province)["timeliness"]["deadline"])
        self.h.run([rh.AGG, "deadline", "--db", self.province.db, "--set",
                    iso_utc(self.deadline)])

    def test_5_deadlines_are_read_in_the_zone_given_or_local(self):
        want = calendar.timegm((2020, 3, 6, 10, 0, 0))  # 18:00 in China
        for text, tz in (("2020-03-06T18:00+08:00", "UTC"), ("2020-03-06T18:00:00+0800", "UTC"),
                         ("2020-03-06T10:00Z", "Asia/Shanghai"),
                         ("2020-03-06 18:00", "Asia/Shanghai")):
            self.h.env["TZ"] = tz
            try:
                got = self.report(self.county, "--deadline", text)["timeliness"]["deadline"]
            finally:
                self.h.env.pop("TZ")
            self.assertEqual(got, want, "%s in TZ=%s" % (text, tz))
        self.h.env["TZ"] = "Asia/Shanghai"
        try:
            c = self.report(self.county, "--deadline", "2020-03-06")["timeliness"]
        finally:
            self.h.env.pop("TZ")
        self.assertEqual(c["deadline"], calendar.timegm((2020, 3, 6, 15, 59, 59)),
                         "a date alone is the end of that day, local")
        self.assertEqual(c["deadline_local"], "2020-03-06 23:59 +0800")
        for bad in ("2020-02-30", "2020-03-06T25:00", "tomorrow", "2020-03-06T18:00+8",
                    "2020-03-06T18:00+08:00junk"):
            p = self.h.run([rh.AGG, "report", "--db", self.county.db, "--deadline", bad],
                           expect=rh.EXIT_USAGE)
            self.assertIn("--deadline '%s'" % bad, p.stderr)
        p = self.h.run([rh.AGG, "enroll", "--db", self.county.db, "--source", self.s3.id,
                        "--key", self.s3.pubkey, "--expect", "3"], expect=rh.EXIT_DATA)
        self.assertIn("--expect is for the aggregators", p.stderr)
        self.h.run([rh.AGG, "enroll", "--db", self.province.db, "--source", "410105",
                    "--key", self.silent.pubkey, "--expect", "0"], expect=rh.EXIT_USAGE)

    def test_6_csv_and_html_show_timeliness(self):
        text = self.report(self.province, fmt="csv")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        total = [r for r in rows if r["level"] == "total"][0]
        self.assertEqual((total["schools"], total["reported"], total["missing"], total["on_time"],
                          total["late"]), ("10", "2", "8", "1", "1"))
        # Without a deadline the columns are the same as ever.
        plain = self.report(self.province, "--deadline", "none", fmt="csv")
        self.assertNotIn("on_time", plain.splitlines()[0])
        silent = [r for r in rows if r["level"] == "unit" and r["id"] == "410105"][0]
        self.assertEqual((silent["schools"], silent["missing"]), ("7", "7"))
        html = self.report(self.province, fmt="html")
        self.assertIn('id="deadline"', html)
        self.assertIn("从未报送 silent", html)
        self.assertIn('<tr data-level="timeliness" data-unit="410105" class="missing">', html)
        self.assertIn(NEVER_NAME, html)

    def test_7_the_daily_series_follows_the_reports(self):
        today = time.strftime("%Y-%m-%d", time.localtime())

        def series_holds():
            s = self.report(self.province)["timeliness"]["series"]
            return s and s[-1] == {"day": today, "expected": 10, "reported": 2}

        # `run` writes the day's row with its heartbeat.
        rh.wait_until(series_holds, 60, "the province's series showing today's 2 of 10")
        self.assertIn("每日报告进度", self.report(self.province, fmt="html"))
        rh.wait_until(lambda: (self.report(self.county)["timeliness"]["series"] or [{}])[-1]
                      .get("reported") == 2, 60, "the county's series showing 2 reported")


if __name__ == "__main__":
    rh.main()
