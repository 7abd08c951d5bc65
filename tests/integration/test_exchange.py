#!/usr/bin/env python3
"""Students held by two counties, found through the province without it learning who.

province 41 with two counties enrolled, 411381 and 411481, one school each, and a third
county 411681 that the province never enrolled. School B enrolls some of school A's students
(the same student numbers), and one student leaves A transferred out to B and is enrolled
there. The counties share an exchange key (`exchange key --new` / `--import`), send their
signed digests, the province counts what each pair shares and hands each county its matches,
and the county lists its students enrolled elsewhere. Every figure is computed here from the
rows the test gave the schools; the province's store is searched for every student number,
name, pseudonym and the exchange key. Forged, foreign and corrupt files change nothing.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_editing import query  # noqa: E402
from test_privacy import dump  # noqa: E402

A, B, C = "1141138101", "1141148101", "1141168101"
SHARED = 7


class Exchange(rh.RollcallTestCase):
    harness_name = "exchange"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.ca = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.cb = rh.Aggregator(h, "411481", "county", upstream=cls.prov)
        cls.cc = rh.Aggregator(h, "411681", "county", upstream=cls.prov)  # not enrolled above
        for c in (cls.ca, cls.cb):
            cls.prov.enroll(c)
        cls.a = rh.School(h, A, "411381", cls.ca)
        cls.b = rh.School(h, B, "411481", cls.cb)
        cls.c = rh.School(h, C, "411681", cls.cc)
        cls.ca.enroll(cls.a)
        cls.cb.enroll(cls.b)
        cls.cc.enroll(cls.c)
        for agg in (cls.prov, cls.ca, cls.cb, cls.cc):
            agg.start()
        cls.a.generate(40, 71)
        cls.b.generate(30, 72)
        cls.c.generate(5, 73)
        # B enrolls SHARED of A's students as they are; one more leaves A for B.
        cls.shared = cls.a.rows[:SHARED]
        cls.mover = cls.a.rows[SHARED]
        path = h.path("shared.csv")
        rh.write_csv(path, cls.shared + [cls.mover])
        cls.b.import_csv(path)
        h.run([rh.SCHOOL, "student", "remove", "--db", cls.a.db, "--id",
               cls.mover["student_id"], "--reason", "transferred_out", "--to", B,
               "--date", "2020-03-02"])
        cls.a.rows = [r for r in cls.a.rows if r["student_id"] != cls.mover["student_id"]]
        for s in (cls.a, cls.b, cls.c):
            s.sync()
        rh.wait_for_truth(h, [cls.a], [cls.ca])
        rh.wait_for_truth(h, [cls.b], [cls.cb])
        rh.wait_for_truth(h, [cls.c], [cls.cc])
        cls.key = h.path("exchange.key")

    def exchange(self, agg, *args, expect=rh.EXIT_OK):
        return self.h.run([rh.AGG, "exchange", args[0], "--db", agg.db] + list(args[1:]),
                          expect=expect)

    def elsewhere(self, county):
        p = self.h.run([rh.AGG, "list", "elsewhere", "--db", county.db, "--format", "json"])
        return [tuple(r[k] for k in ("county", "status", "school_id", "grade", "class", "name"))
                for r in json.loads(p.stdout)["rows"]]

    def province_state(self):
        return (self.prov.report().get("exchange"),
                query(self.prov.db, "SELECT unit, digests FROM exchange_units ORDER BY unit"),
                query(self.prov.db, "SELECT count(*) FROM exchange_digests"))

    def test_1_key(self):
        # Made at one county, taken by the others; the file is its owner's alone.
        self.exchange(self.ca, "key", "--new", self.key)
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        with open(self.key) as f:
            self.assertEqual(len(f.read().strip()), 64)
        p = self.exchange(self.ca, "key", "--new", self.key, expect=rh.EXIT_DATA)
        self.assertIn(self.key, p.stderr)
        self.exchange(self.cb, "key", "--import", self.key)
        self.exchange(self.cc, "key", "--import", self.key)
        # The province has students of no county: it takes no key.
        p = self.exchange(self.prov, "key", "--import", self.key, expect=rh.EXIT_DATA)
        self.assertIn("only a county", p.stderr)
        p = self.exchange(self.ca, "key", expect=rh.EXIT_USAGE)
        self.assertIn("--new", p.stderr)

    def test_2_digests_and_pairs(self):
        want_a = len(self.a.rows) + 1  # its students and the transfer none of its schools got
        for county, n in ((self.ca, want_a), (self.cb, len(self.b.rows))):
            out = self.h.path("%s.digests" % county.id)
            p = self.exchange(county, "digests", "--out", out)
            self.assertIn("%d digests" % n, p.stdout)
            p = self.exchange(self.prov, "import", out)
            self.assertIn("%d digests of %s" % (n, county.id), p.stdout)
        want = [{"a": self.ca.id, "b": self.cb.id, "shared": SHARED + 1}]
        self.assertEqual(self.prov.report()["exchange"], want)
        html = self.prov.report("html")
        self.assertIn('data-k="shared">%d<' % (SHARED + 1), html)
        # Sent again, a set replaces the last one: the count stays.
        again = self.h.path("411381-again.digests")
        self.exchange(self.ca, "digests", "--out", again)
        self.exchange(self.prov, "import", again)
        self.assertEqual(self.prov.report()["exchange"], want)
        # A county's own report has no such key: it holds no other county's digests.
        self.assertNotIn("exchange", self.ca.report())

    def test_3_matches_name_the_students(self):
        for county in (self.ca, self.cb):
            out = self.h.path("%s.matches" % county.id)
            p = self.exchange(self.prov, "matches", "--county", county.id, "--out", out)
            self.assertIn("%d matches" % (SHARED + 1), p.stdout)
            p = self.exchange(county, "import", out)
            self.assertIn("%d students of %s" % (SHARED + 1, county.id), p.stdout)

        def rows(other, status, school, students):
            return [(other, status, school, int(r["grade"]), r["class"], r["name"])
                    for r in students]

        def order(v):
            return sorted(v, key=lambda e: (e[0], e[2], e[3], e[4].encode(), e[5].encode()))

        self.assertEqual(self.elsewhere(self.ca), order(
            rows(self.cb.id, "enrolled", A, self.shared)
            + rows(self.cb.id, "transferred_out", A, [self.mover])))
        self.assertEqual(self.elsewhere(self.cb), order(
            rows(self.ca.id, "enrolled", B, self.shared + [self.mover])))
        # The Chinese list says it in words.
        text = self.h.run([rh.AGG, "list", "elsewhere", "--db", self.ca.db]).stdout
        self.assertIn("已转出", text)
        self.assertIn("另一区县", text)
        # The province and the third county list nothing of the kind.
        p = self.h.run([rh.AGG, "list", "elsewhere", "--db", self.prov.db], expect=rh.EXIT_DATA)
        self.assertIn("student rows", p.stderr)
        self.assertEqual(self.elsewhere(self.cc), [])

    def test_4_bad_files_change_nothing(self):
        before = self.province_state()
        listed = self.elsewhere(self.ca)
        good = self.h.path("411481.digests")
        with open(good) as f:
            text = f.read()
        lines = text.split("\n")
        cases = []
        # A digest changed: the signature no longer holds.
        forged = list(lines)
        forged[3] = ("0" if forged[3][0] != "0" else "1") + forged[3][1:]
        cases.append(("forged.digests", "\n".join(forged), "signature does not verify"))
        # A county the province never enrolled.
        foreign = self.h.path("411681.digests")
        self.exchange(self.cc, "digests", "--out", foreign)
        with open(foreign) as f:
            cases.append(("foreign.digests", f.read(), "411681 is not enrolled"))
        # Cut short, and not an exchange file at all.
        cases.append(("short.digests", "\n".join(lines[:5]) + "\n", "cut short"))
        cases.append(("junk.digests", "id,name\n1,2\n", "not an exchange file"))
        for name, body, why in cases:
            path = self.h.path(name)
            with open(path, "w") as f:
                f.write(body)
            p = self.exchange(self.prov, "import", path, expect=rh.EXIT_DATA)
            self.assertIn(why, p.stderr, name)
            self.assertIn(path, p.stderr, name)
            self.assertEqual(self.province_state(), before, name)
        # Files at the wrong tier or for another county.
        p = self.exchange(self.ca, "import", good, expect=rh.EXIT_DATA)
        self.assertIn("is a county", p.stderr)
        p = self.exchange(self.prov, "import", self.h.path("411381.matches"),
                          expect=rh.EXIT_DATA)
        self.assertIn("for a county", p.stderr)
        p = self.exchange(self.cb, "import", self.h.path("411381.matches"), expect=rh.EXIT_DATA)
        self.assertIn("not for this county 411481", p.stderr)
        with open(self.h.path("411381.matches")) as f:
            m = f.read().split("\n")
        m[4] = m[4][:-1] + ("0" if m[4][-1] != "0" else "1")
        path = self.h.path("forged.matches")
        with open(path, "w") as f:
            f.write("\n".join(m))
        p = self.exchange(self.ca, "import", path, expect=rh.EXIT_DATA)
        self.assertIn("signature does not verify", p.stderr)
        self.assertEqual(self.elsewhere(self.ca), listed)
        p = self.exchange(self.prov, "matches", "--county", "411681", "--out",
                          self.h.path("none.matches"), expect=rh.EXIT_DATA)
        self.assertIn("411681 has sent no digests", p.stderr)
        self.assertFalse(os.path.exists(self.h.path("none.matches")))

    def test_5_the_province_holds_counts_only(self):
        # The search finds what is there: the county holds its students' pseudonyms.
        county = dump(self.ca.db)
        self.assertIn(rh.pseudonym(self.a.rows[0]["student_id"]), county)
        self.assertIn(self.a.rows[0]["name"].encode("utf-8"), county)
        self.prov.stop()
        try:
            found = student_words_in(self.prov.db, [self.a.rows, self.b.rows, self.c.rows,
                                                    [self.mover]], self.key)
            self.assertEqual(found[:10], [], "in the province's store: %d" % len(found))
        finally:
            self.prov.start()


def student_words_in(db, row_lists, key_path):
    """Which student numbers, IDs, names, pseudonyms of the rows, or the exchange key in
    key_path, the store db (with its -wal) holds, in its tables or its bytes."""
    blob = dump(db)
    for p in (db, db + "-wal"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                blob += f.read()
    with open(key_path) as f:
        key = bytes.fromhex(f.read().strip())
    words = {"exchange key": key, "exchange key (hex)": key.hex().encode()}
    for rows in row_lists:
        for r in rows:
            words["number " + r["student_id"]] = r["student_id"].encode()
            words["ID " + r["student_id"]] = r["student_id"][1:].encode()
            words["name " + r["name"]] = r["name"].encode("utf-8")
            words["pseudonym " + r["student_id"]] = rh.pseudonym(r["student_id"])
    return sorted(w for w, v in words.items() if v in blob)

if __name__ == "__main__":
    rh.main()
