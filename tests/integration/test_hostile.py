#!/usr/bin/env python3
"""A running aggregator treats every byte from the network as hostile, and
keys at rest are kept private.

county 410181 (no upstream, running throughout) with school A (honest),
school R (enrolled, revoked while the county runs, then enrolled again) and
school U (never enrolled). rollcall-rawsend (tests/tools) is a raw CURVE
client that sends arbitrary bytes with a store's key.
"""

import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

RAWSEND = os.path.join(rh.BIN, "rollcall-rawsend")
COUNTY = "410181"
# rcl_codec.h: RCL_MESSAGE_BYTES_MAX; the transport admits 4096 bytes more for framing.
MESSAGE_BYTES_MAX = 4 * 1024 * 1024
# rollcall-rawsend's exit statuses.
RAW_REPLY, RAW_AUTH_FAILED, RAW_DROPPED = 0, 4, 5


def meta_blob(db, key):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        con.close()
    return bytes(row[0]) if row else None


class Hostile(rh.RollcallTestCase):
    harness_name = "hostile"

    @classmethod
    def build(cls):
        h = cls.h
        if not os.access(RAWSEND, os.X_OK):
            raise AssertionError("%s is missing (built by tests/CMakeLists.txt)" % RAWSEND)
        # Every line any command prints is kept, to look for secrets in it at the end.
        h.env["ROLLCALL_LOG"] = "debug"
        cls.outputs = []
        run = h.run

        def recording(args, **kw):
            try:
                p = run(args, **kw)
            except rh.CommandFailed as e:
                cls.outputs.append(str(e))
                raise
            cls.outputs.append(p.stdout + p.stderr)
            return p

        h.run = recording
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.a = rh.School(h, "4101810001", COUNTY, cls.county)
        cls.r = rh.School(h, "4101810002", COUNTY, cls.county)
        cls.u = rh.School(h, "4101810003", COUNTY, cls.county)
        cls.county.enroll(cls.a)
        cls.county.enroll(cls.r)
        cls.county.start()
        cls.pid = cls.county.proc.pid
        cls.a.generate(60, 31)
        cls.r.generate(40, 32)
        cls.u.generate(20, 33)
        cls.a.sync()
        cls.r.sync()

    # -- helpers

    def county_report(self):
        return self.county.report()

    def assertCountyExact(self, what):
        """The county holds exactly A's and R's current students: nothing lost, nothing twice."""
        rep = self.county_report()
        self.assertTotals(rep["totals"], rh.add_totals(self.a.totals(), self.r.totals()), what)
        self.assertTotals(rh.child(rep, self.a.id)["totals"], self.a.totals(), what + ", school A")
        self.assertTotals(rh.child(rep, self.r.id)["totals"], self.r.totals(), what + ", school R")
        self.assertNotIn(self.u.id, [str(c.get("id")) for c in rep.get("children", [])],
                         what + ": a school never enrolled must not appear")
        return rep

    def assertStillServing(self):
        self.assertIsNone(self.county.proc.poll(), "the county aggregator must still run; log:\n%s"
                          % self.county.log())
        self.assertEqual(self.county.proc.pid, self.pid, "the county must not have restarted")

    def change_one(self, school, participation, name):
        row = dict(school.rows[0], participation=participation)
        path = self.h.path(name)
        rh.write_csv(path, [row])
        school.import_csv(path)

    def rawsend(self, key_db, data, name, timeout=10):
        path = self.h.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return self.h.run([RAWSEND, "--key-db", key_db, "--endpoint", self.county.endpoint,
                           "--server-key", self.county.pubkey, "--file", path,
                           "--timeout", str(timeout)], expect=None, timeout=timeout + 20)

    def assertAuthFailure(self, p, what):
        text = p.stderr.lower()
        self.assertIn("handshake", text, "%s: sync must report the refused handshake; stderr:\n%s"
                      % (what, p.stderr))
        self.assertRegex(text, r"refus", "%s: stderr:\n%s" % (what, p.stderr))

    # -- network

    def test_1_an_unknown_key_is_refused_at_the_handshake(self):
        self.assertCountyExact("before any attack")
        p = self.u.sync(expect=rh.EXIT_UPSTREAM, timeout=8)
        self.assertAuthFailure(p, "school U, never enrolled")
        self.assertGreater(rh.pending_changes(self.u.status()) or 0, 0, "U's changes are kept")
        # A raw client with U's key does not get past the handshake either.
        p = self.rawsend(self.u.db, b"\x0a\x0a4101810003", "u-raw.bin")
        self.assertEqual(p.returncode, RAW_AUTH_FAILED, "raw client with an unknown key:\n%s%s"
                         % (p.stdout, p.stderr))
        self.assertCountyExact("after an unknown key was refused")
        self.assertStillServing()

    def test_2_revoke_takes_effect_at_the_next_handshake_without_a_restart(self):
        counted = rh.child(self.county_report(), self.r.id)["totals"]
        self.county.revoke(self.r)  # on the store of the running aggregator
        self.change_one(self.r, "absent", "r-change-1.csv")
        p = self.r.sync(expect=rh.EXIT_UPSTREAM, timeout=8)
        self.assertAuthFailure(p, "school R after revoke")
        self.assertGreater(rh.pending_changes(self.r.status()) or 0, 0)
        self.assertEqual(rh.comparable(rh.child(self.county_report(), self.r.id)["totals"]),
                         rh.comparable(counted), "nothing from a revoked school is applied")
        p = self.rawsend(self.r.db, b"junk", "r-raw.bin")
        self.assertEqual(p.returncode, RAW_AUTH_FAILED, "raw client with a revoked key:\n%s%s"
                         % (p.stdout, p.stderr))
        # Enrolling the same key again admits it at the next handshake, still without a restart.
        self.county.enroll(self.r)
        self.r.sync()
        self.assertEqual(rh.pending_changes(self.r.status()), 0)
        self.assertCountyExact("after R was revoked and enrolled again")
        self.assertStillServing()

    def test_3_garbage_and_oversized_messages_leave_the_county_serving(self):
        # Small garbage and an empty message reach ingest and are refused there.
        for name, data in (("garbage.bin", os.urandom(1000)), ("empty.bin", b"")):
            p = self.rawsend(self.a.db, data, name)
            self.assertEqual(p.returncode, RAW_REPLY, "%s:\n%s%s" % (name, p.stdout, p.stderr))
            self.assertIn("status=REFUSED", p.stdout, name)
        # Over the envelope limit but within the transport's framing allowance: refused by ingest.
        p = self.rawsend(self.a.db, b"\0" * (MESSAGE_BYTES_MAX + 100), "over-envelope.bin")
        self.assertEqual(p.returncode, RAW_REPLY, "%s%s" % (p.stdout, p.stderr))
        self.assertIn("status=REFUSED", p.stdout)
        self.assertIn("limit", p.stdout)
        # Over the transport limit (ZMQ_MAXMSGSIZE): the connection is dropped, no reply.
        p = self.rawsend(self.a.db, b"\0" * (5 * 1024 * 1024), "over-transport.bin")
        self.assertEqual(p.returncode, RAW_DROPPED, "a message over the transport limit must "
                         "drop the connection:\n%s%s" % (p.stdout, p.stderr))
        self.assertStillServing()
        self.assertCountyExact("after garbage and oversized messages")
        # The honest school then syncs fine and the totals are exactly right.
        self.change_one(self.a, "irregular", "a-change-1.csv")
        self.a.sync(timeout=15)
        self.assertEqual(rh.pending_changes(self.a.status()), 0)
        self.assertCountyExact("after A synced again")
        self.assertStillServing()

    # -- keys at rest

    def assertModeRefused(self, p, path, mode, what):
        for text in (path, "mode %s" % mode, "chmod 600 %s" % path):
            self.assertIn(text, p.stderr, "%s: message must name %r; stderr:\n%s"
                          % (what, text, p.stderr))

    def test_4_a_store_others_can_read_is_refused(self):
        for mode, octal in ((0o644, "0644"), (0o640, "0640"), (0o602, "0602")):
            os.chmod(self.county.db, mode)
            p = self.h.run([rh.AGG, "report", "--db", self.county.db, "--format", "json"],
                           expect=rh.EXIT_DATA)
            self.assertModeRefused(p, self.county.db, octal, "county store")
            self.assertEqual(p.stdout, "", "nothing is reported from a refused store")
        os.chmod(self.county.db, 0o600)
        self.assertCountyExact("after the county store was made private again")

        os.chmod(self.a.db, 0o644)
        p = self.h.run([rh.SCHOOL, "status", "--db", self.a.db, "--json"], expect=rh.EXIT_DATA)
        self.assertModeRefused(p, self.a.db, "0644", "school store")
        p = self.h.run([rh.SCHOOL, "sync", "--db", self.a.db, "--timeout", "5"],
                       expect=rh.EXIT_DATA)
        self.assertModeRefused(p, self.a.db, "0644", "school store, sync")
        os.chmod(self.a.db, 0o600)
        self.assertEqual(rh.pending_changes(self.a.status()), 0)
        self.assertStillServing()

    def test_5_a_pseudonym_key_file_others_can_read_is_refused(self):
        key_file = self.h.path("pseudonym.key")
        with open(key_file, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        db = self.h.path("school-keyed.db")
        args = [rh.SCHOOL, "init", "--db", db, "--school", "4101810004", "--county", COUNTY,
                "--name", "测试学校0004", "--upstream", self.county.endpoint,
                "--upstream-key", self.county.pubkey, "--pseudonym-key-file", key_file]
        os.chmod(key_file, 0o644)
        p = self.h.run(args, expect=rh.EXIT_DATA)
        self.assertModeRefused(p, key_file, "0644", "pseudonym key file")
        self.assertFalse(os.path.exists(db), "a refused init must not leave a store")
        os.chmod(key_file, 0o600)
        self.h.run(args)
        self.assertEqual(os.stat(db).st_mode & 0o777, 0o600, "a new store is 0600")
        with open(key_file) as f:
            want = bytes.fromhex(f.read().strip())
        self.assertEqual(meta_blob(db, "pseudonym_key"), want)
        type(self).keyed_db = db

    def test_6_no_secret_appears_in_any_output(self):
        stores = [self.county.db, self.a.db, self.r.db, self.u.db,
                  getattr(type(self), "keyed_db", None)]
        secrets = []
        for db in filter(None, stores):
            sk = meta_blob(db, "secret_key")
            self.assertEqual(len(sk or b""), 64, "%s: secret key in meta" % db)
            secrets += [("secret key of %s" % db, sk), ("key seed of %s" % db, sk[:32])]
            pk = meta_blob(db, "pseudonym_key")
            if pk:
                secrets.append(("pseudonym key of %s" % db, pk))
        # Every report and status, at debug level, joins what the tests already ran.
        self.county.report("html")
        self.county.report("csv")
        self.h.run([rh.AGG, "status", "--db", self.county.db, "--json"])
        for s in (self.a, self.r):
            s.status()
            s.report()
        texts = list(self.outputs)
        for name in os.listdir(self.h.dir):
            if name.endswith(".log"):
                with open(self.h.path(name), encoding="utf-8", errors="replace") as f:
                    texts.append(f.read())
        self.assertGreater(sum(len(t) for t in texts), 1000, "there is output to search")
        for label, raw in secrets:
            for form in (raw.hex(), raw.hex().upper()):
                for t in texts:
                    self.assertNotIn(form, t, "the %s is printed or logged" % label)


if __name__ == "__main__":
    rh.main()
