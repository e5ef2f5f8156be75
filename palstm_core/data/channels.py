"""The one vocabulary of channel names: what a column is, judged from its name.

Each kind of channel (speed, an exhaust gas, an engine channel that drives the exhaust ...) is
defined once in ``KINDS``. ``suggest_groups`` uses the families they make up (``GROUPS``: engine,
motion, thermal, exhaust; first match wins, on the lower-cased name). ``merge_drives`` and
``clean`` use the kinds themselves: a speed channel in both logs to line up the clocks, the gases
that carry the analyzer delay, an exhaust flow when no gas is logged, the engine drivers.
"""
from __future__ import annotations

import re

# Every kind of channel once: kind -> (sensor family, pattern on the column name).
KINDS: dict[str, tuple[str, str]] = {
    "engine driver": ("engine", r"fuel|maf|air.?flow|mass.?air|load|throttle|pedal|rpm|"
                                r"engine.?speed"),
    "engine": ("engine", r"engine|lambda|afr|boost|manifold|map\b|torque|egr|injection"),
    "speed": ("motion", r"(gps.?)?(vehicle.?)?(speed|velocity|vss)(.?gps)?"),
    "motion": ("motion", r"accel|gps|lat|lon|altitude|elevation|grade|slope|odometer|distance|"
                         r"heading|gear"),
    "thermal": ("thermal", r"temp|coolant|humid|pressure|baro|ambient|weather"),
    "CO2": ("exhaust", r"co2"),
    "NOx": ("exhaust", r"no_?x|^no2?$"),
    "CO": ("exhaust", r"^co([_ ].*)?$"),
    "THC": ("exhaust", r"thc|^hc([_ ].*)?$"),
    "exhaust flow": ("exhaust", r"exh.*flow|flow.*exh|exhaust.?mass|^flow"),
    "exhaust": ("exhaust", r"\bno\b|\bco\b|\bhc\b|o2|ch4|pn\b|pm\b|particle|exhaust|nh3|soot|"
                           r"emission"),
}

# Sensor family -> one pattern (its kinds together), in the order suggest_groups lists them.
def _families() -> dict[str, str]:
    patterns: dict[str, list[str]] = {}
    for family, pattern in KINDS.values():
        patterns.setdefault(family, []).append(pattern)
    return {family: "|".join(p) for family, p in patterns.items()}


GROUPS = _families()


def _kind(name: str) -> re.Pattern:
    return re.compile(KINDS[name][1], re.I)


SPEED = _kind("speed")
GASES = tuple((gas, _kind(gas)) for gas in ("CO2", "NOx", "CO", "THC"))
EXHAUST_FLOW = _kind("exhaust flow")
ENGINE_DRIVER = _kind("engine driver")


def group_of(column: str) -> str | None:
    """The sensor family of ``column`` (a key of ``GROUPS``), or None for an unknown name."""
    low = column.lower()
    for group, pattern in GROUPS.items():
        if re.search(pattern, low):
            return group
    return None


def gas_channels(columns: list[str]) -> list[str]:
    """Analyzer channels (gases) that carry the analyzer delay; GPS, weather, flow do not."""
    return [c for c in columns if any(rx.search(c) for _, rx in GASES)]


def gases_by_species(columns: list[str]) -> list[str]:
    """The gas channels in species order (CO2, NOx, CO, THC), each once."""
    return list(dict.fromkeys(c for _, rx in GASES for c in columns if rx.search(c)))


def exhaust_flows(columns: list[str]) -> list[str]:
    return [c for c in columns if EXHAUST_FLOW.search(c)]


def engine_drivers(columns: list[str]) -> list[str]:
    """Engine channels that drive the exhaust (fuel rate, MAF, load, throttle, rpm ...)."""
    return [c for c in columns if ENGINE_DRIVER.search(c)]


def speed_channel(columns: list[str], *, vehicle: bool = False) -> str | None:
    """The first speed channel; ``vehicle=True`` skips engine speed (an OBD 'engine_speed')."""
    return next((c for c in columns if SPEED.search(c)
                 and not (vehicle and "engine" in c.lower())), None)
