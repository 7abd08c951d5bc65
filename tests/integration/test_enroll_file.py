#!/usr/bin/env python3
"""`rollcall-agg enroll --from LIST`: many sources in one transaction, all or nothing.

county 410102 under province 41. A good list (comments, blank lines, tabs) enrolls its
schools, which then sync and are admitted; the province expects them. Bad lists name
every problem as LIST:LINE and enroll nothing, not even their good lines; the
--source/--key form still works beside it.
"""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402


class EnrollFromFile(rh.RollcallTestCase):
    harness_name = "enroll-file"

    @classmethod
    def build(cls):
        h = cls.h
        cls.province = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "410102", "county", upstream=cls.province)
        cls.province.enroll(cls.county)
        cls.schools = [rh.School(h, "21410102%02d" % (i + 1), "410102", cls.county)
                       for i in range(6)]

    def write(self, name, text):
        path = self.h.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def enroll_from(self, path, expect):
        return self.h.run([rh.AGG, "enroll", "--db", self.county.db, "--from", path],
                          expect=expect)

    def expected(self):
        return self.county.report()["completeness"]

    def test_1_a_good_list_enrolls_every_school_and_they_sync(self):
        a, b, c = self.schools[:3]
        path = self.write("good.txt", "# the first schools of 中原区\n\n%s %s\n  %s\t%s  \n"
                          "   # indented comment\n%s   %s\n" % (a.id, a.pubkey, b.id, b.pubkey,
                                                                c.id, c.pubkey))
        p = self.enroll_from(path, rh.EXIT_OK)
        self.assertIn("enrolled 3 sources", p.stdout)
        self.assertIn("3 new", p.stdout)
        got = self.expected()
        self.assertEqual(got["expected"], 3)
        self.assertEqual(sorted(got["missing"]), sorted([a.id, b.id, c.id]))
        # The same list again changes nothing and says so.
        p = self.enroll_from(path, rh.EXIT_OK)
        self.assertIn("3 already enrolled", p.stdout)
        self.assertEqual(self.expected()["expected"], 3)
        # The keys are admitted: each school's first sync is acknowledged.
        self.county.start()
        self.province.start()
        for i, s in enumerate((a, b, c)):
            s.generate(20 + i, 40 + i)
            s.sync()
        want = rh.add_totals(a.totals(), b.totals(), c.totals())
        self.assertTotals(self.county.report()["totals"], want, "county after list enrolment")
        rh.wait_until(lambda: self.province.report()["completeness"]["expected"] == 3, 30,
                      "the province expecting the 3 schools enrolled from the list")

    def test_2_every_bad_line_is_named_and_nothing_is_enrolled(self):
        d, e, f = self.schools[3:6]
        a = self.schools[0]
        own = self.county.pubkey
        before = self.expected()["expected"]
        lines = [
            "%s %s" % (d.id, d.pubkey),           # 1 good
            "21410 %s" % e.pubkey,                # 2 not a school code
            "%s zz" % e.id,                       # 3 not a key
            "%s %s" % (e.id, own),                # 4 the county's own key
            "%s %s extra" % (f.id, f.pubkey),     # 5 three words
            "%s" % f.id,                          # 6 one word
            "%s %s" % (d.id, e.pubkey),           # 7 d listed again
            "%s %s" % (f.id, d.pubkey),           # 8 d's key again
            "2141010299 %s" % ("0" * 64),         # 9 not a valid Ed25519 point
        ]
        path = self.write("bad.txt", "\n".join(lines) + "\n")
        p = self.enroll_from(path, rh.EXIT_DATA)
        want = {
            2: r"source '21410' is not a 10-digit school code",
            3: r"key 'zz' .* is not a public key",
            4: r"this aggregator's own key",
            5: r"expected 'SOURCE_ID KEY', found 3 words",
            6: r"expected 'SOURCE_ID KEY', found 1 word",
            7: r"source %s is listed again \(first on line 1\)" % d.id,
            8: r"the key of source %s is source %s's too \(line 1\)" % (f.id, d.id),
            9: r"is not a public key",
        }
        for line, pattern in want.items():
            self.assertRegex(p.stderr, re.escape(path) + ":%d: [^\n]*" % line + pattern,
                             "line %d of the bad list" % line)
        self.assertNotRegex(p.stderr, re.escape(path) + r":1: ", "line 1 is good")
        self.assertIn("8 problems; nothing enrolled", p.stderr)
        numbers = [int(n) for n in re.findall(re.escape(path) + r":(\d+): ", p.stderr)]
        self.assertEqual(numbers, sorted(want), "every problem once, in line order")
        self.assertEqual(self.expected()["expected"], before, "a bad list enrolls nothing")

    def test_2b_a_long_bad_list_shows_the_first_hundred(self):
        path = self.write("long.txt", "".join("2141010%03d zz\n" % i for i in range(105)))
        p = self.enroll_from(path, rh.EXIT_DATA)
        numbers = [int(n) for n in re.findall(re.escape(path) + r":(\d+): ", p.stderr)]
        self.assertEqual(numbers, list(range(1, 101)))
        self.assertIn("... and 5 more", p.stderr)
        self.assertIn("105 problems; nothing enrolled", p.stderr)

    def test_3_a_key_another_source_holds_refuses_the_whole_list(self):
        d, e = self.schools[3:5]
        a = self.schools[0]
        before = self.expected()
        path = self.write("taken.txt", "%s %s\n%s %s\n" % (d.id, d.pubkey, e.id, a.pubkey))
        p = self.enroll_from(path, rh.EXIT_DATA)
        self.assertRegex(p.stderr, re.escape(path) + r":2: the key of source %s is already "
                         r"enrolled for source %s" % (e.id, a.id))
        after = self.expected()
        self.assertEqual(after["expected"], before["expected"])
        self.assertNotIn(d.id, after["missing"], "the good line 1 was not enrolled either")

    def test_4_usage_and_missing_files(self):
        d = self.schools[3]
        path = self.write("one.txt", "%s %s\n" % (d.id, d.pubkey))
        p = self.h.run([rh.AGG, "enroll", "--db", self.county.db, "--from", path,
                        "--source", d.id], expect=rh.EXIT_USAGE)
        self.assertIn("--from cannot be combined", p.stderr)
        p = self.enroll_from(self.h.path("no-such-list.txt"), rh.EXIT_DATA)
        self.assertIn("no-such-list.txt: cannot open", p.stderr)
        self.h.run([rh.AGG, "enroll", "--from", path], expect=rh.EXIT_USAGE)

    def test_5_the_single_form_is_unchanged_and_lists_follow_it(self):
        d, e = self.schools[3:5]
        p = self.county.enroll(d)
        self.assertIn("enrolled source %s" % d.id, p.stdout)
        # A list re-keying d (e's key is free) and adding e: one new, one with a new key.
        path = self.write("rekey.txt", "%s %s\n" % (e.id, e.pubkey))
        p = self.enroll_from(path, rh.EXIT_OK)
        self.assertIn("1 new", p.stdout)
        self.assertIn(e.id, self.expected()["missing"])


if __name__ == "__main__":
    rh.main()
