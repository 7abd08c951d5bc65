#!/usr/bin/env python3
"""`rollcall-school serve`: the Sync status page's stages 2 and 3, seen in Chromium.

Against a county on the same machine a sync sends and is acknowledged in
milliseconds, so a rollcall-faultproxy delays every message between the
school and a real county. The school holds more changes than the uplink
keeps in flight at once, some of them coalesced (a second sheet edits
students the first one added, before any was sent): the page, reloading
itself, names stage 2 with "N of M" sent, M the changes pending as this test
counts them from its two sheets and N below M, and stage 3 once all are
sent, not before; the sync ends acknowledged through the last
seq this test expects, and the county's totals are the sheets'. Then, with
--lang en, a few more edits: the English stages and outcome, the same way.
"""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
import test_serve as ts  # noqa: E402

COUNTY = "410102"
SCHOOL = "4101020001"
# More changes than the uplink has in flight at once (8 batches of at most 2000), so some wait
# to be sent while the first acknowledgements travel back.
STUDENTS = 17000
# Every third student edited again before the sync: those changes replace the unsent ones.
EDIT_EVERY = 3
# Each message waits this long in the proxy: a stage lasts at least a round trip (twice this),
# several reloads of the status page, and the round trip stays below the uplink's reply time-out.
DELAY_MS = 2000

STAGES = {
    "zh": (re.compile(r"第 1 步，共 3 步：正在连接县里（.*）……$"),
           re.compile(r"第 2 步，共 3 步：正在发送改动，已发出 (\d+) 项，共 (\d+) 项……$"),
           re.compile(r"第 3 步，共 3 步：改动已全部发出，正在等待县里确认收到……$")),
    "en": (re.compile(r"Step 1 of 3: connecting to the county \(.*\)\.\.\.$"),
           re.compile(r"Step 2 of 3: sending changes, (\d+) of (\d+) sent\.\.\.$"),
           re.compile(r"Step 3 of 3: every change is sent; waiting for the county's "
                      r"acknowledgement\.\.\.$")),
}


def renamed(rows, every):
    """Every `every`-th row of rows, its student's name changed (a clerk's correction)."""
    out = []
    for i, row in enumerate(rows):
        if i % every == 0:
            row = dict(row)
            row["name"] = "王芳" if row["name"] != "王芳" else "李强"
            out.append(row)
    return out


class ServeProgress(rh.RollcallTestCase):
    harness_name = "serve-progress"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.proxy = rh.FaultProxy(h, "proxy", cls.county)
        cls.school = cls.proxy.add(rh.School(h, SCHOOL, COUNTY, cls.county, name="中原区第一小学",
                                             endpoint=cls.proxy.endpoint))
        cls.county.enroll(cls.school)
        cls.county.start()
        cls.proxy.start(delay_ms=DELAY_MS)

    def edit(self, rows, label):
        path = self.h.path("%s.csv" % label)
        rh.write_csv(path, rows)
        self.school.import_csv(path)

    def watch_sync(self, b, url):
        """Presses Sync in Chromium (b) and reads the status page until the sync ends: the
        titles it showed while running, in order, and the last page."""
        b.open(url)
        b.click("#sync")
        seen = []

        def ended():
            text = b.source()
            if 'id="sync-run"' not in text:
                return None
            title = ts.notice(text)[0]
            if ts.sync_ended(text):
                return text
            if title is not None and (not seen or seen[-1] != title):
                seen.append(title)
            return None

        return seen, rh.wait_until(ended, 150, "the sync to end", interval=0.1)

    def check_stages(self, seen, lang, total):
        """Each title a stage's; stage 2 says N of M with M the changes this
        test made and N below it; stage 3 not before stage 2. Returns the steps seen."""
        steps = []
        for title in seen:
            step = [i for i, r in enumerate(STAGES[lang]) if r.match(title)]
            self.assertEqual(len(step), 1, "not a stage: %r" % title)
            steps.append(step[0] + 1)
            if step[0] == 1:
                n, m = map(int, STAGES[lang][1].match(title).groups())
                self.assertEqual(m, total, title)
                self.assertLess(n, m, title)
        if 2 in steps and 3 in steps:
            self.assertLess(steps.index(2), steps.index(3), seen)
        return set(steps)

    def check_county(self):
        after = self.school.status()
        self.assertEqual(after["pending"], 0)
        got = rh.wait_until(lambda: (lambda r: r if r["totals"]["students"] == len(
            self.school.rows) else None)(self.county.report()), 60, "the county's totals")
        self.assertTotals(got["totals"], self.school.totals(), "county %s" % COUNTY)
        return after

    def test_stages_through_a_slow_link(self):
        b = ts.Serve.browser(self)  # one Chromium for both languages: it is slow to start
        made = self.school.status()  # init's own change (the school's profile)
        first = rh.read_csv(self.school.generate(STUDENTS, seed=11))
        edits = renamed(first, EDIT_EVERY)
        self.edit(edits, "edits")
        before = self.school.status()
        # Each student is one change pending: an edit of one not yet sent replaces its change,
        # though it takes a sequence number of its own.
        pending = made["pending"] + STUDENTS
        self.assertEqual((before["pending"], before["last_seq"], before["acked_seq"]),
                         (pending, made["last_seq"] + STUDENTS + len(edits), 0))
        proc, url = ts.Serve.start_serve(self.h, ["--sync-timeout", "600"], label="serve",
                                         db=self.school.db)
        try:
            seen, text = self.watch_sync(b, url)
            self.assertEqual(ts.notice(text), ("同步完成：县里已确认收到全部改动。",
                                               ["同步前待上报 %d 项改动；县里已确认到第 %d 项。"
                                                % (pending, before["last_seq"])]))
        finally:
            self.h.stop(proc)
        steps = self.check_stages(seen, "zh", pending)
        self.assertIn(2, steps, seen)
        self.assertIn(3, steps, seen)
        self.assertEqual(self.check_county()["acked_seq"], before["last_seq"])

        # In English, a few edits more: they leave in one batch at once, so stage 3 shows while
        # the acknowledgement travels.
        edits = renamed(self.school.rows, 1000)
        self.edit(edits, "edits-en")
        before = self.school.status()
        self.assertEqual(before["pending"], len(edits))
        proc, url = ts.Serve.start_serve(self.h, ["--sync-timeout", "600", "--lang", "en"],
                                         label="serve-en", db=self.school.db)
        try:
            seen, text = self.watch_sync(b, url)
            title, detail = ts.notice(text)
            self.assertEqual(title, "Synced: the county acknowledged every change.")
            self.assertEqual(detail[0], "synced: all %d changes acknowledged up to seq %d"
                             % (before["pending"], before["last_seq"]))
        finally:
            self.h.stop(proc)
        self.assertIn(3, self.check_stages(seen, "en", before["pending"]), seen)
        self.assertEqual(self.check_county()["acked_seq"], before["last_seq"])
        counters = self.proxy.stop()
        self.assertGreater(counters["delayed"], 0, counters)


if __name__ == "__main__":
    rh.main()
