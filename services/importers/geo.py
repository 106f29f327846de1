"""Coordinates: ETRS89 / UTM zone 32N (EPSG:25832, NRW's school data) to WGS84 latitude/longitude.

pyproj (PROJ) does the exact inverse transverse Mercator; see docs/import.md for why.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyproj loads PROJ (~25 ms): only when a file with coordinates is read
    from pyproj import Transformer

UTM32 = "EPSG:25832"
# Plausible UTM 32N values for Germany (and a margin): outside these a value is a typo, not a school.
EASTING_RANGE = (166_000.0, 834_000.0)
NORTHING_RANGE = (5_200_000.0, 6_200_000.0)


@cache
def _utm32_to_wgs84() -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(UTM32, "EPSG:4326", always_xy=True)


def utm32_to_wgs84(eastings: Sequence[float], northings: Sequence[float]) -> list[tuple[float, float]]:
    """(latitude, longitude) in degrees, rounded to 6 decimals (about 0.1 m), for each pair."""
    if not eastings:
        return []
    lons, lats = _utm32_to_wgs84().transform(list(eastings), list(northings))
    return [(round(float(lat), 6), round(float(lon), 6)) for lat, lon in zip(lats, lons, strict=True)]
