"""Hourly air-quality sensor readings over a year — ``qualite_air_capteurs.csv`` (the biggest).

``,``-separated, UTF-8. Ten low-cost sensors from two vendors; headers as the vendor portal
exports them: "Sensor ID", "Commune", "Timestamp", "PM10 (µg/m³)", "PM2.5 (µg/m³)",
"NO2 (µg/m³)". Full scale: 10 sensors x 8,760 hours of 2025 (~88k rows); small: 2 weeks.

Values follow a plausible model: NO2 peaks at rush hours and in winter, PM10/PM2.5 follow
shared multi-day weather episodes, each sensor has its own site level.

Deliberate mess:
- timestamps in two formats by vendor: ISO "2025-03-01T14:00:00" (7 sensors) and
  "01/03/2025 14:00" (3 sensors), local time;
- gaps: 1 to 3 outages per sensor (6 to 72 consecutive hours missing), plus 1 % empty cells;
- 0.3 % negative glitches per pollutant ("-999" or small negatives like "-1.7");
- 1 % of rows duplicated (same sensor and timestamp, identical values);
- rows sorted by time, sensors interleaved.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .common import exact_mask, rng_for
from .territory import Territory
from .writers import write_csv

FILE = "qualite_air_capteurs.csv"
START = datetime(2025, 1, 1)
SENSOR_COMMUNES = ["99101", "99101", "99101", "99102", "99102", "99103", "99104", "99107",
                   "99112", "99120"]
VENDOR_B = {2, 5, 8}  # sensors whose portal writes dd/mm/yyyy HH:MM
POLLUTANTS = ["PM10 (µg/m³)", "PM2.5 (µg/m³)", "NO2 (µg/m³)"]


def _weather(rng: np.random.Generator, hours: int) -> np.ndarray:
    """Shared multi-day pollution episodes: a smoothed random walk, one value per hour."""
    days = hours // 24 + 2
    walk = np.convolve(rng.normal(0, 0.35, size=days + 4), np.ones(5) / 5, mode="valid")[:days]
    return np.exp(np.repeat(walk, 24)[:hours])


def _series(rng: np.random.Generator, hours: int, weather: np.ndarray, urban: bool):
    t = np.arange(hours)
    hour = t % 24
    day = t / 24 + (START.timetuple().tm_yday - 1)
    winter = 1 + 0.35 * np.cos(2 * np.pi * (day - 15) / 365)
    rush = np.exp(-((hour - 8) ** 2) / 4) + 0.8 * np.exp(-((hour - 18) ** 2) / 5)
    site = rng.uniform(0.8, 1.3) * (1.4 if urban else 1.0)
    noise = lambda s: rng.lognormal(0, s, size=hours)  # noqa: E731
    no2 = 14 * site * winter * (0.6 + 1.1 * rush) * noise(0.25)
    pm10 = 16 * site * winter * weather * noise(0.2)
    pm25 = pm10 * rng.uniform(0.55, 0.7) * noise(0.1)
    return np.round(pm10, 1), np.round(pm25, 1), np.round(no2, 1)


def _outages(rng: np.random.Generator, hours: int) -> np.ndarray:
    keep = np.ones(hours, dtype=bool)
    for _ in range(int(rng.integers(1, 4))):
        length = int(rng.integers(6, 73))
        start = int(rng.integers(0, max(1, hours - length)))
        keep[start:start + length] = False
    return keep


def _sensor_frame(rng, index: int, hours: int, weather: np.ndarray) -> pd.DataFrame:
    moments = pd.date_range(START, periods=hours, freq="h")
    fmt = "%d/%m/%Y %H:%M" if index in VENDOR_B else "%Y-%m-%dT%H:%M:%S"
    values = _series(rng, hours, weather, SENSOR_COMMUNES[index] == "99101")
    frame = pd.DataFrame({
        "Sensor ID": f"VDL-AQ-{index + 1:02d}",
        "Commune": SENSOR_COMMUNES[index],
        "Timestamp": moments.strftime(fmt),
        "_order": np.arange(hours) * 100 + index,
    })
    for column, series in zip(POLLUTANTS, values):
        frame[column] = series
    return frame[_outages(rng, hours)]


def _mess_values(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    for column in POLLUTANTS:
        text = frame[column].map("{:.1f}".format).to_numpy(dtype=object)
        glitch = exact_mask(rng, n, 0.003)
        text[glitch] = np.where(rng.random(glitch.sum()) < 0.5, "-999",
                                np.char.mod("-%.1f", rng.uniform(0.1, 3, glitch.sum())))
        text[exact_mask(rng, n, 0.01)] = ""
        frame[column] = text
    duplicated = frame.iloc[np.flatnonzero(exact_mask(rng, n, 0.01))]
    frame = pd.concat([frame, duplicated]).sort_values("_order", kind="stable")
    return frame.drop(columns="_order")


def write(out_dir: Path, territory: Territory, seed: int, scale) -> list[Path]:
    rng = rng_for(seed, "air_quality")
    hours = scale.air_quality_hours
    weather = _weather(rng, hours)
    frames = [_sensor_frame(rng, i, hours, weather) for i in range(len(SENSOR_COMMUNES))]
    frame = _mess_values(rng, pd.concat(frames, ignore_index=True))
    return [write_csv(frame, out_dir / FILE, sep=",", encoding="utf-8")]
