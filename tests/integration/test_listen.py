#!/usr/bin/env python3
"""Port 0: `rollcall-agg run` listens where the system lets it and says where (FILE.listen and
`status --json`), keeps that port across restarts, and withdraws the file at a clean stop."""

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
SCHOOL = "2141010240"


class Listen(rh.RollcallTestCase):
    harness_name = "listen"

    @classmethod
    def build(cls):
        h = cls.h
        cls.db = h.path("county.db")
        h.run([rh.AGG, "init", "--db", cls.db, "--id", COUNTY, "--tier", "county",
               "--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"])
        cls.key = h.run([rh.AGG, "pubkey", "--db", cls.db]).stdout.strip()

    def start(self, label):
        proc = self.h.start(label, [rh.AGG, "run", "--db", self.db])
        bound = self.h.wait_listen_file(label, proc, self.h.path(label + ".log"), self.db)
        return proc, bound

    def test_1_the_bound_ports_are_published_and_used(self):
        h = self.h
        proc, bound = self.start("run-1")
        sync_port = int(bound["sync"].rsplit(":", 1)[1])
        http_port = int(bound["http"].rsplit(":", 1)[1])
        self.assertTrue(bound["sync"].startswith("tcp://127.0.0.1:") and sync_port > 0, bound)
        self.assertTrue(bound["http"].startswith("127.0.0.1:") and http_port > 0, bound)
        status = json.loads(h.run([rh.AGG, "status", "--db", self.db, "--json"]).stdout)
        self.assertEqual(status["listen"], "tcp://127.0.0.1:0", "the configuration is kept")
        self.assertEqual(status["bound"], {"sync": bound["sync"], "http": bound["http"]})

        # A school given the bound endpoint syncs through it; the dashboard answers there.
        school = rh.School(h, SCHOOL, COUNTY, None, endpoint=bound["sync"], upstream_key=self.key)
        h.run([rh.AGG, "enroll", "--db", self.db, "--source", SCHOOL, "--key", school.pubkey])
        school.generate(25, 240)
        school.sync()
        report = json.loads(h.run([rh.AGG, "report", "--db", self.db]).stdout)
        self.assertEqual(rh.comparable(report["totals"]), rh.comparable(school.totals()))
        h.wait_listening("run-1 http", proc, h.path("run-1.log"), http_port)

        # Restarted, it asks for the same ports first: the school still reaches it.
        self.assertEqual(h.stop(proc), 0)
        self.assertIsNone(rh.read_listen_file(self.db), "a clean stop withdraws FILE.listen")
        proc, again = self.start("run-2")
        self.assertEqual(again["sync"], bound["sync"])
        self.assertEqual(again["http"], bound["http"])
        more = h.gen_students(SCHOOL, COUNTY, 10, 241, path=h.path("more.csv"))
        school.import_csv(more)
        school.sync()
        report = json.loads(h.run([rh.AGG, "report", "--db", self.db]).stdout)
        self.assertEqual(rh.comparable(report["totals"]), rh.comparable(school.totals()))
        self.assertEqual(h.stop(proc), 0)


if __name__ == "__main__":
    rh.main()
