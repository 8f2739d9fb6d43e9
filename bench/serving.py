"""Serving benchmark: the site under gunicorn (2 workers), a bounded loopback load.

``python -m bench.serving`` (run by ``make bench``). Builds a temporary SQLite database
with 2,000 published visits (``bench.public.build``), starts gunicorn on a free local port,
warms the caches, then loads side by side: two static files as yardsticks (the site's CSS,
2.6 KB, the issue's yardstick; and a static copy of the feed's own bytes, 1 MB, served by the
same app's static-file view from a folder of the bench), as reference the same two bodies
answered by a WSGI app without Flask under the same gunicorn (what moving the bytes costs
by itself, as bytes and with sendfile), the cached whole-tour feed
``/calendar.ics``, its 304 answer (If-None-Match), a cached page (``/calendrier``) and its
304, each also asked compressed (``Accept-Encoding: gzip``, as calendar apps and browsers
ask). With ``wrk`` installed (``apt-get install wrk``): ``wrk -t2 -c8`` per URL; otherwise a
small Python load generator (8 keep-alive connections in threads). The machine may be
shared: the URLs are loaded in turn for ``--rounds`` rounds of ``seconds / rounds`` each, so
every one sees the same load, and each cost is the median over rounds of its ratio to a
yardstick measured in the same round (target: at most 1.5x). The last column, the gunicorn
workers' CPU per request, is the server's own cost, which other work on a shared machine
changes much less than the requests per second. Figures, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(db_path: Path, visits: int) -> None:
    from bench.public import build
    from web import create_app
    from web.extensions import db

    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        db.create_all()
        build(app, visits)
        db.session.remove()
        db.engine.dispose()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def wait_until_up(port: int, proc: subprocess.Popen[Any], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("gunicorn stopped before answering")
        try:
            get(port, "/favicon.ico")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def workers_cpu_seconds(master: int) -> float | None:
    """CPU seconds (user + system) the master's worker processes have used so far; None
    without a Linux ``/proc``. Per request, this is the server's own cost, which other
    work on a shared machine hardly changes, unlike requests per second."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:  # the parent's pid
                    total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError):
        return None


def run_wrk(port: int, path: str, headers: dict[str, str], seconds: int) -> tuple[float, int]:
    """Requests per second and requests completed."""
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+) requests in .*?Requests/sec:\s+([\d.]+)", out, re.S)
    if not m:
        raise SystemExit(f"wrk said:\n{out}")
    return float(m.group(2)), int(m.group(1))


def run_python(port: int, path: str, headers: dict[str, str], seconds: int,
               connections: int = 8) -> tuple[float, int]:
    """8 keep-alive connections, each in a thread, for ``seconds``: requests per second and
    requests completed."""
    stop = time.monotonic() + seconds
    counts = [0] * connections

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            counts[i] += 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start), sum(counts)


def app_with_yardstick() -> Any:
    """The site as gunicorn runs it, plus a static folder of the bench's (``/bench-static/``,
    served by Flask's own static-file view, as the site's CSS is) and an instance folder of
    its own: ``TOURPLAN_BENCH_DIR`` holds both."""
    from flask import Blueprint

    from web import create_app

    bench_dir = Path(os.environ["TOURPLAN_BENCH_DIR"])
    app = create_app()
    app.instance_path = str(bench_dir / "instance")
    Path(app.instance_path).mkdir(exist_ok=True)
    app.register_blueprint(Blueprint("bench", __name__, static_folder=str(bench_dir / "static"),
                                     static_url_path="/bench-static"))
    return app


def bare_app(environ: dict[str, Any], start_response: Any) -> Any:
    """No Flask at all, the floor of what gunicorn and wrk cost: ``/<name>`` answers the file
    of the bench's static folder as bytes, ``/<name>?sendfile`` as a file (sendfile)."""
    path = Path(os.environ["TOURPLAN_BENCH_DIR"]) / "static" / environ["PATH_INFO"].lstrip("/")
    if not path.is_file():
        start_response("404 Not Found", [("Content-Length", "0")])
        return []
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(path.stat().st_size))])
    if environ.get("QUERY_STRING") == "sendfile":
        return environ["wsgi.file_wrapper"](path.open("rb"))
    return [path.read_bytes()]


@dataclass(frozen=True)
class Case:
    label: str
    server: str  # "app" or "bare"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    #: The static file of comparable size it is judged against; None: a reference row.
    yardstick: str | None = None


YARDSTICKS = {"css": "vs CSS", "big": "vs 1 MB file"}


def cases_to_load(port: int, static_dir: Path) -> list[Case]:
    """The rows, in load order: the two yardsticks first, then the bare app's, then the site's."""
    _status, _h, page = get(port, "/calendrier")
    css = re.search(rb'href="(/static/css/site\.css[^"]*)"', page)
    css_path = css.group(1).decode() if css else "/static/css/site.css"
    css_body, feed = get(port, css_path)[2], get(port, "/calendar.ics")[2]
    static_dir.mkdir(exist_ok=True)
    (static_dir / "calendar.ics").write_bytes(feed)
    (static_dir / "site.css").write_bytes(css_body)
    small, big = f"{len(css_body) / 1000:.1f} KB", f"{len(feed) / 1e6:.1f} MB"
    cases = [Case(f"static CSS file ({small})", "app", css_path, yardstick="css"),
             Case(f"static file, the feed's bytes ({big})", "app", "/bench-static/calendar.ics", yardstick="big"),
             Case(f"no Flask: gunicorn answering {small} of bytes", "bare", "/site.css"),
             Case(f"no Flask: gunicorn answering {big} of bytes", "bare", "/calendar.ics"),
             Case(f"no Flask: gunicorn answering {big} with sendfile", "bare", "/calendar.ics?sendfile")]
    for label, path in (("cached feed /calendar.ics", "/calendar.ics"), ("cached page /calendrier", "/calendrier")):
        # Warm both workers' caches, then note the validator for the 304 case.
        for _ in range(8):
            get(port, path, {"Accept-Encoding": "gzip"})
            _s, headers, _b = get(port, path)
        cases.append(Case(label, "app", path, yardstick="big" if path.endswith(".ics") else "css"))
        cases.append(Case(f"{label}, 304", "app", path, {"If-None-Match": headers["etag"]}, "css"))
        # Calendar apps and browsers ask for a compressed body: the cached compressed copy.
        cases.append(Case(f"{label}, gzip", "app", path, {"Accept-Encoding": "gzip"}, "css"))
    status, _h, _b = get(port, "/calendar.ics", {"If-None-Match": cases[6].headers["If-None-Match"]})
    assert status == 304, status
    return cases


def measure(server: tuple[int, subprocess.Popen[Any]], case: Case, seconds: int,
            use_wrk: bool) -> tuple[float, float | None]:
    """Requests per second under load, and the workers' CPU milliseconds per request."""
    port, master = server[0], server[1].pid
    before = workers_cpu_seconds(master)
    rate, done = (run_wrk if use_wrk else run_python)(port, case.path, case.headers, seconds)
    after = workers_cpu_seconds(master)
    cpu = None if before is None or after is None or not done else (after - before) / done * 1000
    return rate, cpu


def start_gunicorn(target: str, env: dict[str, str]) -> tuple[int, subprocess.Popen[Any]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", target], cwd=ROOT, env=env)
    return port, proc


def load_in_turn(args: argparse.Namespace, use_wrk: bool, seconds: int) -> tuple[list[Case], list[list[Any]]]:
    """Start the site and the bare app under gunicorn, load every case in turn, ``rounds`` times."""
    with tempfile.TemporaryDirectory(prefix="tourplan-serving-") as tmp:
        db_path = Path(tmp) / "bench.sqlite"
        prepare(db_path, args.visits)
        env = {**os.environ, "TOURPLAN_DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
               "TOURPLAN_BENCH_DIR": tmp}
        servers = {"app": start_gunicorn("bench.serving:app_with_yardstick()", env),
                   "bare": start_gunicorn("bench.serving:bare_app", env)}
        try:
            for port, proc in servers.values():
                wait_until_up(port, proc)
            cases = cases_to_load(servers["app"][0], Path(tmp) / "static")
            rounds = [[measure(servers[c.server], c, seconds, use_wrk) for c in cases] for _ in range(args.rounds)]
        finally:
            for _port, proc in servers.values():
                proc.terminate()
                proc.wait(30)
    return cases, rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="load duration per URL, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="URLs loaded in turn this many times")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args = parser.parse_args(argv)
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    slice_s = max(1, round(args.seconds / args.rounds))
    cases, rounds = load_in_turn(args, use_wrk, slice_s)
    tool = "wrk -t2 -c8" if use_wrk else "Python load generator, 8 connections"
    print(f"gunicorn, 2 workers, {args.visits} published visits on SQLite; {tool}, {args.rounds} rounds "
          f"of {slice_s} s per URL\n")
    print("| request | req/s | cost vs CSS | cost vs 1 MB static file | target ≤ 1.5x (vs comparable size) "
          "| server CPU ms per request |")
    print("|---|---:|---:|---:|---|---:|")
    worst = 0.0
    for i, case in enumerate(cases):
        rate = statistics.median(r[i][0] for r in rounds)
        vs = {name: statistics.median(r[j][0] / r[i][0] if r[i][0] else float("inf") for r in rounds)
              for name, j in (("css", 0), ("big", 1))}
        cpu = [r[i][1] for r in rounds if r[i][1] is not None]
        target = "(reference)"
        if case.yardstick is not None:
            worst = max(worst, vs[case.yardstick])
            target = f"{'yes' if vs[case.yardstick] <= TARGET else 'NO'} ({YARDSTICKS[case.yardstick]})"
        print(f"| {case.label} | {rate:,.0f} | {vs['css']:.2f}x | {vs['big']:.2f}x | {target} | "
              f"{f'{statistics.median(cpu):.2f}' if cpu else 'n/a'} |")
    print(f"\nWorst: {worst:.2f}x its yardstick's cost (medians over {args.rounds} rounds of per-round ratios).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
