#!/usr/bin/env python3
"""Protocol versions between real processes.

A county runs with /metrics; rollcall-rawsend sends it probes signed with an
enrolled school's key, each claiming a protocol version:

- the county's own version (read from its answer) and version 1 (senders
  before the field) are answered as probes are;
- one version newer is refused, the reason naming both versions and the
  county's program version, the county's log saying the same once, and the
  refusal counted under reason="protocol";
- rollcall_info carries the program version (CMake's project version) and
  the protocol version the county answered with;
- a real school syncs as before (its batches carry the current version).
"""

import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_metrics import http_get, metric, parse_metrics, start_with_http  # noqa: E402

RAWSEND = os.path.join(rh.BIN, "rollcall-rawsend")
COUNTY, SCHOOL = "411381", "4113810001"
REPLY = re.compile(r"^reply status=(\w+) acked_seq=(\d+) protocol=(\d+) reason=(.*)$")


def project_version():
    cache = os.path.join(os.path.dirname(os.path.abspath(rh.BIN)), "CMakeCache.txt")
    with open(cache, encoding="utf-8") as f:
        for line in f:
            if line.startswith("CMAKE_PROJECT_VERSION:"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("%s names no CMAKE_PROJECT_VERSION" % cache)


class Versions(rh.RollcallTestCase):
    harness_name = "versions"

    @classmethod
    def build(cls):
        h = cls.h
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county)
        cls.county.enroll(cls.school)
        cls.http = start_with_http(cls.county)

    def probe(self, protocol):
        p = self.h.run([RAWSEND, "--key-db", self.school.db, "--endpoint", self.county.endpoint,
                        "--server-key", self.county.pubkey, "--probe-protocol", str(protocol),
                        "--timeout", "10"], expect=0, timeout=30)
        m = REPLY.match(p.stdout.strip())
        self.assertIsNotNone(m, p.stdout + p.stderr)
        return m.group(1), int(m.group(3)), m.group(4)

    def scrape(self):
        status, _, body = http_get(self.http, "/metrics")
        self.assertEqual(status, 200)
        return parse_metrics(body.decode("utf-8"))

    def test_1_versions_read_and_refused(self):
        status, ours, reason = self.probe(1)
        self.assertEqual((status, reason), ("ACK", ""), "a version 1 sender is read")
        self.assertGreaterEqual(ours, 1)
        self.assertEqual(self.probe(ours)[:2], ("ACK", ours))

        newer = ours + 1
        status, answered, reason = self.probe(newer)
        self.assertEqual((status, answered), ("REFUSED", ours))
        want = ("protocol version %d of %s is newer than this program's: this program "
                "(rollcall %s) speaks version %d" % (newer, SCHOOL, project_version(), ours))
        self.assertIn(want, reason)
        with open(self.h.path("agg-%s.log" % COUNTY), encoding="utf-8") as f:
            log = f.read()
        self.assertEqual(log.count(want), 1, log)

        m = self.scrape()
        self.assertEqual(metric(m, "rollcall_batches_refused_total", reason="protocol"), 1)
        self.assertEqual(metric(m, "rollcall_info", id=COUNTY, tier="county",
                                version=project_version(), protocol=str(ours)), 1)

    def test_2_a_real_school_still_syncs(self):
        self.school.generate(12, 5)
        self.school.sync()
        self.assertEqual(rh.pending_changes(self.school.status()), 0)
        self.assertTotals(rh.child(self.county.report(), SCHOOL)["totals"],
                          self.school.totals(), "the school at the county")


if __name__ == "__main__":
    rh.main()
