#!/usr/bin/env python3
"""kill -9 at random moments, again and again, loses nothing and counts nothing twice.

province 41 ── county 411381 ── schools A (2,000 students), B (1,200), C (400).

Each cycle: A or B, in turn, imports a large change set (new students and
most of its students changed), one other school a few changes; every school
starts `sync` (the one without changes only probes); at random moments
(seeded, the seed printed) three processes are killed with SIGKILL: the sync
of the school with the large change set while it is sending it, the
county's `run` while it ingests and forwards, the province's `run` while it
ingests. The killed aggregators are started again at once; the school's
changes wait for the next cycle. After every cycle, acknowledgements must
have been kept: what a school (or the county) has acknowledged is applied at
its receiver, and a school whose sync exited 0 is counted at the county as
it stands. After the cycles, everything syncs until acknowledged and the
invariant must hold: the province's and the county's totals, and each
school's child entry at the county, equal the truth this test computes from
the CSVs; the county holds each student exactly once with its latest name,
grade and class; every school's status shows 0 pending; every store passes
PRAGMA integrity_check.

ROLLCALL_KILL_SEED=N replays a schedule. ROLLCALL_SOAK_SECONDS=S keeps the
cycles going for S seconds (a soak; not run by default).
"""

import os
import random
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SOAK_SECONDS = float(os.environ.get("ROLLCALL_SOAK_SECONDS") or 0)
if SOAK_SECONDS > 0 and not os.environ.get("ROLLCALL_TEST_TIME_LIMIT"):
    os.environ["ROLLCALL_TEST_TIME_LIMIT"] = str(int(SOAK_SECONDS) + 150)

import rollcall_harness as rh  # noqa: E402
import rollcall_hazards as hz  # noqa: E402

SEED = int(os.environ.get("ROLLCALL_KILL_SEED") or (time.time_ns() // 1000) % 1000000)
ROLES = ("school", "county", "province")
KILLS_PER_ROLE = 10   # at least this many kills of each role in a normal run
CYCLES_MAX = 40       # a normal run stops here even if a role has fewer kills (then it fails)
# No time budget: a loaded machine makes the cycles slower, never fewer (ctest gives this
# test a longer time-out than the others, tests/CMakeLists.txt).
SYNC_TIMEOUT_S = 5
NEW_PER_CYCLE = 12    # new students per school and cycle


def changed(row, rng):
    """The row with one field changed to another valid value (the rules see all of them)."""
    r = dict(row)
    field = rng.randrange(6)
    if field == 0:
        r["participation"] = rng.choice(("", "active", "irregular", "absent", "opted_out"))
    elif field == 1:
        r["network"] = ";".join(n for n in rh.NETWORKS if rng.random() < 0.5)
    elif field == 2:
        r["devices"] = ";".join(d for d in rh.DEVICES if rng.random() < 0.4)
    elif field == 3:
        r["groups"] = ";".join(g for g in rh.GROUPS if rng.random() < 0.15)
    elif field == 4:
        r["assistance"] = ";".join(m + rng.choice(("", "", ":planned", ":ended"))
                                   for m in rh.MEASURES if rng.random() < 0.2)
    else:
        r["class"] = "%d班" % rng.randint(1, 12)
    return r


class KillLoops(rh.RollcallTestCase):
    harness_name = "kill-loops"

    @classmethod
    def build(cls):
        h = cls.h
        print("kill loops: seed %d (ROLLCALL_KILL_SEED=%d replays it)%s" % (
            SEED, SEED, ", soak of %ds" % SOAK_SECONDS if SOAK_SECONDS else ""), file=sys.stderr)
        cls.rng = random.Random(SEED)
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, "411381", "county", upstream=cls.prov)
        cls.prov.enroll(cls.county)
        cls.schools, cls.pool = [], {}
        for ident, size, seed in (("2141138101", 2000, 71), ("2141138102", 1200, 72),
                                  ("3141138101", 400, 73)):
            s = rh.School(h, ident, "411381", cls.county)
            cls.county.enroll(s)
            path = h.gen_students(ident, "411381", size + 60 * NEW_PER_CYCLE, seed,
                                  path=h.path("pool-%s.csv" % ident))
            rows = rh.read_csv(path)
            first = h.path("initial-%s.csv" % ident)
            rh.write_csv(first, rows[:size])
            s.import_csv(first)
            cls.pool[ident] = rows[size:]  # new students for the cycles
            cls.schools.append(s)
        cls.prov.start()
        cls.county.start()
        # The first sync of the largest school measures how long sending ~2,000 changes takes
        # here (it differs between builds): the kill moments are drawn around that.
        started = time.monotonic()
        cls.schools[0].sync()
        cls.sync_seconds = time.monotonic() - started
        rh.sync_until_acked(h, cls.schools[1:])
        cls.kills = {role: 0 for role in ROLES}
        cls.missed = 0          # the sync had finished before its kill came
        cls.county_mid_ingest = 0
        cls.imported = 0
        cls.cycles = 0
        cls.run_n = 0
        cls.promise_checks = 0
        cls.broken = []   # acknowledgements not kept, per cycle

    # -- helpers

    def import_changes(self, school, fraction):
        """New students from the pool, and `fraction` of the known ones changed; imported."""
        rng = self.rng
        n = max(1, int(len(school.rows) * fraction))
        rows = [changed(r, rng) for r in rng.sample(school.rows, n)]
        pool = self.pool[school.id]
        take = min(NEW_PER_CYCLE, len(pool))
        rows += pool[:take]
        del pool[:take]
        path = self.h.path("cycle-%d-%s.csv" % (self.cycles, school.id))
        rh.write_csv(path, rows)
        school.import_csv(path)
        self.__class__.imported += len(rows)

    def start_sync(self, school):
        self.__class__.run_n += 1
        out = self.h.path("sync-%s-%d.out" % (school.id, self.run_n))
        with open(out, "wb") as f:
            p = subprocess.Popen([rh.SCHOOL, "sync", "--db", school.db, "--timeout",
                                  str(SYNC_TIMEOUT_S)], stdout=f, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=self.h.env, cwd=self.h.dir,
                                 preexec_fn=rh._die_with_parent)
        self.h.procs.append(("sync-%s" % school.id, p, out))
        return p, out

    def finish_sync(self, school, p, out, killed):
        """Waits for a sync; it must exit 0 or 3 (or have died by our SIGKILL), sanitizer-clean."""
        try:
            p.wait(SYNC_TIMEOUT_S + 20)
        except subprocess.TimeoutExpired:
            hz.kill9(self.h, p)
            self.fail("sync of %s did not stop within %ss; seed %d" % (
                school.id, SYNC_TIMEOUT_S + 20, SEED))
        self.h.procs = [x for x in self.h.procs if x[1] is not p]
        with open(out, encoding="utf-8", errors="replace") as f:
            text = f.read()
        with open(self.h.path("sync-%s.log" % school.id), "a", encoding="utf-8") as f:
            f.write("--- cycle %d: exit %d\n%s" % (self.cycles, p.returncode, text))
        os.remove(out)
        report = rh.sanitizer_report(text)
        self.assertIsNone(report, "sanitizer error in a sync of %s:\n%s" % (school.id, report))
        allowed = (rh.EXIT_OK, rh.EXIT_UPSTREAM) + ((-9,) if killed else ())
        self.assertIn(p.returncode, allowed, "sync of %s exited %d (seed %d, cycle %d):\n%s"
                      % (school.id, p.returncode, SEED, self.cycles, text[-3000:]))

    def kill_and_restart(self, agg):
        proc = agg.proc
        killed = hz.kill9(self.h, proc)
        agg.proc = None
        self.assertTrue(killed, "%s's run had exited (%s) before its kill; seed %d:\n%s"
                        % (agg.id, proc.returncode, SEED, agg.log()))
        report = rh.sanitizer_report(rh.tail(self.h.path("agg-%s.log" % agg.id), 400))
        self.assertIsNone(report, "sanitizer error in %s:\n%s" % (agg.id, report))
        agg.start()

    def cycle(self):
        rng, cls = self.rng, self.__class__
        cls.cycles += 1
        # The victim (A or B in turn) changes most of its students, one other school a few,
        # the third nothing (its sync is then a probe: those are killed mid-way too).
        victim = self.schools[cls.cycles % 2]
        other = self.schools[2 if cls.cycles % 2 else 1 + (cls.cycles // 2) % 2]
        self.import_changes(victim, rng.uniform(0.5, 0.9))
        self.import_changes(other, 0.03)
        plan = sorted([
            (rng.uniform(0.2, 0.9) * self.sync_seconds, "school"),
            (rng.uniform(0.05, 1.0) * self.sync_seconds, "county"),
            (rng.uniform(0.3, 1.6) * self.sync_seconds, "province"),
        ])
        t0 = time.monotonic()
        syncs = {s.id: self.start_sync(s) for s in self.schools}
        victim_killed = False
        for at, role in plan:
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            if role == "school":
                victim_killed = hz.kill9(self.h, syncs[victim.id][0])
                if victim_killed:
                    cls.kills["school"] += 1
                else:
                    cls.missed += 1
                # Aim a little earlier next time after a miss, a little later after a hit.
                cls.sync_seconds *= 1.05 if victim_killed else 0.8
            else:
                if role == "county" and any(p.poll() is None for p, _ in syncs.values()):
                    cls.county_mid_ingest += 1
                self.kill_and_restart(self.county if role == "county" else self.prov)
                cls.kills[role] += 1
        synced = []
        for s in self.schools:
            p, out = syncs[s.id]
            self.finish_sync(s, p, out, killed=s is victim and victim_killed)
            if p.returncode == rh.EXIT_OK:
                synced.append(s)
        self.check_promises(synced)

    def check_promises(self, synced):
        """An acknowledgement is a promise, whoever was killed since: what a sender had
        acknowledged is in its receiver's store (each sender is read before its receiver, whose
        applied seq only grows within an epoch), and a school whose sync exited 0 is counted at
        the county exactly as it stands."""
        cls = self.__class__
        states = {s.id: s.status() for s in self.schools}
        county = rh.agg_status(self.county)
        prov = rh.agg_status(self.prov)
        broken = []
        for s in self.schools:
            st = states[s.id]
            src = [x for x in county.get("sources", []) if str(x.get("id")) == s.id][0]
            if st.get("epoch") == src.get("epoch") and st["acked_seq"] > src["applied_seq"]:
                broken.append("school %s has seq %s acknowledged, the county applied only %s"
                              % (s.id, st["acked_seq"], src["applied_seq"]))
        out = county.get("outbox", {})
        src = [x for x in prov.get("sources", []) if str(x.get("id")) == self.county.id][0]
        if out.get("epoch") == src.get("epoch") and out["acked_seq"] > src["applied_seq"]:
            broken.append("the county has seq %s acknowledged, the province applied only %s"
                          % (out["acked_seq"], src["applied_seq"]))
        report = self.county.report()
        for s in synced:
            if rh.comparable(rh.child(report, s.id)["totals"]) != rh.comparable(s.totals()):
                broken.append("school %s synced (exit 0) but the county counts %s, not %s"
                              % (s.id, rh.comparable(rh.child(report, s.id)["totals"]),
                                 rh.comparable(s.totals())))
        cls.promise_checks += 1
        if broken:
            cls.broken.append("cycle %d: %s" % (self.cycles, "; ".join(broken)))

    def truth_arrived(self):
        want = rh.comparable(rh.add_totals(*[s.totals() for s in self.schools]))
        p, c = self.prov.report(), self.county.report()
        return (rh.comparable(p["totals"]) == want and rh.comparable(c["totals"]) == want
                and all(rh.comparable(rh.child(c, s.id)["totals"]) == rh.comparable(s.totals())
                        for s in self.schools))

    # -- the test

    def test_1_random_kills_of_every_role_lose_nothing_and_count_nothing_twice(self):
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            if SOAK_SECONDS > 0:
                if elapsed >= SOAK_SECONDS:
                    break
            elif min(self.kills.values()) >= KILLS_PER_ROLE or self.cycles >= CYCLES_MAX:
                break
            self.cycle()
        cycles_s = time.monotonic() - started

        # Everything comes back and syncs until acknowledged; then the figures must be the truth.
        runs, arrived = None, None
        try:
            runs = rh.sync_until_acked(self.h, self.schools, attempts=8, timeout=10)
            rh.wait_until(self.truth_arrived, 40, "the county and the province to show the truth")
        except AssertionError as e:
            arrived = e  # the figures below are printed first
        prov_report = self.prov.report()
        figures = rh.count_discrepancies(self.county.db, self.schools, prov_report["totals"])
        pending = {s.id: rh.pending_changes(s.status()) for s in self.schools}
        print("kill loops (seed %d): %d cycles in %.1f s; kill cycles survived: school sync %d "
              "(mid-send; %d more came after it had finished), county run %d (%d while schools "
              "were sending), province run %d; %d rows imported; records lost %d, records "
              "double-counted %d, rows differing %d; acknowledgements broken %d in %d checks; "
              "final syncs %s"
              % (SEED, self.cycles, cycles_s, self.kills["school"], self.missed,
                 self.kills["county"], self.county_mid_ingest, self.kills["province"],
                 self.imported, figures["lost"], figures["double"], figures["differing"],
                 len(self.broken), self.promise_checks, runs), file=sys.stderr)
        if arrived is not None:
            want = rh.add_totals(*[s.totals() for s in self.schools])
            self.fail("%s\nseed %d\nwant: %s\nprovince: %s\ncounty: %s\n%s" % (
                arrived, SEED, rh.comparable(want), rh.comparable(prov_report["totals"]),
                rh.comparable(self.county.report()["totals"]), self.h.logs()))
        self.assertEqual(self.broken, [], "acknowledged changes missing at the receiver (seed %d)"
                         % SEED)
        self.assertEqual(figures, {"lost": 0, "double": 0, "differing": 0},
                         "the county's rows and the province's count against the truth")
        self.assertEqual(pending, {s.id: 0 for s in self.schools}, "pending changes after sync")
        for role in ROLES:
            self.assertGreaterEqual(self.kills[role], KILLS_PER_ROLE if not SOAK_SECONDS else 1,
                                    "kills of the %s's process (seed %d)" % (role, SEED))

    def test_2_every_store_passes_its_integrity_check(self):
        self.county.stop()
        self.prov.stop()
        for path in [s.db for s in self.schools] + [self.county.db, self.prov.db]:
            self.assertEqual(rh.integrity_check(path), ["ok"],
                             "PRAGMA integrity_check of %s" % path)


if __name__ == "__main__":
    rh.main()
