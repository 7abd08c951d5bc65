"""The dashboard of `rollcall-agg run --http`: operator token, escaping, and what a browser shows.

County 410105 with school A (a name full of HTML) and school B that sync,
and school N that never does. The test writes A's students itself: some are
blind spots (one named like an HTML tag), some are not. Without the token
the page is refused (401); with it, headless Chromium renders it: the
screenshot is a non-blank PNG of the window's size, and the DOM holds the
totals and exactly the blind-spot names the test computed from its CSVs.
"""

import html.parser
import os
import shutil
import struct
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_metrics import http_get, start_with_http  # noqa: E402

COUNTY = "410105"
WIDTH, HEIGHT = 1200, 1600
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_TIMEOUT = 90
HOSTILE_NAME = "<img src=x onerror=alert(1)>王五"


def a_students():
    """A's students: (row, is a blind spot by design)."""
    base = dict(groups="left_behind", assistance="", participation="active")

    def row(seq, name, network, devices, **kw):
        r = dict(base, student_id=rh.student_id(COUNTY, "20150301", seq), name=name, grade="4",
                 **{"class": "4-1"}, network=network, devices=devices)
        r.update(kw)
        return r

    return [
        row(1, "张三", "", "", groups="poverty_card"),             # no conditions, no help
        row(2, "李四", "broadband", "computer", participation="absent"),  # absent, no help
        row(3, HOSTILE_NAME, "", "tv"),                             # TV without a signal
        row(4, "赵六", "", "", assistance="loaned_device"),        # helped: not a blind spot
        row(5, "钱七", "mobile", "smartphone"),                    # online
        row(6, "孙八", "", "", assistance="tv_at_village:planned"),  # only planned help
    ]


class DomText(html.parser.HTMLParser):
    """Text by element id, the cells of each table row, and every start tag seen."""

    def __init__(self):
        super().__init__()
        self.by_id, self.rows, self.tags = {}, {}, []
        self._stack, self._table, self._row, self._cell = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "table":
            self._table = attrs.get("id")
            self.rows.setdefault(self._table, [])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        self._stack.append((tag, attrs.get("id")))
        if attrs.get("id"):
            self.by_id.setdefault(attrs["id"], "")

    def handle_endtag(self, tag):
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._table, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        for _, ident in self._stack:
            if ident:
                self.by_id[ident] = self.by_id.get(ident, "") + data


def parse_dom(text):
    p = DomText()
    p.feed(text)
    return p


def png_pixels(path):
    """(width, height, set of distinct RGB(A) pixels, share of non-white pixels) of an 8-bit PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    width, height, depth, colour, _, _, interlace = ihdr
    assert depth == 8 and colour in (2, 6) and interlace == 0, ihdr
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours, nonwhite = set(), 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        if y % 4 == 0:  # every fourth row is plenty to tell a page from a blank
            for x in range(0, stride, bpp * 2):
                px = bytes(line[x:x + 3])
                colours.add(px)
                if px != b"\xff\xff\xff":
                    nonwhite += 1
        prev = line
    sampled = ((height + 3) // 4) * ((width + 1) // 2)
    return width, height, colours, nonwhite / sampled


class DashboardTest(rh.RollcallTestCase):
    harness_name = "dashboard"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.a = rh.School(h, "4101050001", COUNTY, cls.county, name="<b>实验&小学</b>")
        cls.b = rh.School(h, "4101050002", COUNTY, cls.county, name="第二小学")
        cls.n = rh.School(h, "4101050003", COUNTY, cls.county, name="山区小学")
        for s in (cls.a, cls.b, cls.n):
            cls.county.enroll(s)
        cls.http = start_with_http(cls.county)
        path = h.path("a.csv")
        rh.write_csv(path, a_students())
        cls.a.import_csv(path)
        cls.b.generate(80, 11)
        cls.a.sync()
        cls.b.sync()
        cls.token = h.run([rh.AGG, "dashboard-token", "--db", cls.county.db]).stdout.strip()
        cls.truth = rh.add_totals(cls.a.totals(), cls.b.totals())
        cls.blind_names = sorted(r["name"] for r in cls.a.rows + cls.b.rows if rh.is_blind_spot(r))

    def get(self, path="/", token=None, bearer=None):
        headers = {"Authorization": "Bearer " + bearer} if bearer else {}
        if token is not None:
            path += "?token=" + token
        return http_get(self.http, path, headers)

    def test_1_token_required(self):
        self.assertEqual(len(self.token), 64)
        for status, _, body in (self.get(), self.get(token=""), self.get(token="0" * 64),
                                self.get(bearer="0" * 64), self.get(token=self.token[:-1]),
                                self.get(bearer=self.token + "0")):
            self.assertEqual(status, 401)
            self.assertNotIn(b"<html", body)
            self.assertNotIn(HOSTILE_NAME.encode(), body)
        status, headers, _ = self.get()
        self.assertIn("Bearer", headers["WWW-Authenticate"])
        # /metrics stays open: it carries no names.
        self.assertEqual(self.get("/metrics")[0], 200)

    def test_2_page_with_token(self):
        for status, headers, body in (self.get(token=self.token), self.get(bearer=self.token)):
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/html"))
            self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
            page = body.decode("utf-8")
            # Self-contained: nothing to fetch, nothing to run.
            for bad in ("<script", "src=\"http", "href=\"http", "@import", "url("):
                self.assertNotIn(bad, page)
            # Names from the store are text, never markup.
            self.assertNotIn(HOSTILE_NAME, page)
            self.assertIn("&lt;img src=x onerror=alert(1)&gt;王五", page)
            self.assertIn("&lt;b&gt;实验&amp;小学&lt;/b&gt;", page)
            self.assertIn("<svg", page)

    def test_3_new_token_replaces_the_old(self):
        old = self.token
        new = self.h.run([rh.AGG, "dashboard-token", "--db", self.county.db,
                          "--new"]).stdout.strip()
        self.assertNotEqual(new, old)
        self.assertEqual(self.get(token=old)[0], 401)
        self.assertEqual(self.get(token=new)[0], 200)
        self.assertEqual(self.h.run([rh.AGG, "dashboard-token", "--db", self.county.db])
                         .stdout.strip(), new, "without --new the token is kept")
        type(self).token = new

    def chromium(self, *args):
        if not CHROMIUM:
            if os.environ.get("ROLLCALL_REQUIRE_CHROMIUM") == "1":
                self.fail("chromium is not installed (ops/test installs it)")
            self.skipTest("chromium is not installed (ops/test installs it)")
        profile = self.h.path("chromium-profile")
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile,
               "--window-size=%d,%d" % (WIDTH, HEIGHT)] + list(args)
        url = "http://127.0.0.1:%d/?token=%s" % (self.http, self.token)
        try:
            return subprocess.run(cmd + [url], capture_output=True, timeout=CHROMIUM_TIMEOUT,
                                  cwd=self.h.dir)
        except subprocess.TimeoutExpired:
            self.fail("chromium did not finish within %d s" % CHROMIUM_TIMEOUT)

    def test_4_screenshot(self):
        shot = self.h.path("dashboard.png")
        p = self.chromium("--screenshot=" + shot)
        self.assertTrue(os.path.exists(shot), "no screenshot; chromium said:\n%s"
                        % p.stderr.decode("utf-8", "replace")[-2000:])
        width, height, colours, ink = png_pixels(shot)
        self.assertEqual((width, height), (WIDTH, HEIGHT))
        self.assertGreater(len(colours), 20, "a blank or one-colour screenshot")
        self.assertGreater(ink, 0.01, "almost nothing drawn")

    def test_5_dom(self):
        p = self.chromium("--dump-dom")
        dom = p.stdout.decode("utf-8")
        self.assertIn("</html>", dom, p.stderr.decode("utf-8", "replace")[-2000:])
        d = parse_dom(dom)
        self.assertNotIn("img", d.tags, "a name became markup")
        want = {
            "total-students": self.truth["students"],
            "total-online": self.truth["condition_online"],
            "total-tv-only": self.truth["condition_tv_only"],
            "total-none": self.truth["condition_none"],
            "total-blind-spots": self.truth["blind_spots"],
            "total-absent": self.truth["participation"]["absent"],
            "schools-expected": 3, "schools-reported": 2, "schools-stale": 0, "schools-never": 1,
        }
        got = {k: int(d.by_id.get(k, "-1").strip()) for k in want}
        self.assertEqual(got, want)
        # The blind spots, by name: exactly those the CSVs make, A's four among them.
        spots = d.rows.get("blind-spots", [])
        self.assertTrue(spots, "no blind-spot table")
        col = spots[0].index("姓名")  # the first row is the header
        names = sorted(row[col] for row in spots[1:])
        self.assertEqual(names, self.blind_names)
        for n in ("张三", "李四", HOSTILE_NAME, "孙八"):
            self.assertIn(n, names)
        for n in ("赵六", "钱七"):
            self.assertNotIn(n, names)
        # School N is listed as never reported; A and B are not.
        attention = d.rows.get("attention", [])
        self.assertEqual(attention[0][:4], ["学校代码", "学校", "上报经由", "状态"])
        self.assertEqual([(r[0], r[3]) for r in attention[1:]], [(self.n.id, "从未上报")])
        self.assertEqual(d.tags.count("svg"), 3, "three charts")


if __name__ == "__main__":
    rh.main()
