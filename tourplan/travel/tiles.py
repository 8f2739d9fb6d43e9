"""``travel tiles``: Valhalla's road graph from an OpenStreetMap extract (.osm.pbf)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tourplan.travel.engine import TravelError


def valhalla_bin(name: str) -> Path:
    """A Valhalla executable shipped in pyvalhalla's wheel (valhalla_build_tiles, valhalla_service)."""
    from valhalla import PYVALHALLA_DIR

    return PYVALHALLA_DIR / "bin" / name


def build_tiles(extract: str | Path, tiles_dir: str | Path) -> Path:
    """Build the tiles of ``extract`` into ``tiles_dir`` (created), with its ``valhalla.json``."""
    import valhalla

    extract, tiles = Path(extract), Path(tiles_dir)
    if not extract.is_file():
        raise TravelError("no such file (an OpenStreetMap extract, .osm.pbf)", source=str(extract))
    try:
        tiles.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TravelError(f"cannot be created ({e.strerror or e})", source=str(tiles)) from None
    config = valhalla.get_config(tile_extract="", tile_dir=tiles)
    # Cars only: the van never takes a bike path or a footway; leaving them out also
    # makes the graph smaller and a point on a footpath is refused rather than snapped to it.
    config["mjolnir"]["include_bicycle"] = False
    config["mjolnir"]["include_pedestrian"] = False
    config_file = tiles / "valhalla.json"
    config_file.write_text(json.dumps(config, indent=1), encoding="utf-8")
    run = subprocess.run([str(valhalla_bin("valhalla_build_tiles")), "-c", str(config_file), str(extract)],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0 or not any(p.suffix == ".gph" for p in tiles.rglob("*.gph")):
        config_file.unlink(missing_ok=True)  # a half-built folder must not pass for a graph
        last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no road in it"]
        raise TravelError(f"is not a usable OpenStreetMap extract ({last[0][:200]})", source=str(extract))
    return tiles
