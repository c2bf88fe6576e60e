"""Generate ``sovereign/assets/world.geojson`` from Natural Earth low-res country borders.

Natural Earth (https://www.naturalearthdata.com/, public domain) 1:110m admin-0 countries, as
shipped in the geopandas 0.14.x wheel on PyPI (``geopandas/datasets/naturalearth_lowres/``), is the
only source: it is small, public domain and reachable through the package registry, so the build
needs no other network access. The game never runs this script; it reads the committed asset.

Run it once from the repository root (pyshp is a tool-only dependency, not a runtime one)::

    .venv/bin/pip install pyshp
    .venv/bin/python tools/make_map.py                      # downloads the wheel with pip
    .venv/bin/python tools/make_map.py --wheel path/to.whl  # or reuse a downloaded wheel

What it does to the raw shapefile, and why:

* ``iso_a3 == "-99"`` rows (Kosovo in this release; France and Norway in older ones) get a code
  from ``ISO_A3_EH`` / ``ADM0_A3`` when those fields exist, else from a hand map by name, so every
  feature has a usable, unique ISO-3-like key for the scenario's region lists.
* Coordinates are rounded to 0.01 degrees (~1 km, far below a pixel at any zoom the game uses),
  and the repeated points this creates are dropped: that keeps the asset near 200 KB.
* No ring may cross the antimeridian or wrap a pole: a ring whose consecutive longitudes jump by
  more than 180 degrees is unwrapped and cut at +-180 degrees, and a ring spanning more than 180
  degrees (Antarctica wraps the South Pole) is cut at 0 degrees. Otherwise a renderer that joins
  points in the plane draws such rings as streaks across the whole map.
* Exterior rings are written counter-clockwise and holes clockwise (RFC 7946).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import shapefile  # pyshp

GEOPANDAS_VERSION = "0.14.4"
# sha256 of geopandas-0.14.4-py3-none-any.whl on PyPI, so the output is reproducible.
WHEEL_SHA256 = "3bb6473cb59d51e1a7fe2dbc24a1a063fb0ebdeddf3ce08ddbf8c7ddc99689aa"
SHAPEFILE_DIR = "geopandas/datasets/naturalearth_lowres/"
SHAPEFILE_STEM = "naturalearth_lowres"

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "sovereign" / "assets" / "world.geojson"

DECIMALS = 2

# Last-resort codes for rows whose iso_a3 is "-99" and that carry no better field. Kosovo has no
# ISO 3166 code; "XKX" is the user-assigned code used by the EU, IMF and World Bank. The others
# are Natural Earth's own ADM0_A3 codes, kept for older releases where these rows were "-99".
ISO3_BY_NAME = {
    "France": "FRA",
    "Norway": "NOR",
    "Kosovo": "XKX",
    "N. Cyprus": "CYN",
    "Somaliland": "SOL",
}

Ring = list[tuple[float, float]]


def download_wheel(dest: Path) -> Path:
    """Fetch the geopandas wheel through pip (the package registry is the only network we use)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            f"geopandas=={GEOPANDAS_VERSION}",
            "-d",
            str(dest),
        ],
        check=True,
    )
    wheels = sorted(dest.glob(f"geopandas-{GEOPANDAS_VERSION}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip did not produce a geopandas {GEOPANDAS_VERSION} wheel in {dest}")
    return wheels[0]


def extract_shapefile(wheel: Path, dest: Path) -> Path:
    """Unzip the shapefile parts from the wheel and return the path stem pyshp opens."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        print(f"warning: {wheel.name} sha256 {digest} differs from the pinned one", file=sys.stderr)
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith(SHAPEFILE_DIR)]
        if not members:
            raise SystemExit(f"{wheel} has no {SHAPEFILE_DIR}")
        for name in members:
            target = dest / Path(name).name
            target.write_bytes(zf.read(name))
    return dest / SHAPEFILE_STEM


def resolve_iso3(record: dict[str, Any]) -> str:
    """Return a usable ISO-3 code for a record, falling back when iso_a3 is "-99"."""
    for field in ("iso_a3", "ISO_A3", "ISO_A3_EH", "iso_a3_eh", "ADM0_A3", "adm0_a3"):
        code = str(record.get(field, "") or "").strip()
        if code and code != "-99":
            return code.upper()
    name = str(record.get("name") or record.get("NAME") or "")
    if name in ISO3_BY_NAME:
        return ISO3_BY_NAME[name]
    raise SystemExit(f"no ISO-3 code for {name!r}; add it to ISO3_BY_NAME")


def _is_pole_edge(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """An edge running along a pole (lat +-90) is a legitimate 360-degree jump, not a crossing."""
    return abs(a[1]) >= 90.0 - 1e-9 and abs(b[1]) >= 90.0 - 1e-9


def clip_half_plane(ring: Ring, x0: float, keep_left: bool) -> Ring:
    """Sutherland-Hodgman clip of a closed ring against the vertical line lon = x0.

    Works for concave rings too: where a shape leaves and re-enters the half-plane the pieces stay
    joined by edges lying on the cut line, which fill to nothing and sit on the cut.
    """

    def inside(p: tuple[float, float]) -> bool:
        return p[0] <= x0 if keep_left else p[0] >= x0

    out: Ring = []
    pts = ring[:-1] if ring[0] == ring[-1] else ring
    n = len(pts)
    for i in range(n):
        cur, nxt = pts[i], pts[(i + 1) % n]
        if inside(cur):
            out.append(cur)
        if inside(cur) != inside(nxt):
            t = (x0 - cur[0]) / (nxt[0] - cur[0])
            out.append((x0, cur[1] + t * (nxt[1] - cur[1])))
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def split_ring(ring: Ring) -> list[Ring]:
    """Cut a ring so that no piece crosses the antimeridian or spans more than 180 degrees."""
    jumps = [
        i
        for i in range(len(ring) - 1)
        if abs(ring[i + 1][0] - ring[i][0]) > 180.0 and not _is_pole_edge(ring[i], ring[i + 1])
    ]
    if jumps:
        # Unwrap longitudes so the ring is continuous, then cut it into 360-degree-wide windows
        # centred on the map and shift each piece back into [-180, 180].
        unwrapped: Ring = [ring[0]]
        for lon, lat in ring[1:]:
            prev = unwrapped[-1][0]
            while lon - prev > 180.0:
                lon -= 360.0
            while lon - prev < -180.0:
                lon += 360.0
            unwrapped.append((lon, lat))
        if abs(unwrapped[-1][0] - unwrapped[0][0]) > 1e-6:
            raise SystemExit("a ring crossing the antimeridian also wraps a pole; not supported")
        lo = min(p[0] for p in unwrapped)
        hi = max(p[0] for p in unwrapped)
        pieces: list[Ring] = []
        k = int((lo + 180.0) // 360.0)
        while k * 360.0 - 180.0 < hi:
            left, right = k * 360.0 - 180.0, k * 360.0 + 180.0
            piece = clip_half_plane(clip_half_plane(unwrapped, left, False), right, True)
            if len(piece) >= 4:
                pieces.append([(lon - k * 360.0, lat) for lon, lat in piece])
            k += 1
        return [p for piece in pieces for p in split_ring(piece)]
    lons = [p[0] for p in ring]
    if max(lons) - min(lons) > 180.0:
        # A polar ring (Antarctica) is planar in lon/lat already; halve it so each piece is
        # at most 180 degrees wide and nothing downstream mistakes it for a crossing.
        halves = [clip_half_plane(ring, 0.0, True), clip_half_plane(ring, 0.0, False)]
        return [h for h in halves if len(h) >= 4]
    return [ring]


def round_ring(ring: Ring) -> Ring:
    """Round to DECIMALS and drop the consecutive duplicates that rounding creates."""
    out: Ring = []
    for lon, lat in ring:
        p = (round(lon, DECIMALS) + 0.0, round(lat, DECIMALS) + 0.0)  # + 0.0 turns -0.0 into 0.0
        if not out or p != out[-1]:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def signed_area(ring: Ring) -> float:
    """Shoelace area in square degrees; positive when counter-clockwise."""
    return 0.5 * sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))


def orient(ring: Ring, ccw: bool) -> Ring:
    """Return the ring wound counter-clockwise (ccw=True) or clockwise, as RFC 7946 asks."""
    return ring if (signed_area(ring) > 0) == ccw else ring[::-1]


def clean_polygon(polygon: list[Ring]) -> list[list[Ring]]:
    """Split, round and orient one polygon (exterior + holes); may yield several polygons.

    Holes are kept only when their exterior did not need cutting: the one hole in the 1:110m
    data (Lesotho inside South Africa) is nowhere near the antimeridian, and a cut exterior
    would need the hole cut and reassigned too, which this data never requires.
    """
    exterior, holes = polygon[0], polygon[1:]
    pieces = split_ring(exterior)
    out: list[list[Ring]] = []
    for piece in pieces:
        ext = round_ring(piece)
        if len(ext) < 4 or abs(signed_area(ext)) < 1e-9:
            continue
        rings = [orient(ext, ccw=True)]
        if len(pieces) == 1:
            for hole in holes:
                h = round_ring(hole)
                if len(h) >= 4:
                    rings.append(orient(h, ccw=False))
        out.append(rings)
    return out


def build_features(shp_stem: Path) -> list[dict[str, Any]]:
    """Read the shapefile and return cleaned GeoJSON features sorted by ISO-3 code."""
    reader = shapefile.Reader(str(shp_stem))  # the .cpg names the encoding
    features: list[dict[str, Any]] = []
    seen: set[str] = set()
    for shape_rec in reader.iterShapeRecords():
        record = shape_rec.record.as_dict()
        iso3 = resolve_iso3(record)
        if iso3 in seen:
            raise SystemExit(f"duplicate ISO-3 code {iso3}")
        seen.add(iso3)
        geo = shape_rec.shape.__geo_interface__
        polygons = geo["coordinates"] if geo["type"] == "MultiPolygon" else [geo["coordinates"]]
        cleaned: list[list[Ring]] = []
        for polygon in polygons:
            rings = [[(float(x), float(y)) for x, y in ring] for ring in polygon]
            cleaned.extend(clean_polygon(rings))
        if not cleaned:
            raise SystemExit(f"{iso3} has no polygon left after cleaning")
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "iso3": iso3,
                    "name": str(record["name"]),
                    "continent": str(record["continent"]),
                },
                "geometry": {"type": "MultiPolygon", "coordinates": cleaned},
            }
        )
    features.sort(key=lambda f: f["properties"]["iso3"])
    return features


def _compact_number(value: float) -> float | int:
    """Write 12.0 as 12: whole-degree coordinates are common at the cuts and save bytes."""
    return int(value) if value == int(value) else value


def write_geojson(features: list[dict[str, Any]], out: Path) -> None:
    """Write one feature per line: compact, yet a diff still shows which country changed."""
    lines = []
    for feature in features:
        geometry = feature["geometry"]
        geometry["coordinates"] = [
            [[[_compact_number(v) for v in pt] for pt in ring] for ring in polygon]
            for polygon in geometry["coordinates"]
        ]
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    header = (
        '{"type":"FeatureCollection","source":"Natural Earth 1:110m admin-0 countries '
        f'(public domain) via geopandas {GEOPANDAS_VERSION}; tools/make_map.py",\n"features":[\n'
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Download (or reuse) the wheel, clean the shapefile and write the asset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this geopandas wheel instead of pip")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output GeoJSON path")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        wheel = args.wheel or download_wheel(tmp_path)
        features = build_features(extract_shapefile(wheel, tmp_path))
    write_geojson(features, args.out)
    points = sum(len(ring) for f in features for poly in f["geometry"]["coordinates"] for ring in poly)
    size_kb = args.out.stat().st_size / 1024
    print(f"wrote {args.out}: {len(features)} countries, {points} points, {size_kb:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
