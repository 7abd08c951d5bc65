"""/metrics of `rollcall-agg run --http`: the counters and gauges after syncs of known data.

County 410103 (reporting to province 41, which starts later) with schools A
and B that sync, and school N that is enrolled but never syncs. The test
counts what it did (batches applied, one refused batch and why, records) and
compares each figure with /metrics and with the county's store. It also sends
the listener what no browser or scraper sends, and checks it keeps serving.
"""

import os
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402

RAWSEND = os.path.join(rh.BIN, "rollcall-rawsend")
COUNTY = "410103"
DAY = 86400


def parse_metrics(text):
    """Prometheus text format -> {(name, frozenset of label pairs): value}; fails on bad lines."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        labels = frozenset()
        if "{" in series:
            name, rest = series.split("{", 1)
            assert rest.endswith("}"), line
            pairs = []
            for item in rest[:-1].split(","):
                k, v = item.split("=", 1)
                assert v.startswith('"') and v.endswith('"'), line
                pairs.append((k, v[1:-1]))
            labels = frozenset(pairs)
        else:
            name = series
        key = (name, labels)
        assert key not in out, "series %r twice" % (key,)
        out[key] = float(value)
    return out


def metric(m, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in m:
        raise AssertionError("/metrics has no %s%s" % (name, labels or ""))
    return m[key]


def http_get(port, path, headers=None, method="GET", data=None):
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {},
                                 method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def scrape_status(port):
    """The status of GET /metrics, or None when the connection was refused or reset."""
    try:
        return http_get(port, "/metrics")[0]
    except OSError:
        return None


def raw_exchange(port, data):
    """Sends bytes as they are and returns what comes back before the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close while we still send: that is an answer too
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except OSError:
            pass
    return b"".join(chunks)


def start_with_http(agg):
    """Starts agg's `run` with the dashboard on a port the system picks; returns that port."""
    agg.start(http="127.0.0.1:0")
    return agg.http_port


class MetricsTest(rh.RollcallTestCase):
    harness_name = "metrics"

    @classmethod
    def build(cls):
        h = cls.h
        cls.province = rh.Aggregator(h, "41", "province")
        cls.county = rh.Aggregator(h, COUNTY, "county", upstream=cls.province)
        cls.province.enroll(cls.county)
        cls.a = rh.School(h, "4101030001", COUNTY, cls.county)
        cls.b = rh.School(h, "4101030002", COUNTY, cls.county)
        cls.n = rh.School(h, "4101030003", COUNTY, cls.county)
        for s in (cls.a, cls.b, cls.n):
            cls.county.enroll(s)
        cls.before_start = int(time.time())
        cls.http = start_with_http(cls.county)
        cls.after_start = int(time.time())

    def scrape(self):
        status, headers, body = http_get(self.http, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        return parse_metrics(body.decode("utf-8"))

    def county_store(self, sql):
        con = sqlite3.connect("file:%s?mode=ro" % self.county.db, uri=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def test_1_syncs_are_counted(self):
        # A: 30 students, then 5 of them changed (two batches); B: 20 students (one batch).
        self.a.generate(30, 7)
        self.b.generate(20, 8)
        self.a.sync()
        self.b.sync()
        rows = [dict(r, participation="absent") for r in self.a.rows[:5]]
        path = self.h.path("a-edit.csv")
        rh.write_csv(path, rows)
        self.a.import_csv(path)
        self.a.sync()

        m = self.scrape()
        status = rh.agg_status(self.county)
        applied = sum(rh.source_applied_seq(status, s.id) for s in (self.a, self.b))
        batches = self.county_store("SELECT count(*), sum(changes) FROM batch_log")[0]
        # What the test did: three syncs that each sent one batch of new changes.
        self.assertEqual(metric(m, "rollcall_batches_accepted_total"), 3)
        self.assertEqual(batches[0], 3, "the county's batch log")
        # Every change of both schools was applied exactly once: each seq is one record.
        self.assertEqual(metric(m, "rollcall_records_applied_total"), applied)
        self.assertEqual(metric(m, "rollcall_records_applied_total"), batches[1])
        self.assertGreaterEqual(applied, 30 + 20 + 5, "every student row and edit is a change")
        for reason in ("malformed", "not_enrolled", "chain_break", "bad_signature", "other"):
            self.assertEqual(metric(m, "rollcall_batches_refused_total", reason=reason), 0)

        # Ingest latency: one observation per ACK, buckets cumulative.
        acks = metric(m, "rollcall_replies_total", reply="ack")
        self.assertGreaterEqual(acks, 3)
        count = metric(m, "rollcall_ingest_ack_seconds_count")
        self.assertEqual(count, acks)
        self.assertEqual(metric(m, "rollcall_ingest_ack_seconds_bucket", le="+Inf"), count)
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                         if k[0] == "rollcall_ingest_ack_seconds_bucket"
                         and dict(k[1])["le"] != "+Inf")
        self.assertGreaterEqual(len(buckets), 5)
        for (_, lo), (_, hi) in zip(buckets, buckets[1:]):
            self.assertLessEqual(lo, hi, "histogram buckets must be cumulative")
        self.assertGreater(metric(m, "rollcall_ingest_ack_seconds_sum"), 0)

        start = metric(m, "process_start_time_seconds")
        self.assertTrue(self.before_start <= start <= self.after_start, start)

        # Schools: A and B reported, N never did, none stale yet.
        self.assertEqual(metric(m, "rollcall_schools_expected"), 3)
        self.assertEqual(metric(m, "rollcall_schools_reported"), 2)
        self.assertEqual(metric(m, "rollcall_schools_never_reported"), 1)
        self.assertEqual(metric(m, "rollcall_schools_stale"), 0)
        truth = rh.add_totals(self.a.totals(), self.b.totals())
        self.assertEqual(metric(m, "rollcall_students"), truth["students"])
        self.assertEqual(metric(m, "rollcall_blind_spots"), truth["blind_spots"])

        # The province is down: the county's summaries wait, as old as the first sync at most.
        self.assertEqual(metric(m, "rollcall_upstream_configured"), 1)
        pending = rh.pending_changes(status)
        self.assertGreater(pending, 0)
        self.assertEqual(metric(m, "rollcall_upstream_pending_changes"), pending)
        # The lag is the age, at the scrape, of the oldest change still waiting, as the store
        # dated it: bounded by the clock read on each side of the scrape, whatever the load.
        before_scrape = int(time.time())
        lag = metric(self.scrape(), "rollcall_upstream_lag_seconds")
        after_scrape = int(time.time())
        oldest = self.county_store(
            "SELECT min(a.at) FROM outbox_age a, uplink u"
            " WHERE a.seq > u.acked_seq AND a.seq < u.next_seq")[0][0]
        self.assertGreater(oldest, 0, "the waiting changes are dated")
        self.assertGreaterEqual(lag, max(0, before_scrape - oldest))
        self.assertLessEqual(lag, after_scrape - oldest)
        self.assertEqual(metric(m, "rollcall_upstream_last_ack_timestamp_seconds"), 0)

    def test_2_refused_batch_has_its_reason(self):
        # Bytes that are no envelope, over a connection with A's enrolled key.
        path = self.h.path("garbage.bin")
        with open(path, "wb") as f:
            f.write(b"\x0a\x05hello, this is not an envelope")
        p = self.h.run([RAWSEND, "--key-db", self.a.db, "--endpoint", self.county.endpoint,
                        "--server-key", self.county.pubkey, "--file", path, "--timeout", "10"],
                       expect=0, timeout=30)
        self.assertIn("malformed", (p.stdout + p.stderr).lower())
        # The reply can reach the sender before the counters are updated: wait for the count.
        def counted():
            m = self.scrape()
            return m if metric(m, "rollcall_batches_refused_total", reason="malformed") else None
        m = rh.wait_until(counted, 10, "the refusal to be counted")
        self.assertEqual(metric(m, "rollcall_batches_refused_total", reason="malformed"), 1)
        self.assertEqual(sum(v for k, v in m.items() if k[0] == "rollcall_batches_refused_total"),
                         1, "only the one refusal")
        self.assertEqual(metric(m, "rollcall_replies_total", reply="refused"), 1)
        self.assertEqual(metric(m, "rollcall_batches_accepted_total"), 3, "nothing applied")
        kept = self.county_store("SELECT count(*) FROM refused")[0][0]
        self.assertEqual(kept, 1, "the county keeps the refused batch for audit")

    def test_3_stale_school_and_upstream_catching_up(self):
        # B last synced eight days ago (the stale window is seven).
        con = sqlite3.connect(self.county.db, timeout=30)
        try:
            with con:
                con.execute("UPDATE summaries SET last_sync = ? WHERE school_id = ?",
                            (int(time.time()) - 8 * DAY, self.b.id))
        finally:
            con.close()
        m = self.scrape()
        self.assertEqual(metric(m, "rollcall_schools_stale"), 1)
        self.assertEqual(self.county.report()["completeness"]["stale"], 1, "report agrees")

        self.province.start()
        rh.wait_until(lambda: rh.pending_changes(rh.agg_status(self.county)) == 0, 60,
                      "the county's summaries acknowledged by the province")
        m = self.scrape()
        self.assertEqual(metric(m, "rollcall_upstream_pending_changes"), 0)
        self.assertEqual(metric(m, "rollcall_upstream_lag_seconds"), 0)
        self.assertGreater(metric(m, "rollcall_upstream_last_ack_timestamp_seconds"), 0)

    def test_4_hostile_requests(self):
        port = self.http
        self.assertEqual(http_get(port, "/metrics", method="POST", data=b"x=1")[0], 405)
        self.assertEqual(http_get(port, "/metrics", method="DELETE")[0], 405)
        self.assertEqual(http_get(port, "/nope")[0], 404)
        status, _, body = http_get(port, "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(http_get(port, "/metrics/../../etc/passwd")[0], 404)
        self.assertEqual(http_get(port, "/metrics?x=%00%ff")[0], 200)
        # A GET with a body, a header far beyond the memory limit, plain garbage.
        ans = raw_exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 5\r\n\r\nhello")
        self.assertTrue(ans.startswith(b"HTTP/1.1 400"), ans[:100])
        ans = raw_exchange(port, b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
        self.assertFalse(ans.startswith(b"HTTP/1.1 200"), ans[:100])
        ans = raw_exchange(port, b"\x00\xff\x16\x03\x01garbage\r\n\r\n")
        self.assertFalse(ans.startswith(b"HTTP/1.1 200"), ans[:100])
        # More idle connections than the limit: the ones beyond it are closed, the rest time out.
        idle = []
        try:
            for _ in range(40):
                try:
                    idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
                except OSError:
                    break
        finally:
            for s in idle:
                s.close()
        rh.wait_until(lambda: scrape_status(port) == 200, 30,
                      "/metrics served again after the flood")
        self.assertIsNone(self.county.proc.poll(), "run must still be running")
        # The counters were not disturbed by any of it.
        self.assertEqual(metric(self.scrape(), "rollcall_batches_accepted_total"), 3)

    def test_5_usage_errors(self):
        for bad in ("0.0.0.0:65536", "127.0.0.1:70000", "example.org:80", "::1:9100", ":9100", "x"):
            p = self.h.run([rh.AGG, "run", "--db", self.county.db, "--http", bad],
                           expect=rh.EXIT_USAGE)
            self.assertIn("--http", p.stderr)
        # Another aggregator asking for the address in use: exit 1 naming it, nothing left behind.
        other = rh.Aggregator(self.h, "410199", "county")
        p = self.h.run([rh.AGG, "run", "--db", other.db, "--http", "127.0.0.1:%d" % self.http],
                       expect=rh.EXIT_DATA)
        self.assertIn("cannot listen on 127.0.0.1:%d for HTTP" % self.http, p.stderr)
        self.h.run([rh.AGG, "health", "--db", other.db], expect=1)
        self.assertEqual(metric(self.scrape(), "rollcall_batches_accepted_total"), 3,
                         "the county's listener still answers")


if __name__ == "__main__":
    rh.main()
