#!/usr/bin/env python3
"""The province's report by city and county, as JSON, CSV and HTML, with suppression.

Topology (every process real, over 127.0.0.1):

    province 41 ─┬─ city 4113 (南阳市) ── county 411302: 2 schools
                  └─ county 411381 (邓州市, administered directly, code under 4113's
                     prefix): 2 schools + 1 that never syncs

Expected figures are computed here from the CSVs the test wrote (the rules of
DESIGN.md implemented again in rollcall_harness), never read back from a
rollcall program; the HTML is parsed as XML and its numbers checked.
"""

import csv
import io
import os
import re
import shutil
import subprocess
import time
import datetime
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

# A name with markup and a quote in it: every output must escape it.
WANCHENG = '宛城区 <A&B> "x"'
DIVISIONS = [
    ["code", "name", "city_code", "city_name", "kind", "reports_to"],
    ["41", "河南省", "", "", "province", ""],
    ["411302", WANCHENG, "4113", "南阳市", "district", "4113"],
    ["411381", "邓州市", "4113", "南阳市", "county_city", "41"],
]
SUPPRESS = 5


def flat(t):
    """A totals object as {csv column: count}."""
    out = {}
    for k, v in t.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                out["%s.%s" % (k, kk)] = vv
        else:
            out[k] = v
    return out


class ReportFormats(rh.RollcallTestCase):
    harness_name = "report-formats"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.city = rh.Aggregator(h, "4113", "city", upstream=cls.prov)
        cls.c302 = rh.Aggregator(h, "411302", "county", upstream=cls.city)
        cls.c381 = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.city)
        cls.prov.enroll(cls.c381)
        cls.city.enroll(cls.c302)
        plan = [(cls.c302, "2141130200", 60, 11), (cls.c302, "3141130200", 45, 12),
                (cls.c381, "2141138100", 70, 13), (cls.c381, "2141138101", 35, 14)]
        cls.schools = []
        for county, sid, count, seed in plan:
            s = rh.School(h, sid, county.id, county)
            county.enroll(s)
            cls.schools.append((s, county))
        cls.silent = rh.School(h, "2141138102", "411381", cls.c381)
        cls.c381.enroll(cls.silent)
        for agg in (cls.prov, cls.city, cls.c302, cls.c381):
            agg.start()
        for (s, _), (_, _, count, seed) in zip(cls.schools, plan):
            s.generate(count, seed)
            s.sync()
        cls.want = rh.add_totals(*(s.totals() for s, _ in cls.schools))
        cls.divisions = h.path("divisions.csv")
        with open(cls.divisions, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(DIVISIONS)

        def done():
            r = cls.prov.report()
            c = r.get("completeness", {})
            ok = (c.get("expected") == 5 and c.get("reported") == 4
                  and r.get("totals", {}).get("students") == cls.want["students"])
            return r if ok else None

        try:
            rh.wait_until(done, 60, "the province to hold every summary")
        except AssertionError as e:
            raise AssertionError("%s\nlast province report: %s\n%s"
                                 % (e, cls.prov.report(), h.logs())) from None

    def county_totals(self, county_id):
        return rh.add_totals(*(s.totals() for s, c in self.schools if c.id == county_id))

    def report(self, fmt, *extra, agg=None):
        agg = agg or self.prov
        p = self.h.run([rh.AGG, "report", "--db", agg.db, "--format", fmt] + list(extra))
        return p.stdout

    def json_report(self, *extra):
        import json
        return json.loads(self.report("json", *extra))

    # -- JSON

    def test_1_counties_and_cities_counted_once(self):
        r = self.json_report("--divisions", self.divisions)
        self.assertTotals(r["totals"], self.want, "province totals vs. the CSVs")
        self.assertEqual(r.get("scope_name"), "河南省")
        self.assertEqual(sorted(c["id"] for c in r["children"]), ["4113", "411381"])
        names = {c["id"]: c["name"] for c in r["children"]}
        self.assertEqual(names, {"4113": "南阳市", "411381": "邓州市"})
        # One row per county, each under the unit it really reports through.
        rows = {c["code"]: c for c in r["counties"]}
        self.assertEqual(len(r["counties"]), 2, r["counties"])
        self.assertEqual(rows["411302"]["via"], "4113")
        self.assertEqual(rows["411381"]["via"], "411381",
                         "the directly administered county comes straight to the province")
        self.assertEqual(rows["411302"]["name"], WANCHENG)
        for code in ("411302", "411381"):
            self.assertEqual(rows[code]["city_code"], "4113")
            self.assertEqual(rows[code]["city_name"], "南阳市")
            self.assertTotals(rows[code]["totals"], self.county_totals(code), "county " + code)
        self.assertTotals(rh.child(r, "4113")["totals"], self.county_totals("411302"), "city 4113")
        self.assertTotals(rh.child(r, "411381")["totals"], self.county_totals("411381"),
                          "direct county 411381")
        # Nothing twice, nothing dropped: both breakdowns add up to the totals.
        self.assertTotals(rh.add_totals(*(c["totals"] for c in r["counties"])), self.want,
                          "sum over counties")
        self.assertTotals(rh.add_totals(*(c["totals"] for c in r["children"])), self.want,
                          "sum over children")
        self.assertEqual((rows["411381"]["schools"], rows["411381"]["reported"],
                          rows["411381"]["missing"], rows["411381"]["stale"]), (3, 2, 1, 0))
        self.assertEqual((rows["411302"]["schools"], rows["411302"]["reported"]), (2, 2))
        self.assertEqual(r["completeness"]["missing"], [self.silent.id])

    def test_2_city_report_has_its_county(self):
        import json
        r = json.loads(self.report("json", agg=self.city))
        self.assertEqual([(c["code"], c["via"]) for c in r["counties"]], [("411302", "411302")])
        self.assertTotals(r["counties"][0]["totals"], self.county_totals("411302"), "city's county")

    # -- CSV

    def test_3_csv_for_excel(self):
        raw = self.report("csv", "--divisions", self.divisions)
        self.assertTrue(raw.startswith("\ufeff"), "a UTF-8 byte order mark leads, for Excel")
        rows = list(csv.DictReader(io.StringIO(raw[1:], newline="")))
        by = {(row["level"], row["id"], row["via"]): row for row in rows}
        total = by[("total", "total", "41")]
        for key, v in flat(self.want).items():
            self.assertEqual(int(total[key]), v, "csv total " + key)
        for code, via in (("411302", "4113"), ("411381", "411381")):
            row = by[("county", code, via)]
            for key, v in flat(self.county_totals(code)).items():
                self.assertEqual(int(row[key]), v, "csv county %s %s" % (code, key))
        self.assertEqual(by[("county", "411302", "4113")]["name"], WANCHENG)
        self.assertEqual(int(by[("unit", "411381", "")]["missing"]), 1)
        self.assertEqual(len(rows), 2 + 2 + 1, "2 children, 2 counties, the total")

    # -- HTML

    def html_tree(self, *extra):
        text = self.report("html", *extra)
        self.assertTrue(text.startswith("<!DOCTYPE html>"))
        for bad in ("http://", "https://", "src=", "href=", "<script", "@import", "url("):
            self.assertNotIn(bad, text, "the page must need nothing from outside")
        body = re.sub(r"^<!DOCTYPE[^>]*>", "", text)
        try:
            return text, ET.fromstring(body)
        except ET.ParseError as e:
            self.fail("the HTML is not well-formed XML: %s" % e)

    def cells(self, tr):
        return {td.get("data-k"): "".join(td.itertext()) for td in tr.iter("td")
                if td.get("data-k")}

    def test_4_html_is_self_contained_and_right(self):
        text, root = self.html_tree("--divisions", self.divisions)
        self.assertIn("宛城区 &lt;A&amp;B&gt; &quot;x&quot;", text, "names are escaped")
        self.assertIsNotNone(root.find(".//svg"), "charts are inline SVG")
        rows = root.findall(".//tr[@data-level='county']")
        got = {(tr.get("data-unit"), tr.get("data-via")): self.cells(tr) for tr in rows}
        self.assertEqual(set(got), {("411302", "4113"), ("411381", "411381")})
        for (code, _), cells in got.items():
            for key, v in flat(self.county_totals(code)).items():
                self.assertEqual(int(cells[key]), v, "html county %s %s" % (code, key))
        units = {tr.get("data-unit"): self.cells(tr)
                 for tr in root.findall(".//tr[@data-level='unit']")}
        self.assertEqual(int(units["411381"]["missing"]), 1)
        for key, v in flat(self.county_totals("411302")).items():
            self.assertEqual(int(units["4113"][key]), v, "html city 4113 " + key)
        totals = root.findall(".//tr[@data-level='total']")
        self.assertTrue(totals)
        for tr in totals:
            cells = self.cells(tr)
            for key, v in flat(self.want).items():
                self.assertEqual(int(cells[key]), v, "html total " + key)
        lacking = root.find(".//b[@data-k='condition_none']")
        self.assertEqual(int(lacking.text), self.want["condition_none"])

    # -- suppression

    def test_5_suppression_hides_small_counts_but_not_totals(self):
        r = self.json_report("--suppress-below", str(SUPPRESS))
        self.assertEqual(r["suppress_below"], SUPPRESS)
        self.assertTotals(r["totals"], self.want, "totals stay exact")
        hidden = 0
        for c in r["counties"]:
            want = flat(self.county_totals(c["code"]))
            for key, v in flat(c["totals"]).items():
                if 0 < want[key] < SUPPRESS:
                    self.assertIsNone(v, "county %s %s=%d must be suppressed"
                                      % (c["code"], key, want[key]))
                    hidden += 1
                else:
                    self.assertEqual(v, want[key], "county %s %s" % (c["code"], key))
        self.assertGreater(hidden, 0, "the test data should have small counts to hide")

        raw = self.report("csv", "--suppress-below", str(SUPPRESS))
        rows = list(csv.DictReader(io.StringIO(raw[1:], newline="")))
        for row in rows:
            if row["level"] == "county":
                want = flat(self.county_totals(row["id"]))
                for key, v in want.items():
                    self.assertEqual(row[key], "<%d" % SUPPRESS if 0 < v < SUPPRESS else str(v),
                                     "csv county %s %s" % (row["id"], key))
            if row["level"] == "total":
                for key, v in flat(self.want).items():
                    self.assertEqual(row[key], str(v), "csv total " + key)

        _, root = self.html_tree("--suppress-below", str(SUPPRESS))
        for tr in root.findall(".//tr[@data-level='county']"):
            want = flat(self.county_totals(tr.get("data-unit")))
            cells = self.cells(tr)
            for key, v in want.items():
                self.assertEqual(cells[key], "<%d" % SUPPRESS if 0 < v < SUPPRESS else str(v),
                                 "html county %s %s" % (tr.get("data-unit"), key))

    def test_5b_province_named_and_local_times(self):
        """Without a divisions table the province's report names 河南省 (and Henan Province on
        the bilingual page), and its times are local, with their offset."""
        self.assertEqual(self.json_report()["scope_name"], "河南省")
        raw = self.report("csv")
        rows = list(csv.DictReader(io.StringIO(raw[1:], newline="")))
        self.assertEqual([r["name"] for r in rows if r["level"] == "total"], ["河南省"])
        self.h.env["TZ"] = "Asia/Shanghai"
        try:
            before = time.time()
            text, root = self.html_tree()
            after = time.time()
        finally:
            self.h.env.pop("TZ")
        scope = "".join(next(e for e in root.iter() if e.get("id") == "scope").itertext())
        self.assertEqual(scope, "河南省 Henan Province (41)")
        m = re.search(r"生成 generated (\d{4}-\d\d-\d\d \d\d:\d\d) ([+-]\d{4})", text)
        self.assertIsNotNone(m, "the generated time is written as local time with its offset")
        self.assertEqual(m.group(2), "+0800")
        shown = datetime.datetime.strptime(m.group(1) + " +0800", "%Y-%m-%d %H:%M %z")
        self.assertLessEqual(before - 60, shown.timestamp())
        self.assertLessEqual(shown.timestamp(), after)
        self.assertNotIn(" UTC", text)

    def print_rules(self, text):
        """The body of the page's @media print block; fails unless braces balance."""
        style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
        depth = 0
        for ch in style:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            self.assertGreaterEqual(depth, 0, "a '}' closes nothing in the stylesheet")
        self.assertEqual(depth, 0, "the stylesheet leaves a '{' open")
        at = style.index("@media print{") + len("@media print{")
        depth, end = 1, at
        while depth:
            depth += {"{": 1, "}": -1}.get(style[end], 0)
            end += 1
        return style[at:end - 1]

    def test_5c_prints_on_a4(self):
        """The page prints on A4: page size, tables within the width, headers repeated, rows
        and charts kept whole; Chromium, when present, prints it to a bounded number of pages."""
        text, root = self.html_tree("--divisions", self.divisions)
        rules = self.print_rules(text)
        for want in (r"@page\{[^}]*size:A4", r"table\{[^}]*table-layout:fixed",
                     r"table\{[^}]*width:100%", r"word-break:break-all",
                     r"thead\{display:table-header-group\}",
                     r"tr[^{]*\{[^}]*break-inside:avoid", r"svg\.chart\{[^}]*max-width:100%"):
            self.assertRegex(rules, want)
        chromium = shutil.which("chromium")
        if not chromium:
            self.skipTest("chromium is not installed: the PDF page count is not checked")
        page = self.h.path("report.html")
        pdf = self.h.path("report.pdf")
        with open(page, "w", encoding="utf-8") as f:
            f.write(text)
        env = dict(self.h.env, HOME=self.h.path("chromium-home"))
        try:
            p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                "--print-to-pdf=" + pdf, "file://" + page],
                               capture_output=True, timeout=180, env=env)
        except subprocess.TimeoutExpired:
            self.skipTest("chromium did not print within 180 s on this machine")
        if not os.path.exists(pdf):
            self.skipTest("chromium could not run here (exit %d): %s"
                          % (p.returncode, p.stderr[-300:].decode("utf-8", "replace")))
        with open(pdf, "rb") as f:
            pages = len(re.findall(rb"/Type\s*/Page(?![a-z])", f.read()))
        # A page per section at most, plus one for every 15 table rows.
        bound = 7 + len(list(e for e in root.iter() if e.tag.endswith("tr"))) // 15
        self.assertGreater(pages, 0)
        self.assertLessEqual(pages, bound)

    def test_6_bad_options(self):
        for bad in ("0", "-3", "x", "5x"):
            p = self.h.run([rh.AGG, "report", "--db", self.prov.db, "--suppress-below", bad],
                           expect=rh.EXIT_USAGE)
            self.assertIn("--suppress-below", p.stderr)
        p = self.h.run([rh.AGG, "report", "--db", self.prov.db, "--divisions",
                        self.h.path("none.csv")], expect=rh.EXIT_DATA)
        self.assertIn("none.csv", p.stderr)
        bad = self.h.path("bad-divisions.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("code,title\n411381,邓州市\n")
        p = self.h.run([rh.AGG, "report", "--db", self.prov.db, "--divisions", bad],
                       expect=rh.EXIT_DATA)
        self.assertIn("bad-divisions.csv:1:", p.stderr)


if __name__ == "__main__":
    rh.main()
