#!/usr/bin/env python3
"""Nothing acknowledged is lost and nothing is counted twice over links that lose,
duplicate, reorder, delay and cut messages.

    province 41 ─[proxy]─ city 4101 ─[proxy]─ county 410102 ─[proxy]─ 4 schools

Every link goes through rollcall-faultproxy with every fault on, in both
directions: messages dropped, duplicated, held back behind the next one,
delayed with jitter, throttled, and all connections cut every 700 ms; a fifth
school, enrolled at the county but unknown to the proxy, is refused at the
proxy's handshake and reported missing. The four others import
several rounds of changed CSVs (changed fields, students left out, new
students), each followed by syncs retried until they exit 0. Then the
province must show exactly the totals computed here from the CSVs with the
reference rules of rollcall_harness (import upserts and never deletes, so a
student left out of a later CSV stays counted), the county must hold exactly
each school's students, and every store must pass PRAGMA integrity_check.

ROLLCALL_SOAK_SECONDS=N keeps importing and syncing rounds for N seconds
before the final checks. ctest never sets it; run a soak by hand:

    ROLLCALL_BIN=build/bin ROLLCALL_SOAK_SECONDS=600 python3 tests/integration/test_faults.py
"""

import os
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SOAK_SECONDS = int(os.environ.get("ROLLCALL_SOAK_SECONDS", "0") or "0")
if SOAK_SECONDS > 0:
    # The harness reads its time limit when imported: leave room for the soak.
    os.environ.setdefault("ROLLCALL_TEST_TIME_LIMIT", str(SOAK_SECONDS + 240))

import rollcall_harness as rh  # noqa: E402

COUNTY = "410102"
PLAN = [("2141010200", 300, 31), ("2141010201", 250, 32), ("3141010200", 280, 33),
        ("2141010202", 220, 34)]  # (school, students, seed)
ROUNDS = 3
# Every fault at once; cuts every 700 ms leave time for a CURVE handshake and a round trip.
KNOBS = dict(drop=0.2, dup=0.2, reorder=0.2, delay_ms=15, jitter_ms=40, cut_every_ms=700,
             rate_bps=400000)
STRANGER = "2141010299"  # enrolled at the county, but the proxy has no key for it
SYNC_ATTEMPTS = 12
SYNC_TIMEOUT = 8
SETTLE_TIMEOUT = 45

# A stale RESEND or probe answer, delivered by a reordering link after a later ACK, must not
# pass for an upstream restored from a backup (which would start a needless new epoch): an
# uplink that stops sending fails the province test at once, with the log lines.
STOPPED_UPLINK = "uplink: stopped sending"


class StuckUplink(Exception):
    pass


def full_log(agg):
    """Every line an aggregator logged so far (Aggregator.log() is only the tail)."""
    try:
        with open(agg.h.path("agg-%s.log" % agg.id), encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


# ---- the bad link: rollcall-faultproxy

FAULT_COUNTERS = ("dropped", "duplicated", "held", "reordered", "delayed", "throttled",
                  "lost_in_cuts", "unsent", "cuts")


# ---- the schools' changes

NAMES = ("王芳", "李强", "张静", "刘洋", "陈杰", "杨帆", "赵磊", "黄丽", "周敏", "吴昊")


def random_set(rng, words, most):
    return ";".join(sorted(rng.sample(words, rng.randint(0, most))))


def random_assistance(rng):
    kinds = rng.sample(rh.MEASURES, rng.choice((0, 0, 1, 1, 2)))
    return ";".join(k + rng.choice(("", "", ":planned", ":ended")) for k in sorted(kinds))


def change_fields(row, rng):
    """Two fields of a student changed, as a school office would."""
    row = dict(row)
    for field in rng.sample(("network", "devices", "groups", "assistance", "participation",
                             "grade", "name", "class"), 2):
        if field == "network":
            row[field] = random_set(rng, rh.NETWORKS, 2)
        elif field == "devices":
            row[field] = random_set(rng, rh.DEVICES, 2)
        elif field == "groups":
            row[field] = random_set(rng, rh.GROUPS, 2)
        elif field == "assistance":
            row[field] = random_assistance(rng)
        elif field == "participation":
            row[field] = rng.choice(rh.PARTICIPATION + ("",))
        elif field == "grade":
            row[field] = str(rng.randint(1, 12))
        elif field == "name":
            row[field] = rng.choice(NAMES)
        else:
            row[field] = "%d班" % rng.randint(1, 6)
    return row


def new_student(school, serial, rng):
    """A student without an ID card: J and 18 upper-case letters or digits."""
    row = {"student_id": "J%sN%07d" % (school, serial), "name": rng.choice(NAMES),
           "grade": str(rng.randint(1, 12)), "class": "%d班" % rng.randint(1, 6),
           "network": random_set(rng, rh.NETWORKS, 2), "devices": random_set(rng, rh.DEVICES, 3),
           "groups": random_set(rng, rh.GROUPS, 1), "assistance": random_assistance(rng),
           "participation": rng.choice(rh.PARTICIPATION + ("", ""))}
    return row


def next_csv_rows(school, rows, rng, serial):
    """The school's next CSV: ~15% of its students changed, ~5% left out, ~5% new."""
    out = []
    for row in rows:
        r = rng.random()
        if r < 0.05:
            continue  # left out of the file: import never deletes, so still counted
        out.append(change_fields(row, rng) if r < 0.20 else row)
    for i in range(max(1, len(rows) // 20)):
        out.append(new_student(school, serial + i, rng))
    rng.shuffle(out)
    return out


class Faults(rh.RollcallTestCase):
    harness_name = "faults"

    @classmethod
    def build(cls):
        h = cls.h
        cls.prov = rh.Aggregator(h, "41", "province")
        cls.p_city = rh.FaultProxy(h, "proxy-city-province", cls.prov)
        cls.city = cls.p_city.add(rh.Aggregator(h, "4101", "city", upstream=cls.p_city.via()))
        cls.p_county = rh.FaultProxy(h, "proxy-county-city", cls.city)
        cls.county = cls.p_county.add(
            rh.Aggregator(h, COUNTY, "county", upstream=cls.p_county.via()))
        cls.p_schools = rh.FaultProxy(h, "proxy-schools-county", cls.county)
        cls.schools = []
        for sid, _, _ in PLAN:
            s = rh.School(h, sid, COUNTY, cls.county, endpoint=cls.p_schools.endpoint)
            cls.schools.append(cls.p_schools.add(s))
            cls.county.enroll(s)
        # Not added to the proxy: its handshake there must fail, though the county knows it.
        cls.stranger = rh.School(h, STRANGER, COUNTY, cls.county, name="未接入学校",
                                 endpoint=cls.p_schools.endpoint)
        cls.county.enroll(cls.stranger)
        cls.prov.enroll(cls.city)
        cls.city.enroll(cls.county)
        for agg in (cls.prov, cls.city, cls.county):
            agg.start()
        cls.proxies = (cls.p_schools, cls.p_county, cls.p_city)
        for seed, proxy in enumerate(cls.proxies, start=1):
            proxy.start(seed=seed, **KNOBS)

        cls.file_rows = {}  # what each school's latest CSV holds
        for s, (sid, count, seed) in zip(cls.schools, PLAN):
            path = s.generate(count, seed)
            cls.file_rows[s.id] = rh.read_csv(path)
        cls.stranger.generate(30, 35)
        cls.started = time.monotonic()
        cls.sync_runs = []

    @classmethod
    def want(cls):
        return rh.add_totals(*(s.totals() for s in cls.schools))

    def sync_round(self, label):
        started = time.monotonic()
        runs = rh.sync_until_acked(self.h, self.schools, SYNC_ATTEMPTS, SYNC_TIMEOUT)
        self.sync_runs.append(runs)
        print("%s: every school acknowledged in %.1f s (sync runs per school: %s)"
              % (label, time.monotonic() - started, runs), flush=True)

    def import_round(self, n, rng):
        for s in self.schools:
            rows = next_csv_rows(s.id, self.file_rows[s.id], rng, serial=n * 1000)
            path = self.h.path("round%d-%s.csv" % (n, s.id))
            rh.write_csv(path, rows)
            s.import_csv(path)
            self.file_rows[s.id] = rows

    def test_1_rounds_of_changes_are_acknowledged(self):
        rng = random.Random(20200217)
        self.sync_round("first import")
        n = 1
        while n <= ROUNDS or time.monotonic() - self.started < SOAK_SECONDS:
            self.import_round(n, rng)
            self.sync_round("round %d" % n)
            n += 1
        for s in self.schools:
            self.assertTotals(s.report(), s.totals(), "school %s's own report" % s.id)

    def test_2_proxy_refuses_a_node_it_has_no_key_for(self):
        p = self.stranger.sync(expect=rh.EXIT_UPSTREAM, timeout=SYNC_TIMEOUT)
        self.assertIn("refused", p.stderr, "sync through the proxy without a key:\n%s" % p.stderr)

    def test_3_county_shows_each_school_exactly(self):
        want = rh.comparable(self.want())

        def settled():
            r = self.county.report()
            return r if rh.comparable(r.get("totals")) == want else None

        try:
            county = rh.wait_until(settled, SETTLE_TIMEOUT, "the county to show the final totals")
        except AssertionError as e:
            raise AssertionError("%s\nwant: %s\n%s" % (e, want, self.h.logs())) from None
        lost = double = 0
        for s in self.schools:
            got = rh.child(county, s.id)["totals"]
            want_s = s.totals()
            lost += max(0, want_s["students"] - (got.get("students") or 0))
            double += max(0, (got.get("students") or 0) - want_s["students"])
            self.assertTotals(got, want_s, "school %s at the county" % s.id)
        print("county %s: %d students; lost %d, counted twice %d"
              % (COUNTY, county["totals"]["students"], lost, double), flush=True)
        self.assertEqual(county["completeness"].get("reported"), len(self.schools))
        self.assertEqual(county["completeness"].get("missing"), [STRANGER])

    def test_4_county_holds_each_student_once(self):
        held = rh.county_student_rows(self.county.db)
        lost = extra = twice = 0
        for s in self.schools:
            rows = held.get(s.id, [])
            by_pn = {}
            for pn, name, grade, klass in rows:
                by_pn.setdefault(pn, []).append((name, grade, klass))
            want = {rh.pseudonym(r["student_id"]): (r["name"], int(r["grade"]), r["class"])
                    for r in s.rows}
            lost += len(set(want) - set(by_pn))
            extra += len(set(by_pn) - set(want))
            twice += sum(len(v) - 1 for v in by_pn.values())
            wrong = [pn.hex()[:12] for pn, fields in want.items()
                     if pn in by_pn and by_pn[pn][0] != fields]
            self.assertEqual(wrong, [], "school %s: county rows differ from the school's" % s.id)
        print("county rows: lost %d, unknown %d, held twice %d" % (lost, extra, twice),
              flush=True)
        self.assertEqual((lost, extra, twice), (0, 0, 0))

    def test_5_province_shows_the_final_state(self):
        want = rh.comparable(self.want())

        def settled():
            for agg in (self.county, self.city):
                stopped = [line for line in full_log(agg) if STOPPED_UPLINK in line]
                if stopped:
                    # It tries again only after a minute: longer than this test may take.
                    raise StuckUplink("%s's uplink stopped: %s" % (agg.id, stopped[0]))
            r = self.prov.report()
            return r if (rh.comparable(r.get("totals")) == want
                         and r.get("completeness", {}).get("reported") == len(self.schools)) \
                else None

        started = time.monotonic()
        try:
            prov = rh.wait_until(settled, SETTLE_TIMEOUT, "the province to show the final totals")
        except (AssertionError, StuckUplink) as e:
            for agg in (self.county, self.city):
                for line in full_log(agg):
                    if "older backup" in line or STOPPED_UPLINK in line:
                        print("%s: %s" % (agg.id, line), flush=True)
            raise AssertionError("%s\nwant: %s\nprovince: %s\ncity: %s\n%s" % (
                e, want, self.prov.report().get("totals"), self.city.report().get("totals"),
                self.h.logs())) from None
        print("province settled %.1f s after the last sync: %d students, %d blind spots"
              % (time.monotonic() - started, prov["totals"]["students"],
                 prov["totals"]["blind_spots"]), flush=True)
        self.assertEqual(prov["completeness"].get("expected"), len(self.schools) + 1)
        self.assertEqual(prov["completeness"].get("missing"), [STRANGER])
        city = self.city.report()
        self.assertTotals(city["totals"], self.want(), "city 4101")
        self.assertTotals(rh.child(city, COUNTY)["totals"], self.want(),
                          "county %s at the city" % COUNTY)
        # Nothing was restored: faults alone must never pass for lost history.
        for agg in (self.county, self.city):
            epochs = [line for line in full_log(agg) if "starting epoch" in line]
            self.assertEqual(epochs, [], "%s started a new epoch on a faulty link" % agg.id)

    def test_6_faults_were_injected_and_stores_are_sound(self):
        totals = dict.fromkeys(FAULT_COUNTERS, 0)
        for proxy in self.proxies:
            c = proxy.stop()
            print("%s: %s" % (proxy.label, " ".join("%s=%s" % (k, c.get(k)) for k in
                                                   ("received", "relayed") + FAULT_COUNTERS)),
                  flush=True)
            for k in totals:
                totals[k] += c.get(k, 0)
            self.assertGreater(c.get("relayed", 0), 0, "%s relayed nothing" % proxy.label)
        # The faults really happened: a suite that passes over a clean link proves nothing.
        # (Whether a held message is overtaken depends on a next one coming before the next
        # cut, so "reordered" is reported, not required.)
        for k in ("dropped", "duplicated", "held", "delayed", "throttled", "cuts"):
            self.assertGreater(totals[k], 0, "no message was %s by any proxy" % k)
        for agg in (self.county, self.city, self.prov):
            agg.stop()
            self.assertIn("0 breaks", agg.audit())
        stores = [s.db for s in self.schools + [self.stranger]]
        for path in stores + [self.county.db, self.city.db, self.prov.db]:
            self.assertEqual(rh.integrity_check(path), ["ok"], "integrity_check of %s" % path)
        runs = [n for r in self.sync_runs for n in r.values()]
        print("faults injected: %s; %d syncs for %d school rounds; every store passes "
              "integrity_check" % (" ".join("%s=%d" % kv for kv in totals.items()), sum(runs),
                                   len(runs)), flush=True)


if __name__ == "__main__":
    rh.main()
