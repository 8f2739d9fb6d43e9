"""The source code of the running site, as a tar.gz it serves itself (AGPL-3.0 § 13: users
interacting with it over a network can get its corresponding source).

Built once per process from the files the application runs from (the domain, the web
application with its templates, static files and migrations, the tests and benchmarks,
the build files), never from instance/ (database, secrets) or generated files.
"""

from __future__ import annotations

import io
import tarfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECTORIES = ("tourplan", "web", "tests", "bench")
FILES = ("README.md", "LICENSE", "Makefile", "pyproject.toml", "requirements.txt", "requirements-dev.txt",
         "constraints.txt")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", "instance"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".mo", ".sqlite", ".sqlite-wal", ".sqlite-shm")


def source_files(root: Path = ROOT) -> list[Path]:
    out = [root / name for name in FILES if (root / name).is_file()]
    for d in DIRECTORIES:
        for path in sorted((root / d).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIPPED_PARTS & set(rel.parts) and not path.name.endswith(SKIPPED_SUFFIXES):
                out.append(path)
    return out


@lru_cache(maxsize=1)
def source_archive() -> bytes:
    """tourplan-source/… as gzip'd tar bytes (deterministic: fixed times and owners)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as tar:
        for path in source_files():
            info = tar.gettarinfo(str(path), arcname="tourplan-source/" + path.relative_to(ROOT).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with path.open("rb") as f:
                tar.addfile(info, f)
    return buffer.getvalue()
