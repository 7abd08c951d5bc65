#!/usr/bin/env python3
"""A school with no link at all: its batches travel to the county on a USB stick.

    province 41 (running) ── county 410102 (running) ── school 2141010200, offline
                                                     └─ school 2141010201, not enrolled here

The school writes bundles (`rollcall-school bundle`), the county applies them
(`rollcall-agg import-bundle`) while `run` serves, and the province's totals
follow. A truncated, corrupted, foreign or out-of-order bundle applies
nothing; the same bundle twice applies nothing the second time; and when the
school finally syncs over the network, the county acknowledges what it
already holds and nothing is counted twice. The expected figures come from
the CSVs, with the rules of DESIGN.md implemented again in rollcall_harness.

The bundle format (client/bundle.h) is read and written here independently of
the C code: header "RCLBUNDL" u16 version, u8 source length, source, i64
created_at; per batch 'B' u64 first_seq, u64 last_seq, u32 length, envelope;
trailer 'E' u32 count and the BLAKE2b-256 of every byte before the digest.
"""

import hashlib
import os
import re
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

SCHOOL_ID, STRANGER_ID, COUNTY_ID = "2141010200", "2141010201", "410102"


class Bundle:
    """A bundle file, parsed by the documented format (asserting it as it goes)."""

    def __init__(self, data):
        self.data = data
        assert data[:8] == b"RCLBUNDL", "bundle does not start with the magic: %r" % data[:8]
        (self.version,) = struct.unpack(">H", data[8:10])
        n = data[10]
        self.source = data[11:11 + n].decode("ascii")
        (self.created_at,) = struct.unpack(">q", data[11 + n:19 + n])
        off = 19 + n
        self.batches = []  # (first_seq, last_seq, offset of 'B', envelope)
        while data[off:off + 1] == b"B":
            first, last, length = struct.unpack(">QQI", data[off + 1:off + 21])
            self.batches.append((first, last, off, data[off + 21:off + 21 + length]))
            off += 21 + length
        assert data[off:off + 1] == b"E", "no trailer at offset %d" % off
        self.trailer = off
        (self.count,) = struct.unpack(">I", data[off + 1:off + 5])
        self.digest = data[off + 5:]
        assert off + 37 == len(data), "the trailer does not end the file"

    @staticmethod
    def build(source, created_at, batches):
        """The bytes of a bundle holding `batches` ((first, last, _, envelope) tuples)."""
        out = b"RCLBUNDL" + struct.pack(">HB", 1, len(source)) + source.encode("ascii")
        out += struct.pack(">q", created_at)
        for first, last, _, env in batches:
            out += b"B" + struct.pack(">QQI", first, last, len(env)) + env
        out += b"E" + struct.pack(">I", len(batches))
        return out + hashlib.blake2b(out, digest_size=32).digest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


class OfflineSchool(rh.RollcallTestCase):
    harness_name = "bundle"

    @classmethod
    def build(cls):
        h = cls.h
        cls.usb = h.path("usb")
        os.mkdir(cls.usb)
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY_ID, "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.school = rh.School(h, SCHOOL_ID, COUNTY_ID, cls.county)
        cls.county.enroll(cls.school)
        cls.stranger = rh.School(h, STRANGER_ID, COUNTY_ID, cls.county)
        cls.prov.start()
        cls.county.start()

        # Week 1: the school imports its list and writes a bundle.
        csv1 = cls.school.generate(150, 1)
        cls.b1_path = cls.usb_path("week1.rcl")
        cls.b1_out = cls.bundle(cls.school, cls.b1_path).stdout
        # Week 2, still offline: some students change, some are new; a second bundle.
        rows = rh.read_csv(csv1)[:10]
        for r in rows:
            r["participation"], r["assistance"] = "absent", ""
        more = rh.read_csv(h.gen_students(SCHOOL_ID, COUNTY_ID, 40, 2))
        csv2 = h.path("week2.csv")
        rh.write_csv(csv2, rows + more)
        cls.school.import_csv(csv2)
        cls.b2_path = cls.usb_path("week2.rcl")
        cls.b2_out = cls.bundle(cls.school, cls.b2_path).stdout
        cls.b1 = Bundle(read(cls.b1_path))
        cls.b2 = Bundle(read(cls.b2_path))

    @classmethod
    def usb_path(cls, name):
        return os.path.join(cls.usb, name)

    @classmethod
    def bundle(cls, school, path, expect=rh.EXIT_OK):
        return cls.h.run([rh.SCHOOL, "bundle", "--db", school.db, "--out", path], expect=expect)

    def import_bundle(self, path, expect=rh.EXIT_OK):
        return self.h.run([rh.AGG, "import-bundle", "--db", self.county.db, path], expect=expect)

    def applied_seq(self):
        return rh.source_applied_seq(rh.agg_status(self.county), SCHOOL_ID)

    def school_figures(self):
        return self.county_child()["totals"]

    def county_child(self):
        return rh.child(self.county.report(), SCHOOL_ID)

    def assertNothingApplied(self):
        self.assertEqual(self.applied_seq(), 0, "the county applied something of the school")
        self.assertEqual(self.school_figures()["students"], 0)
        self.assertEqual(rh.county_student_rows(self.county.db).get(SCHOOL_ID, []), [])

    def assertWhereAndWhy(self, p, path, why):
        """The message names the file, an offset and the reason."""
        self.assertRegex(p.stderr, r"%s: \d+: [^\n]*%s" % (re.escape(path), why))
        self.assertIn("nothing applied", p.stderr)

    # ---- the school side

    def test_01_bundle_holds_the_signed_batches_and_keeps_them_pending(self):
        b1, b2 = self.b1, self.b2
        for b in (b1, b2):
            self.assertEqual((b.version, b.source), (1, SCHOOL_ID))
            self.assertEqual(b.count, len(b.batches))
            self.assertEqual(b.digest, hashlib.blake2b(b.data[:-32], digest_size=32).digest())
        # The profile and 150 students, in one batch from seq 1.
        self.assertEqual([(f, l) for f, l, _, _ in b1.batches], [(1, 151)])
        # Nothing was acknowledged, so the second bundle carries the first's batch again,
        # byte for byte the same signed envelope, and the week's changes after it.
        self.assertEqual(len(b2.batches), 2)
        self.assertEqual(b2.batches[0][3], b1.batches[0][3])
        self.assertEqual(b2.batches[1][0], 152)
        last = b2.batches[1][1]
        self.assertIn("bundled 2 batches", self.b2_out)
        self.assertIn("seq 1..%d" % last, self.b2_out)
        status = self.school.status()
        self.assertEqual((status["pending"], status["acked_seq"], status["last_seq"]),
                         (last, 0, last), "bundling must leave every change pending")
        self.assertIn("(%d changes" % last, self.b2_out)
        self.assertEqual(sorted(os.listdir(self.usb)), ["week1.rcl", "week2.rcl"],
                         "a bundle leaves no temporary file behind")

    def test_02_an_existing_file_is_never_overwritten(self):
        before = read(self.b1_path)
        p = self.bundle(self.school, self.b1_path, expect=rh.EXIT_DATA)
        self.assertIn(self.b1_path, p.stderr)
        self.assertIn("already exists", p.stderr)
        self.assertEqual(read(self.b1_path), before)

    # ---- files the county must refuse whole

    def test_03_a_truncated_bundle_applies_nothing(self):
        data = self.b2.data
        inside_second = self.b2.batches[1][2] + 21 + 50
        cut = write(self.usb_path("cut.rcl"), data[:inside_second])
        p = self.import_bundle(cut, expect=rh.EXIT_DATA)
        self.assertWhereAndWhy(p, cut, "truncated")
        no_trailer = write(self.usb_path("no-trailer.rcl"), data[:self.b2.trailer])
        p = self.import_bundle(no_trailer, expect=rh.EXIT_DATA)
        self.assertWhereAndWhy(p, no_trailer, "without a trailer: the bundle is truncated")
        half_trailer = write(self.usb_path("half-trailer.rcl"), data[:-10])
        p = self.import_bundle(half_trailer, expect=rh.EXIT_DATA)
        self.assertWhereAndWhy(p, half_trailer, "truncated")
        self.assertNothingApplied()

    def test_04_a_flipped_byte_applies_nothing(self):
        # In the last batch: the first, intact one must not be applied either.
        data = bytearray(self.b2.data)
        first, last, off, env = self.b2.batches[1]
        data[off + 21 + len(env) // 2] ^= 0x04
        bad = write(self.usb_path("flipped.rcl"), bytes(data))
        p = self.import_bundle(bad, expect=rh.EXIT_DATA)
        self.assertWhereAndWhy(p, bad, "digest: the bundle is corrupt")
        # In a length field, and in the magic.
        data = bytearray(self.b2.data)
        data[self.b2.batches[0][2] + 18] ^= 0x01
        bad_len = write(self.usb_path("bad-length.rcl"), bytes(data))
        p = self.import_bundle(bad_len, expect=rh.EXIT_DATA)
        self.assertRegex(p.stderr, r"%s: \d+: " % re.escape(bad_len))
        self.assertIn("nothing applied", p.stderr)
        data = bytearray(self.b2.data)
        data[0] ^= 0x20
        p = self.import_bundle(write(self.usb_path("not-a-bundle.rcl"), bytes(data)),
                               expect=rh.EXIT_DATA)
        self.assertIn("not a rollcall bundle", p.stderr)
        self.assertNothingApplied()

    def test_05_a_school_not_enrolled_here_is_refused(self):
        self.stranger.generate(20, 7)
        path = self.usb_path("stranger.rcl")
        self.bundle(self.stranger, path)
        p = self.import_bundle(path, expect=rh.EXIT_DATA)
        self.assertIn("refused: source %s is not enrolled" % STRANGER_ID, p.stdout)
        self.assertTrue(rh.has_log_event(p.stderr, "a batch was not applied", batch="1",
                                         source=STRANGER_ID, file=path), p.stderr)
        self.assertNotIn(STRANGER_ID, rh.county_student_rows(self.county.db))
        # Enrolled but revoked: refused as well.
        self.county.enroll(self.stranger)
        self.county.revoke(self.stranger)
        p = self.import_bundle(path, expect=rh.EXIT_DATA)
        self.assertIn("refused: source %s is revoked" % STRANGER_ID, p.stdout)
        self.assertNotIn(STRANGER_ID, rh.county_student_rows(self.county.db))
        self.assertEqual(rh.child(self.county.report(), STRANGER_ID)["totals"]["students"], 0)
        self.assertNothingApplied()

    # ---- applying, in order, exactly once

    def test_06_a_gap_applies_nothing_then_in_order_both_apply(self):
        # Week 2's new batch alone, as if the stick with week 1 had not arrived yet.
        b = self.b2
        late = write(self.usb_path("week2-only.rcl"),
                     Bundle.build(b.source, b.created_at, b.batches[1:]))
        p = self.import_bundle(late, expect=rh.EXIT_DATA)
        self.assertRegex(p.stdout, r"batch #1 seq 152\.\.\d+: gap: resend from 1\b")
        self.assertIn("0 applied", p.stdout)
        self.assertIn(late, p.stderr)
        self.assertNothingApplied()

        p = self.import_bundle(self.b1_path)
        self.assertIn("batch #1 seq 1..151: applied", p.stdout)
        self.assertEqual(self.applied_seq(), 151)
        p = self.import_bundle(late)
        self.assertRegex(p.stdout, r"batch #1 seq 152\.\.\d+: applied")
        self.assertEqual(self.applied_seq(), b.batches[1][1])

    def test_07_county_and_province_hold_the_csv_figures(self):
        want = self.school.totals()
        self.assertEqual(want["students"], len(self.school.rows))
        self.assertTotals(self.school_figures(), want, "county child %s" % SCHOOL_ID)
        self.assertTotals(self.county.report()["totals"], want, "county totals")
        gaps = rh.count_discrepancies(self.county.db, [self.school])
        self.assertEqual(gaps, {"lost": 0, "double": 0, "differing": 0})

        # `run` forwards what import-bundle queued upstream.
        def province_has_it():
            r = self.prov.report()
            return r if rh.comparable(r["totals"]) == rh.comparable(want) else None

        try:
            rh.wait_until(province_has_it, 20, "the province to hold the bundled figures")
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, self.h.logs())) from None
        self.assertTotals(self.prov.report()["totals"], want, "province totals")

    def test_08_the_same_bundles_again_apply_nothing(self):
        county_before, prov_before = self.county.report(), self.prov.report()
        seq = self.applied_seq()
        for path in (self.b2_path, self.b1_path):
            p = self.import_bundle(path)
            self.assertNotIn(": applied", p.stdout)
            self.assertIn("0 applied", p.stdout)
            self.assertNotIn("not applied:", p.stdout)
        self.assertRegex(self.import_bundle(self.b2_path).stdout,
                         r"batch #2 seq 152\.\.\d+: already held")
        self.assertEqual(self.applied_seq(), seq)
        self.assertTotals(self.county.report()["totals"], county_before["totals"], "county")
        self.assertTotals(self.prov.report()["totals"], prov_before["totals"], "province")

    # ---- the school learns the receipt at its next network sync

    def test_09_the_next_sync_sends_nothing_twice(self):
        want = self.school.totals()
        seq = self.applied_seq()
        p = self.school.sync()
        self.assertIn("acknowledged up to seq %d" % seq, p.stdout)
        status = self.school.status()
        self.assertEqual((status["pending"], status["acked_seq"]), (0, seq))
        self.assertEqual(self.applied_seq(), seq)
        # The county's `run` acknowledged the duplicates without applying any.
        with open(self.h.path("agg-%s.log" % COUNTY_ID), encoding="utf-8",
                  errors="replace") as f:
            self.assertNotIn("applied batch source=%s" % SCHOOL_ID, f.read())
        self.assertTotals(self.school_figures(), want, "county child after the sync")
        self.assertEqual(rh.count_discrepancies(self.county.db, [self.school]),
                         {"lost": 0, "double": 0, "differing": 0})
        self.assertTotals(self.prov.report()["totals"], want, "province after the sync")
        self.county.audit()

    def test_10_nothing_pending_writes_no_file_and_later_bundles_carry_only_news(self):
        path = self.usb_path("nothing.rcl")
        p = self.bundle(self.school, path)
        self.assertIn("nothing pending", p.stdout)
        self.assertFalse(os.path.exists(path), "a bundle with nothing pending wrote a file")

        # Offline again: one student's help arrives; only that travels.
        row = dict(self.school.rows[0], assistance="loaned_device", participation="active")
        csv3 = self.h.path("week3.csv")
        rh.write_csv(csv3, [row])
        self.school.import_csv(csv3)
        week3 = self.usb_path("week3.rcl")
        self.bundle(self.school, week3)
        seq = self.applied_seq()
        self.assertEqual([(f, l) for f, l, _, _ in Bundle(read(week3)).batches],
                         [(seq + 1, seq + 1)])
        self.assertIn("batch #1 seq %d..%d: applied" % (seq + 1, seq + 1),
                      self.import_bundle(week3).stdout)
        want = self.school.totals()
        self.assertTotals(self.school_figures(), want, "county child after week 3")
        rh.wait_until(lambda: rh.comparable(self.prov.report()["totals"]) == rh.comparable(want),
                      20, "the province to hold week 3's change")

    def test_11_usage(self):
        p = self.h.run([rh.AGG, "import-bundle", "--db", self.county.db], expect=rh.EXIT_USAGE)
        self.assertIn("BUNDLE", p.stderr)
        missing = self.usb_path("missing.rcl")
        p = self.import_bundle(missing, expect=rh.EXIT_DATA)
        self.assertIn(missing, p.stderr)
        self.h.run([rh.SCHOOL, "bundle", "--db", self.school.db], expect=rh.EXIT_USAGE)


if __name__ == "__main__":
    rh.main()
