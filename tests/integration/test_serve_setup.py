#!/usr/bin/env python3
"""A school set up from its first page, as a clerk meets it: `serve --db` naming a store that
does not exist yet opens a form for the county's notice (school code, name, county code, the
county's address and public key) in headless Chromium. A wrong entry is said in Chinese and
makes nothing; a right one makes the store and shows the school's public key, which the county
enrolls; then a sheet uploaded and Sync pressed on the same page reach the county."""

import json
import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
import test_serve as ts  # noqa: E402

COUNTY = "410105"
SCHOOL = "4101050007"
NAME = "金水区第七小学"
PSEUDONYM_KEY = bytes(range(100, 132))  # the province's own, not the built-in one


class ServeSetup(rh.RollcallTestCase):
    harness_name = "serve-setup"

    # The page's requests as test_serve makes them (self.base, self.token, self.request).
    request, get, post, upload = ts.Serve.request, ts.Serve.get, ts.Serve.post, ts.Serve.upload
    browser = ts.Serve.browser

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.county.start()
        os.mkdir(h.path("学校数据"))
        cls.db = h.path("学校数据", "school.db")

    def setup_form(self, b, fields):
        """Types fields into the setup form and presses 建立: the page that answers (a new one,
        not the one before, which may hold a notice too)."""
        before = b.source()
        for name, value in fields:
            b.type("#setup [name=\"%s\"]" % name, value)
        b.click("#setup-submit")
        return rh.wait_until(lambda: (lambda t: t if t != before and 'id="notice"' in t else None)(
            b.source()), 120, "the page to answer the setup form")

    def test_the_first_page_sets_the_school_up(self):
        b = self.browser()
        proc, url = ts.Serve.start_serve(self.h, [], label="serve-new", db=self.db)
        u = urllib.parse.urlsplit(url)
        self.base = "%s://%s" % (u.scheme, u.netloc)
        self.token = urllib.parse.parse_qs(u.query)["t"][0]
        try:
            b.open(url)
            first = b.source()
            self.assertIn("<title>建立本校的数据</title>", first)
            self.assertIn("照县里发来的通知填写", first)
            # Nothing else is served before the school is set up.
            status, text, _ = self.request("/template.csv?t=" + self.token)
            self.assertEqual(status, 409, text[:500])
            self.assertIn("请先建立本校的数据", text)
            status, text, _ = self.post("/import", [])
            self.assertEqual(status, 409, text[:500])

            given = [("school", "41010500"), ("name", NAME), ("county", COUNTY),
                     ("upstream", self.county.endpoint), ("upstream_key", self.county.pubkey)]
            text = self.setup_form(b, given)
            self.assertEqual(ts.notice(text)[0], "没有建立：学校代码“41010500”应是 10 位数字")
            # What was typed is kept, and nothing is made.
            self.assertIn('name="name" value="%s"' % NAME, text)
            self.assertFalse(os.path.exists(self.db), "a refused setup makes no store")
            text = self.setup_form(b, [("school", SCHOOL), ("upstream_key", "12ab")])
            self.assertEqual(ts.notice(text)[0],
                             "没有建立：县里的公钥“12ab”不对：应是 64 个十六进制字符，即县里 "
                             "pubkey 命令打印的那一行")
            self.assertFalse(os.path.exists(self.db))
            # The province's pseudonym key, when it has one: a wrong one is refused and not
            # shown again (it is a secret).
            text = self.setup_form(b, [("upstream_key", self.county.pubkey),
                                       ("pseudonym_key", "abc123")])
            self.assertEqual(ts.notice(text)[0], "没有建立：假名密钥不对：应是 64 个十六进制字符"
                             "（省里给的那一行）")
            self.assertNotIn("abc123", text)
            self.assertFalse(os.path.exists(self.db))

            # Pasted with blanks around it, as from the county's message.
            text = self.setup_form(b, [("upstream_key", "  %s  " % self.county.pubkey),
                                       ("pseudonym_key", PSEUDONYM_KEY.hex())])
            title, detail = ts.notice(text)
            self.assertEqual(title, "已建立本校的数据：%s（%s）。" % (NAME, SCHOOL))
            key = self.h.run([rh.SCHOOL, "pubkey", "--db", self.db]).stdout.strip()
            self.assertEqual(detail, ["本校公钥：%s" % key,
                                      "请把这个公钥交给县里登记；县里登记以后，“同步到县里”才能成功。"])
            # The school's own page follows, its store as init makes it.
            self.assertIn("<h1>%s</h1>" % NAME, text)
            st = json.loads(self.h.run([rh.SCHOOL, "status", "--db", self.db, "--json"]).stdout)
            self.assertEqual((st["school"], st["county"], st["name"], st["upstream"]),
                             (SCHOOL, COUNTY, NAME, self.county.endpoint))
            status, text, _ = self.post("/setup", [("school", SCHOOL)])
            self.assertEqual(status, 409, text[:500])
            self.assertIn("本校的数据已经建立过了", text)

            # The county enrolls the key; a sheet and Sync on the same page reach it.
            self.h.run([rh.AGG, "enroll", "--db", self.county.db, "--source", SCHOOL,
                        "--key", key])
            status, text, _ = self.upload("学生名单.csv", ts.sheet_bytes(ts.SHEET))
            self.assertEqual(status, 200, text[:2000])
            self.assertRegex(ts.notice(text)[0], r"^已导入 %d 名学生" % len(ts.SHEET))
            b.open(url)
            b.click("#sync")
            text = rh.wait_until(lambda: ts.sync_ended(b.source()), 120, "the sync to end")
            self.assertEqual(ts.notice(text)[0], "同步完成：县里已确认收到全部改动。")

            def counted():
                c = rh.child(self.county.report(), SCHOOL)
                return c if c is not None and c["totals"]["students"] == len(ts.SHEET) else None

            rh.wait_until(counted, 30, "the county to count the school's students")
            # The county knows the students by pseudonyms under the province's key.
            self.assertEqual(
                sorted(p for p, _, _, _ in rh.county_student_rows(self.county.db)[SCHOOL]),
                sorted(rh.pseudonym(row[0], key=PSEUDONYM_KEY) for row in ts.SHEET))
        finally:
            self.h.stop(proc)
        # Started again, serve opens the store the page made.
        proc, url = ts.Serve.start_serve(self.h, [], label="serve-again", db=self.db)
        try:
            b.open(url)
            self.assertIn("<h1>%s</h1>" % NAME, b.source())
            self.assertTrue(re.search(r'id="students-count">%d<' % len(ts.SHEET), b.source()))
        finally:
            self.h.stop(proc)


if __name__ == "__main__":
    rh.main()
