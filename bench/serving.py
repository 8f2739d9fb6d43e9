"""Serving benchmark: the site under gunicorn (2 workers), a bounded loopback load.

``python -m bench.serving`` (run by ``make bench``). Builds a temporary SQLite database
with 2,000 published visits (``bench.public.build``), starts gunicorn on a free local port,
warms the caches, then loads side by side, one after the other: a static CSS file (the
yardstick), the cached whole-tour feed ``/calendar.ics``, its 304 answer (If-None-Match),
a cached page (``/calendrier``) and its 304, each also asked compressed (``Accept-Encoding:
gzip``, as calendar apps and browsers ask). With ``wrk`` installed (``apt-get install
wrk``): ``wrk -t2 -c8 -d<seconds>s`` per URL; otherwise a small Python load generator
(8 keep-alive connections in threads, same duration). Prints requests per second and the
cost of each against the static file (target: at most 1.5x). Figures, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
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


def run_wrk(port: int, path: str, headers: dict[str, str], seconds: int) -> float:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise SystemExit(f"wrk said:\n{out}")
    return float(m.group(1))


def run_python(port: int, path: str, headers: dict[str, str], seconds: int, connections: int = 8) -> float:
    """8 keep-alive connections, each in a thread, for ``seconds``: completed requests per second."""
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
    return sum(counts) / (time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10, help="load duration per URL")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args = parser.parse_args(argv)
    use_wrk = shutil.which("wrk") is not None and not args.python_load

    with tempfile.TemporaryDirectory(prefix="tourplan-serving-") as tmp:
        db_path = Path(tmp) / "bench.sqlite"
        prepare(db_path, args.visits)
        port = free_port()
        env = {**os.environ, "TOURPLAN_DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "web:create_app()"],
            cwd=ROOT, env=env,
        )
        try:
            wait_until_up(port, proc)
            _status, page_headers, page = get(port, "/calendrier")
            css = re.search(rb'href="(/static/css/site\.css[^"]*)"', page)
            css_path = css.group(1).decode() if css else "/static/css/site.css"
            cases: list[tuple[str, str, dict[str, str]]] = [("static CSS file", css_path, {})]
            for label, path in (("cached feed /calendar.ics", "/calendar.ics"), ("cached page /calendrier",
                                                                                   "/calendrier")):
                # Warm both workers' caches, then note the validator for the 304 case.
                for _ in range(8):
                    get(port, path, {"Accept-Encoding": "gzip"})
                    _s, headers, _b = get(port, path)
                cases.append((label, path, {}))
                cases.append((f"{label}, 304", path, {"If-None-Match": headers["etag"]}))
                # Calendar apps and browsers ask for a compressed body: the cached compressed
                # copy is what they are served (the uncompressed row is bounded by copying 1 MB).
                cases.append((f"{label}, gzip", path, {"Accept-Encoding": "gzip"}))
            status, _h, _b = get(port, "/calendar.ics", {"If-None-Match": cases[2][2]["If-None-Match"]})
            assert status == 304, status
            load = run_wrk if use_wrk else run_python
            rates = [(label, load(port, path, headers, args.seconds)) for label, path, headers in cases]
        finally:
            proc.terminate()
            proc.wait(30)
    yardstick = rates[0][1]
    tool = "wrk -t2 -c8" if use_wrk else "Python load generator, 8 connections"
    print(f"gunicorn, 2 workers, {args.visits} published visits on SQLite; {tool}, {args.seconds} s per URL\n")
    print("| request | req/s | cost vs static file | target ≤ 1.5x |")
    print("|---|---:|---:|---|")
    worst = 0.0
    for label, rate in rates:
        cost = yardstick / rate if rate else float("inf")
        worst = max(worst, cost)
        print(f"| {label} | {rate:,.0f} | {cost:.2f}x | {'yes' if cost <= TARGET else 'NO'} |")
    print(f"\nWorst: {worst:.2f}x the static file's cost.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
