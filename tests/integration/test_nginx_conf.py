"""ops/nginx/rollcall-dashboard.conf: the dashboard behind nginx over TLS, /metrics apart.

The shipped file, with only its addresses, certificate and log paths replaced
by this test's (each replaced text must be in it), passes `nginx -t` under a
temporary prefix; then nginx runs it in front of a county's `run --http
--metrics`. Over HTTPS, verified against the test's certificate, / with a
token shows the page listing the school, without one it is 401, and /metrics
is 404 there; plain HTTP is sent to HTTPS; the metrics server answers /metrics
with the county's student count and / with 404. Exits 77 when nginx is not
installed (ops/test installs it).
"""

import os
import shutil
import ssl
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rollcall_harness as rh  # noqa: E402
from test_dashboard_access import get_url  # noqa: E402
from test_http_tls import make_cert  # noqa: E402
from test_metrics import metric, parse_metrics  # noqa: E402

CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ops", "nginx",
                    "rollcall-dashboard.conf")
COUNTY, SCHOOL = "410110", "4101100001"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class NginxConf(rh.RollcallTestCase):
    harness_name = "nginx_conf"

    @classmethod
    def build(cls):
        h = cls.h
        cls.cert, key = make_cert(h)
        cls.county = rh.Aggregator(h, COUNTY, "county")
        cls.school = rh.School(h, SCHOOL, COUNTY, cls.county)
        cls.county.enroll(cls.school)
        cls.http, cls.metrics = h.reserve_port(), h.reserve_port()
        cls.county.start(http="127.0.0.1:%d" % cls.http, metrics="127.0.0.1:%d" % cls.metrics)
        cls.school.generate(20, 5)
        rh.sync_until_acked(h, [cls.school])
        cls.token = h.run([rh.AGG, "token", "add", "--db", cls.county.db, "--name", "li.na"]
                          ).stdout.strip()
        cls.tls, cls.plain, cls.scrape = h.reserve_port(), h.reserve_port(), h.reserve_port()
        prefix = cls.prefix = h.path("nginx")
        os.makedirs(os.path.join(prefix, "logs"))
        with open(CONF, encoding="utf-8") as f:
            conf = f.read()
        for old, new in (
                ("127.0.0.1:9101", "127.0.0.1:%d" % cls.http),
                ("127.0.0.1:9100", "127.0.0.1:%d" % cls.metrics),
                ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % cls.tls),
                ("listen [::]:443 ssl;", ""),
                ("listen 80;", "listen 127.0.0.1:%d;" % cls.plain),
                ("listen [::]:80;", ""),
                ("listen 10.0.0.2:9100;", "listen 127.0.0.1:%d;" % cls.scrape),
                ("allow 10.0.0.5;", "allow 127.0.0.1;"),
                ("/etc/rollcall/tls/dashboard.crt", cls.cert),
                ("/etc/rollcall/tls/dashboard.key", key),
                ("/var/log/nginx/", os.path.join(prefix, "logs") + "/")):
            if old not in conf:
                raise AssertionError("%s no longer holds %r, which this test replaces"
                                     % (CONF, old))
            conf = conf.replace(old, new)
        with open(os.path.join(prefix, "rollcall-dashboard.conf"), "w", encoding="utf-8") as f:
            f.write(conf)
        # What /etc/nginx/nginx.conf would hold around a site, with every path in the prefix.
        with open(os.path.join(prefix, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp {\n"
                    % (prefix, prefix))
            for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                f.write("    %s_temp_path %s/%s_temp;\n" % (t, prefix, t))
            f.write("    include rollcall-dashboard.conf;\n}\n")
        cls.nginx = [NGINX, "-p", prefix + "/", "-c", os.path.join(prefix, "nginx.conf"),
                     "-e", os.path.join(prefix, "logs", "error.log")]

    def test_1_nginx_t_accepts_it(self):
        p = self.h.run(self.nginx + ["-t"])
        self.assertIn("test is successful", p.stderr)

    def test_2_dashboard_over_tls(self):
        self.h.start("nginx", self.nginx + ["-g", "daemon off; master_process off;"],
                     port=self.tls)
        ctx = ssl.create_default_context(cafile=self.cert)
        base = "https://127.0.0.1:%d" % self.tls

        def get(path):
            try:
                with urllib.request.urlopen(base + path, context=ctx, timeout=10) as r:
                    return r.status, r.read().decode("utf-8")
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode("utf-8", "replace")

        status, page = get("/?token=" + self.token)
        self.assertEqual(status, 200)
        self.assertIn(SCHOOL, page)
        self.assertIn("<h2 id=\"h-blind-spots\">", page)
        self.assertEqual(get("/")[0], 401)
        self.assertEqual(get("/metrics")[0], 404)
        self.assertEqual(get("/metrics?token=" + self.token)[0], 404)
        log = os.path.join(self.prefix, "logs", "rollcall-dashboard.log")
        with open(log, encoding="utf-8") as f:
            self.assertNotIn(self.token, f.read(), "nginx logged the token")

    def test_3_plain_http_goes_to_https(self):
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open("http://127.0.0.1:%d/?token=%s" % (self.plain, self.token), timeout=10)
            self.fail("plain HTTP was answered without a redirect")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 301)
            self.assertTrue(e.headers["Location"].startswith("https://"), e.headers["Location"])

    def test_4_metrics_server_apart(self):
        status, body = get_url("http://127.0.0.1:%d/metrics" % self.scrape)
        self.assertEqual(status, 200)
        m = parse_metrics(body.decode("utf-8"))
        self.assertEqual(metric(m, "rollcall_students"), len(self.school.rows))
        self.assertEqual(get_url("http://127.0.0.1:%d/" % self.scrape)[0], 404)


if __name__ == "__main__":
    if NGINX is None:
        print("skipped: nginx is not installed (apt-get install nginx; ops/test installs it)",
              file=sys.stderr)
        sys.exit(77)
    rh.main()
