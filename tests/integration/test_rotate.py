#!/usr/bin/env python3
"""A node replaces its identity key without re-enrolling, and nothing is lost or counted twice.

province 41 ── county 411381 ── school 2141138101, every process real over 127.0.0.1.

- `rollcall-school rotate-key`: the new key waits until the county acknowledges the change that
  announces it (signed by the old key); then the county holds the new key, the school signs with
  it, and the school's history goes on (same epoch, no re-enrolment). A second rotation waits for
  the first.
- A copy of the store taken before the rotation (the old key) is refused at the handshake.
- The acknowledgement of a rotation is lost (the school is killed right when it arrives): the
  county already admits only the new key, and the next sync still completes the rotation.
- `rollcall-agg rotate-key` on the running county: it keeps forwarding to the province, which
  then holds the county's new key, also across a new handshake (the province restarts). Once the
  county restarts with its new key, the school follows with `set-upstream --upstream-key`.

The expected totals are computed here from the CSVs the test wrote (rollcall_harness rules).
"""

import os
import sqlite3
import sys
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "411381"
SCHOOL = "2141138101"


def source_key(agg, source_id):
    """The public key an aggregator's registry holds for a source (hex), read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % urllib.request.pathname2url(agg.db), uri=True,
                          timeout=10)
    try:
        row = con.execute("SELECT public_key FROM sources WHERE id = ?", (source_id,)).fetchone()
    finally:
        con.close()
    if row is None:
        raise AssertionError("%s has no source %s" % (agg.id, source_id))
    return bytes(row[0]).hex()


def copy_store(src, dst):
    """A consistent copy of a store (SQLite's backup API), private to its owner like the original."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        b.close()
        a.close()
    os.chmod(dst, 0o600)


class Rotate(rh.RollcallTestCase):
    harness_name = "rotate"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county)
        cls.county.enroll(cls.school)
        cls.prov.start()
        cls.county.start()
        cls.school.generate(60, 71)
        cls.school.sync()
        cls.rounds = 0

    # -- helpers

    def pubkey(self):
        return self.h.run([rh.SCHOOL, "pubkey", "--db", self.school.db]).stdout.strip()

    def rotate(self, expect=rh.EXIT_OK):
        p = self.h.run([rh.SCHOOL, "rotate-key", "--db", self.school.db], expect=expect)
        if expect != rh.EXIT_OK:
            return p
        key = p.stdout.strip()
        self.assertRegex(key, "^[0-9a-f]{64}$", "rotate-key prints the new public key")
        self.assertIn("acknowledge", p.stderr)
        self.assertIn("re-enroll", p.stderr)
        return key

    def edit(self):
        """Changes a few students and adds new ones, as one CSV import; returns the CSV path."""
        type(self).rounds += 1  # on the class: each test method runs on a new instance
        n = self.rounds
        rows = []
        for i, row in enumerate(self.school.rows[:6]):
            row = {k: row.get(k, "") for k in rh.CSV_HEADER}
            row["participation"] = ("absent", "irregular", "active")[(i + n) % 3]
            row["assistance"] = "" if (i + n) % 2 else "loaned_device"
            row["class"] = "%d班" % (n + i % 2)
            rows.append(row)
        for k in range(3):
            rows.append({"student_id": rh.student_id(COUNTY, "201%d0%d15" % (n % 10, k + 1),
                                                     100 + 10 * n + k),
                         "name": "轮换%d-%d" % (n, k), "grade": str(1 + k), "class": "1班",
                         "network": "mobile" if k else "", "devices": "smartphone" if k else "tv",
                         "groups": "left_behind" if k == 1 else "", "assistance": "",
                         "participation": ""})
        path = self.h.path("edit-%d.csv" % n)
        rh.write_csv(path, rows)
        self.school.import_csv(path)
        return path

    def assert_truth(self, timeout=30):
        """The county's rows and both reports equal the truth; every change applied once."""
        want = rh.comparable(self.school.totals())

        def arrived():
            return (rh.comparable(self.county.report()["totals"]) == want
                    and rh.comparable(self.prov.report()["totals"]) == want)

        try:
            rh.wait_until(arrived, timeout, "the county and the province to show the truth")
        except AssertionError as e:
            raise AssertionError("%s\nwant: %s\ncounty: %s\nprovince: %s\n%s" % (
                e, want, self.county.report().get("totals"), self.prov.report().get("totals"),
                self.h.logs())) from None
        self.assertEqual(rh.count_discrepancies(self.county.db, [self.school]),
                         {"lost": 0, "double": 0, "differing": 0})
        # The school's history went on: what it holds acknowledged is what the county applied.
        st = self.school.status()
        self.assertEqual(st["pending"], 0)
        self.assertEqual(rh.source_applied_seq(rh.agg_status(self.county), SCHOOL),
                         st["acked_seq"])

    # -- tests, in order

    def test_1_rotation_takes_effect_with_the_acknowledgement(self):
        self.assert_truth()
        old = self.pubkey()
        self.assertEqual(source_key(self.county, SCHOOL), old)
        # The copy made before the rotation, for test 2.
        copy_store(self.school.db, self.h.path("school-before-rotation.db"))

        new = self.rotate()
        self.assertNotEqual(new, old)
        st = self.school.status()
        self.assertEqual(st["public_key"], old, "until acknowledged the old key stays")
        self.assertEqual((st.get("key_rotation") or {}).get("new_public_key"), new,
                         "status shows the pending rotation")
        self.assertEqual(self.pubkey(), old)
        p = self.rotate(expect=rh.EXIT_DATA)
        self.assertIn("already waiting", p.stderr, "a second rotation waits for the first")
        self.assertEqual((self.school.status().get("key_rotation") or {}).get("new_public_key"),
                         new, "the refused second rotation changed nothing")

        self.edit()  # changes after the rotation: signed with the new key
        self.school.sync()
        st = self.school.status()
        self.assertEqual(self.pubkey(), new)
        self.assertEqual(st["public_key"], new)
        self.assertIsNone(st.get("key_rotation"), "the rotation is complete")
        self.assertEqual(st["epoch"], 1, "the school's history goes on, no new epoch")
        self.assertEqual(source_key(self.county, SCHOOL), new)
        self.assert_truth()
        self.county.audit()

    def test_2_the_old_key_is_refused_at_the_handshake(self):
        old_copy = self.h.path("school-before-rotation.db")
        before = rh.comparable(self.county.report()["totals"])
        stale = [{k: r.get(k, "") for k in rh.CSV_HEADER} for r in self.school.rows[:3]]
        for r in stale:
            r["participation"] = "opted_out"
        path = self.h.path("stale.csv")
        rh.write_csv(path, stale)
        self.h.run([rh.SCHOOL, "import", "--db", old_copy, path])
        # The refusal is seen at once, not after the time-out: a sync that waited for its
        # 600 s would outlast the harness's 60 s for the command and fail the test.
        p = self.h.run([rh.SCHOOL, "sync", "--db", old_copy, "--timeout", "600"],
                       expect=rh.EXIT_UPSTREAM, timeout=60)
        self.assertIn("handshake", p.stderr)
        self.assertEqual(rh.comparable(self.county.report()["totals"]), before,
                         "nothing from the old key was applied")
        self.assertEqual(source_key(self.county, SCHOOL), self.pubkey())

    def test_3_a_lost_acknowledgement_of_the_rotation(self):
        current = self.pubkey()
        new = self.rotate()
        self.edit()
        # Killed right when the county's acknowledgement of the rotation arrives, before
        # recording it: the county holds the new key, the school still has it pending.
        self.h.env["ROLLCALL_CRASH_AT"] = "ack-before-record"
        try:
            p = self.h.run([rh.SCHOOL, "sync", "--db", self.school.db, "--timeout", "20"],
                           expect=None)
        finally:
            del self.h.env["ROLLCALL_CRASH_AT"]
        self.assertTrue(rh.has_log_event(p.stderr, "crash point reached", point="ack-before-record"),
                        p.stderr)
        self.assertEqual(source_key(self.county, SCHOOL), new, "the county applied the rotation")
        self.assertEqual(self.pubkey(), current)
        self.assertEqual((self.school.status().get("key_rotation") or {}).get("new_public_key"),
                         new)

        p = self.school.sync()
        self.assertIn("trying the new key", p.stderr)
        self.assertEqual(self.pubkey(), new)
        self.assertIsNone(self.school.status().get("key_rotation"))
        self.assertEqual(self.school.status()["epoch"], 1)
        self.assert_truth()

    def test_4_a_county_rotates_its_own_key_and_keeps_forwarding(self):
        old = self.county.pubkey
        self.assertEqual(source_key(self.prov, COUNTY), old)
        p = self.h.run([rh.AGG, "rotate-key", "--db", self.county.db])
        new = p.stdout.strip()
        self.assertRegex(new, "^[0-9a-f]{64}$")
        self.assertNotEqual(new, old)
        self.assertTrue(rh.has_log_event(p.stderr, "set-upstream --upstream-key NEW_KEY", new_key=new),
                        p.stderr)
        # The running county sends the rotation by itself, then forwards under the new key.
        rh.wait_until(lambda: source_key(self.prov, COUNTY) == new, 20,
                      "the province to hold the county's new key")
        self.assertEqual(self.h.run([rh.AGG, "pubkey", "--db", self.county.db]).stdout.strip(),
                         new)
        self.county.pubkey = new
        self.edit()
        self.school.sync()  # the running county still serves with the key it started with
        self.assert_truth()
        # A new handshake: the running county's uplink must present its new CURVE key now.
        self.prov.stop()
        self.prov.start()
        self.edit()
        self.school.sync()
        self.assert_truth()
        self.assertIn("reconnecting", rh.tail(self.h.path("agg-%s.log" % COUNTY), 400))
        self.prov.audit()

    def test_5_the_school_follows_the_restarted_county(self):
        self.county.stop()
        self.county.start()  # now serving with its new key
        self.edit()
        p = self.school.sync(expect=rh.EXIT_UPSTREAM, timeout=3)
        self.assertIn("no acknowledgement", p.stderr)
        p = self.h.run([rh.SCHOOL, "set-upstream", "--db", self.school.db, "--upstream-key",
                        self.county.pubkey])
        self.assertIn(self.county.pubkey, p.stdout)
        self.school.sync()
        self.assert_truth()
        self.assertEqual(source_key(self.prov, COUNTY), self.county.pubkey)
        self.assertEqual(source_key(self.county, SCHOOL), self.pubkey())


if __name__ == "__main__":
    rh.main()
