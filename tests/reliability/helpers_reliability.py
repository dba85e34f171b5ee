"""Shared helpers of the reliability tests: the CLI in-process, crafted hostile files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from fairdf.cli import main

HEADER8 = "img_path,label,ismale,isasian,iswhite,isblack,intersec_label"
ROW_REAL = "a.png,0,1,-1,1,-1,1"  # male white: group 1 under ffpp


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run `fairdf ARGS` in-process; (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    """The error contract: exactly one stderr line, no traceback, naming what it must."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def bomb_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A valid greyscale PNG of `width x height` zero pixels in a few hundred KiB."""
    row = b"\x00" * (width + 1)  # filter byte + one byte per pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
    path.write_bytes(png + _chunk(b"IEND", b""))
    return path


def header_only_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares `width x height` but holds no pixel data (fast to write)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b""))
    return path


def write_manifest(path: Path, rows: list[str], header: str = HEADER8) -> Path:
    """A manifest whose images (16 x 16 RGB) are created beside it."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    for row in rows:
        name = row.split(",")[0]
        if name and not (path.parent / name).exists() and name.endswith(".png"):
            Image.new("RGB", (16, 16), (40, 80, 120)).save(path.parent / name)
    return path


def write_predictions(path: Path, n: int = 40) -> Path:
    """A valid predictions CSV: label, score and the ffpp attribute columns."""
    import numpy as np

    rng = np.random.default_rng(0)
    lines = ["label,score,ismale,isasian,iswhite,isblack"]
    for i in range(n):
        male, race = (1 if i % 2 else -1), i % 4
        races = [1 if race == k else -1 for k in range(3)]
        lines.append(f"{i % 2},{rng.uniform():.4f},{male},{races[0]},{races[1]},{races[2]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
