"""The dashboard over HTTPS (run --tls-cert/--tls-key).

A county with one school that synced generated students runs with a self-signed
certificate for 127.0.0.1 made here with openssl; the page fetched over TLS,
verified against that certificate, lists the school and counts the blind spots
the test computes from its own rows. Plain HTTP to that port gets no page; a
key readable by others, a missing certificate and one option without the other
are refused, naming the file or the option.
"""

import http.client
import os
import shutil
import ssl
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_dashboard import parse_dom  # noqa: E402
from test_metrics import http_get  # noqa: E402

COUNTY, SCHOOL = "410108", "4101080001"


def make_cert(h):
    """(cert, key) paths of a new self-signed certificate for 127.0.0.1; the key mode 0600."""
    if not shutil.which("openssl"):
        raise AssertionError("openssl is not installed (ops/setup installs it)")
    cert, key = h.path("cert.pem"), h.path("key.pem")
    h.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
           "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
           "-keyout", key, "-out", cert])
    os.chmod(key, 0o600)
    return cert, key


class HttpTls(rh.RollcallTestCase):
    harness_name = "http_tls"

    @classmethod
    def build(cls):
        h = cls.h
        cls.cert, cls.key = make_cert(h)
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county)
        cls.county.enroll(cls.school)
        cls.county.start(http="127.0.0.1:0", extra=["--tls-cert", cls.cert, "--tls-key", cls.key])
        cls.school.generate(30, 7)
        rh.sync_until_acked(h, [cls.school])
        cls.token = h.run([rh.AGG, "dashboard-token", "--db", cls.county.db]).stdout.strip()

    def test_1_page_over_tls(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        url = "https://127.0.0.1:%d/?token=%s" % (self.county.http_port, self.token)
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            self.assertEqual(r.status, 200)
            text = r.read().decode("utf-8")
        d = parse_dom(text)
        units = d.rows.get("units")
        self.assertTrue(units, "the page has no table units")
        self.assertEqual([u[0] for u in units[1:]], [SCHOOL])
        want = len(rh.expected_blind_spots({SCHOOL: self.school.rows}, {SCHOOL: self.school.name}))
        self.assertEqual(d.by_id["blind-spots-count"].strip(), "共 %d 名" % want)

    def test_2_plain_http_gets_no_page(self):
        try:
            status = http_get(self.county.http_port, "/?token=" + self.token)[0]
        except (OSError, http.client.HTTPException, urllib.error.URLError):
            return
        self.assertNotEqual(status, 200, "plain HTTP served the page on the TLS port")

    def run_refused(self, extra, expect, *words):
        self.county.stop()  # the running one holds the sync port
        p = self.h.run([rh.AGG, "run", "--db", self.county.db, "--http", "127.0.0.1:0"] + extra,
                       expect=expect, timeout=30)
        for w in words:
            self.assertIn(w, p.stderr)

    def test_3_key_readable_by_others(self):
        key = self.h.path("open-key.pem")
        shutil.copyfile(self.key, key)
        os.chmod(key, 0o644)
        self.run_refused(["--tls-cert", self.cert, "--tls-key", key], rh.EXIT_DATA, key,
                         "chmod 600 " + key)

    def test_4_missing_cert(self):
        missing = self.h.path("no-such-cert.pem")
        self.run_refused(["--tls-cert", missing, "--tls-key", self.key], rh.EXIT_DATA, missing)

    def test_5_one_option_alone(self):
        self.run_refused(["--tls-cert", self.cert], rh.EXIT_USAGE, "--tls-key")
        self.run_refused(["--tls-key", self.key], rh.EXIT_USAGE, "--tls-cert")


if __name__ == "__main__":
    rh.main()
