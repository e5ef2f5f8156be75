"""Simulated 1 Hz drives of a Euro-5 diesel passenger car with OBD and PEMS channels.

The shipped files in ``sample_data/`` are made by this module; they are **simulated, not measured**.
Everything is deterministic for a given seed:

    python -m palstm_core.simulate            # rewrites sample_data/*.csv

Model, in the order it is computed (SI units inside, the CSV has the units in its headers):

1. Speed trace: a sequence of phases (urban stop-and-go micro-trips, rural, motorway) shaped like
   the WLTC/RDE phases: accelerations of 0.5-1.6 m/s², cruise with small speed fluctuations,
   decelerations to standstill, idling 5-40 s.
2. Road-load physics: P_wheel = v·(m·a·(1+ε) + m·g·(C_r + grade)) + ½·ρ·C_dA·v³,
   vehicle specific power VSP = P_wheel / m.
3. Gearbox with six gears chosen by speed (with hysteresis); engine speed from the gear ratio,
   idle at 800 rpm; engine load = P_engine / P_max(rpm).
4. OBD channels: throttle (driver demand, leads load), MAF (displacement × boost), fuel rate from a
   BSFC map (fuel cut on overrun), lambda = AFR / 14.5, coolant warm-up from ambient
   (thermostat at 88 °C), intake temperature after the intercooler.
5. Engine-out emissions: CO2 = 3.16 · fuel; NOx emission index rising with load^1.6, transient
   spikes when load rises faster than the EGR valve follows, +50 % while the engine is cold;
   CO and THC high during cold start and at rich transients.
6. PEMS artefacts: the analyzers see the exhaust after a transport delay (4 s for gases, 1 s for
   the flow meter) and a first-order response (τ = 1.5 s), plus 2-3 % noise, a slow zero drift and a
   few spikes during warm-up (condensate in the sample line) — the things ``clean`` and ``merge_drives`` exist for.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data.dataset import SAMPLE_DIR, Dataset
from .data.load import SAMPLES
from .grouping import SensorGrouping


# Phase plans (name, minutes). Urban ends in town so its held-out last 15 % is urban driving.
DRIVES = {
    "urban": [("urban", 25), ("rural", 10), ("motorway", 8), ("urban", 17)],
    "motorway": [("urban", 8), ("rural", 10), ("motorway", 35), ("rural", 7)],
}
SEEDS = {"urban": 1, "motorway": 2}
PEMS_DELAY_S = 4      # analyzer transport delay of the gas channels
FLOW_DELAY_S = 1      # exhaust flow meter delay

# Column name -> unit, in file order. OBD first, then PEMS.
OBD_COLUMNS = {
    "speed": "km/h", "accel": "m/s2", "rpm": "1/min", "load": "%", "throttle": "%",
    "MAF": "g/s", "fuel_rate": "g/s", "lambda": "-", "coolant_temp": "degC", "intake_temp": "degC",
}
PEMS_COLUMNS = {
    "NOx": "mg/s", "CO2": "g/s", "CO": "mg/s", "THC": "mg/s", "exhaust_flow": "kg/h",
    "gps_speed": "km/h", "altitude": "m", "ambient_temp": "degC", "ambient_pressure": "kPa",
    "humidity": "%",
}

MASS = 1550.0          # kg
CDA = 0.68             # m², drag area
CR = 0.011             # rolling resistance
RHO = 1.2              # kg/m³
G = 9.81
GEAR_RPM_PER_KMH = np.array([125.0, 72.0, 48.0, 36.0, 29.0, 24.0])
GEAR_UP_KMH = np.array([17.0, 32.0, 50.0, 68.0, 88.0])          # shift up above these speeds


@dataclass(frozen=True)
class Car:
    """The simulated vehicle: engine displacement (l) scales the rated power (50 kW per litre),
    the air flow and the idle fuel; the mass (kg) the road load. A bigger engine runs at a lower
    relative load for the same power, where the fuel map is less efficient. The default is the
    car of the shipped samples."""

    name: str = "family"
    displacement_l: float = 2.0
    mass_kg: float = MASS
    fuel: str = "diesel"


def _phase_speed(kind: str, seconds: int, rng: np.random.Generator, v: float) -> np.ndarray:
    """Target speed (km/h) for one phase built from micro-trips, starting at speed ``v``."""
    out: list[float] = []
    while len(out) < seconds:
        if kind == "urban":
            idle, vmax, cruise = rng.integers(5, 40), rng.uniform(20, 55), rng.integers(5, 35)
        elif kind == "rural":
            idle, vmax, cruise = rng.integers(0, 6), rng.uniform(55, 95), rng.integers(40, 120)
        else:
            idle, vmax, cruise = 0, rng.uniform(100, 132), rng.integers(90, 240)
        if kind != "urban" and v > 5:        # rural/motorway: change speed without stopping
            idle = 0
        out += [v] * int(idle) if v < 1 else []
        acc = rng.uniform(0.5, 1.6) * 3.6 * (0.6 if kind == "motorway" else 1.0)
        while v < vmax and len(out) < seconds:
            v = min(vmax, v + acc * rng.uniform(0.7, 1.1))
            out.append(v)
        while v > vmax + 1 and len(out) < seconds:    # slowing into a slower phase
            v = max(vmax, v - 0.8 * 3.6)
            out.append(v)
        wobble = rng.uniform(1.0, 4.0)
        for k in range(int(cruise)):
            out.append(max(0.0, v + wobble * np.sin(k / rng.uniform(6, 15)) + rng.normal(0, 0.4)))
        if kind == "urban" or rng.random() < 0.25:
            target = 0.0 if kind == "urban" else rng.uniform(0.4, 0.75) * v
            dec = rng.uniform(0.6, 1.3) * 3.6
            while v > target and len(out) < seconds:
                v = max(target, v - dec * rng.uniform(0.8, 1.1))
                out.append(v)
    return np.asarray(out[:seconds])


def _smooth(x: np.ndarray, tau: float) -> np.ndarray:
    """First-order lag with time constant tau (s) at 1 Hz."""
    if tau <= 0:
        return x.copy()
    a = 1.0 / (1.0 + tau)
    y = np.empty_like(x)
    acc = x[0]
    for i, xi in enumerate(x):
        acc += a * (xi - acc)
        y[i] = acc
    return y


def _slow_noise(n: int, rng: np.random.Generator, scale: float, tau: float) -> np.ndarray:
    z = _smooth(rng.normal(0, 1, n), tau)
    return scale * z / (z.std() + 1e-12)


def _delay(x: np.ndarray, seconds: int) -> np.ndarray:
    return np.concatenate([np.full(seconds, x[0]), x[:-seconds]]) if seconds > 0 else x


def _speed_trace(plan: list[tuple[str, int]], rng: np.random.Generator) -> np.ndarray:
    """Speed (km/h) of one drive: its phases (kind, minutes) one after another, ending parked."""
    phases, v0 = [], 0.0
    for phase, minutes in plan:
        phases.append(_phase_speed(phase, minutes * 60, rng, v0))
        v0 = float(phases[-1][-1])
    if v0 > 0:                                         # every drive ends parked
        phases.append(np.maximum(v0 - 3.6 * np.arange(1, int(v0 / 3.6) + 2), 0.0))
    return np.clip(_smooth(np.concatenate(phases), 1.0), 0, None)


def _road(v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random hills over distance (knots every 250 m, about ±30 m): altitude and grade."""
    distance = np.cumsum(v)
    knots = np.arange(0, distance[-1] + 500, 250.0)
    profile = 180.0 + _slow_noise(knots.size, rng, 20.0, 3.0)
    altitude = np.interp(distance, knots, profile)
    grade = np.clip(np.interp(distance, knots[:-1] + 125, np.diff(profile) / 250.0), -0.08, 0.08)
    return altitude, grade


def _gears(speed: np.ndarray, a: np.ndarray) -> np.ndarray:
    gear = np.zeros(speed.size, dtype=int)
    for i in range(1, speed.size):
        g = gear[i - 1]
        if g < 5 and speed[i] > GEAR_UP_KMH[g] + (3 if a[i] < 0 else 0):
            g += 1
        elif g > 0 and speed[i] < GEAR_UP_KMH[g - 1] - 6:
            g -= 1
        gear[i] = g
    return gear


def _engine(speed, v, a, grade, rng, car: Car = Car()) -> dict[str, np.ndarray]:
    """Road load and the engine's operating point (OBD channels, true and undelayed)."""
    n, mass, litres = speed.size, car.mass_kg, car.displacement_l
    p_wheel = (v * (mass * a * 1.08 + mass * G * (CR + grade)) + 0.5 * RHO * CDA * v**3) / 1000
    gear = _gears(speed, a)
    rpm = np.maximum(800.0, speed * GEAR_RPM_PER_KMH[gear]) + rng.normal(0, 8, n)
    rpm = np.where(speed < 2, 800 + rng.normal(0, 6, n), rpm)
    p_max = 50.0 * litres * np.clip(np.sin(np.pi * (rpm - 600) / 5000), 0.15, 1.0)   # kW at this rpm
    p_engine = np.clip(p_wheel / 0.9, 0, None) + 1.5                        # + accessories
    load = np.clip(100 * p_engine / p_max, 0, 100)
    overrun = (p_wheel < -0.5) & (rpm > 1100)
    load = np.where(overrun, 0.0, load)
    throttle = np.clip(_delay(0.9 * load, 0) + 3 + rng.normal(0, 1.0, n), 0, 100)
    throttle = np.concatenate([throttle[1:], throttle[-1:]])   # the pedal leads the load by 1 s
    bsfc = 205 + 320 * np.exp(-load / 12.0) + 8e-6 * (rpm - 2000) ** 2       # g/kWh
    fuel = np.where(overrun, 0.0, np.maximum(p_engine * bsfc / 3600, 0.06 * litres))
    maf = rpm / 120 * litres * 1.2 * (0.85 + 1.4 * load / 100)               # g/s, boost
    maf = maf * (1 + rng.normal(0, 0.015, n))
    lam = np.clip(maf / np.maximum(fuel, 1e-3) / 14.5, 1.05, 8.0)
    return dict(rpm=rpm, load=load, throttle=throttle, fuel=fuel, maf=maf, lam=lam,
                p_engine=p_engine, overrun=overrun)


def _thermal(n, p_engine, load, altitude, rng) -> dict[str, np.ndarray]:
    """Ambient, coolant warm-up, intake temperature, pressure and humidity."""
    ambient = 14.0 + _slow_noise(n, rng, 0.6, 600.0)
    coolant = np.empty(n)
    coolant[0] = ambient[0]
    for i in range(1, n):
        c = coolant[i - 1]
        cooling = 0.001 * (c - ambient[i]) + (0.06 * (c - 88) if c > 88 else 0.0)
        coolant[i] = c + 0.08 * (0.4 + p_engine[i] / 8) * (c < 95) - cooling
    intake = ambient + 6 + _smooth(0.18 * load, 20.0)
    pressure = 101.3 - (altitude - 180.0) / 84.0 + _slow_noise(n, rng, 0.05, 900.0)
    humidity = np.clip(62 + _slow_noise(n, rng, 4.0, 900.0), 20, 100)
    return dict(ambient=ambient, coolant=coolant, intake=intake, pressure=pressure,
                humidity=humidity)


def _engine_out(e: dict, th: dict) -> dict[str, np.ndarray]:
    """Engine-out emissions (true, undelayed): NOx mg/s, CO2 g/s, CO, THC, exhaust flow kg/h."""
    fuel, load, rpm, lam = e["fuel"], e["load"], e["rpm"], e["lam"]
    cold = np.clip((70 - th["coolant"]) / 55, 0, 1)
    dload = np.clip(np.gradient(_smooth(load, 1.0)), 0, None)
    egr_lag = _smooth(dload, 3.0)                     # EGR cannot follow fast load steps
    ei_nox = (6 + 24 * (load / 100) ** 1.6 + 2.2 * egr_lag) * (1 + 0.5 * cold) \
        * (1 + 0.002 * (rpm - 2000) / 10) * (1 - 0.004 * (th["humidity"] - 60))
    overrun_start = np.clip(np.diff(e["overrun"].astype(float), prepend=0), 0, None)
    return {
        "NOx": fuel * np.clip(ei_nox, 2, None),
        "CO2": 3.16 * fuel,
        "CO": fuel * (3 + 45 * cold + 25 * np.clip(1.6 - lam, 0, None) + 1.5 * egr_lag),
        "THC": fuel * (0.6 + 12 * cold) + 3 * overrun_start * cold,
        "exhaust_flow": (e["maf"] + fuel) * 3.6,
    }


# delay (s), relative noise, drift, number of spikes of each PEMS channel
ANALYZERS = {"NOx": (PEMS_DELAY_S, 0.03, 0.03, 4), "CO2": (PEMS_DELAY_S, 0.02, 0.01, 2),
             "CO": (PEMS_DELAY_S, 0.04, 0.03, 3), "THC": (PEMS_DELAY_S, 0.05, 0.04, 3),
             "exhaust_flow": (FLOW_DELAY_S, 0.02, 0.0, 1)}


def _analyzer(x, delay, noise, drift, spikes, cold_rows, rng) -> tuple[np.ndarray, list[int]]:
    """What a PEMS analyzer logs: delayed, smoothed, noisy, drifting, with spikes."""
    n = x.size
    y = _smooth(_delay(x, delay), 1.5)
    y = y * (1 + rng.normal(0, noise, n)) + drift * np.mean(x) * np.linspace(0, 1, n)
    y = y + drift * np.mean(x) * 0.5 * np.sin(np.linspace(0, 3 * np.pi, n) + rng.uniform(0, 6))
    rows: list[int] = []
    for i in rng.choice(cold_rows, spikes, replace=False):
        length = rng.integers(1, 3)             # same draws, same order as y[i:i+k] *= f
        y[i:i + length] *= rng.uniform(4, 9)
        rows += range(int(i), int(i) + int(length))
    return np.clip(y, 0, None), sorted(rows)


def simulate_drive(kind: str = "urban", seed: int | None = None,
                   phases: list[tuple[str, int]] | None = None,
                   car: Car = Car()) -> pd.DataFrame:
    """Return one simulated drive as a DataFrame: ``time`` (s) then OBD then PEMS channels.

    The columns are the true (undelayed) OBD signals and the PEMS signals as an analyzer would
    log them (delayed, smoothed, noisy, drifting, with spikes). ``kind`` is a key of ``DRIVES``;
    or give ``phases`` [(phase kind "urban"/"rural"/"motorway", minutes), ...] and a ``seed``.
    ``car`` is the vehicle (default: the samples' 2.0 l, 1550 kg car).
    """
    if phases is None and kind not in DRIVES:
        raise ValueError(f"unknown drive {kind!r}; choose one of {sorted(DRIVES)}")
    plan = DRIVES[kind] if phases is None else phases
    rng = np.random.default_rng(SEEDS.get(kind, 0) if seed is None else seed)
    speed = _speed_trace(plan, rng)
    n, v = speed.size, speed / 3.6
    a = np.gradient(v)
    altitude, grade = _road(v, rng)
    e = _engine(speed, v, a, grade, rng, car)
    th = _thermal(n, e["p_engine"], e["load"], altitude, rng)
    # Spikes come while the engine is cold: condensate in the sample line upsets the analyzers.
    cold_rows = np.flatnonzero(th["coolant"][:-3] < 60)
    pems, spikes = {}, {}
    for name, x in _engine_out(e, th).items():
        pems[name], spikes[name] = _analyzer(x, *ANALYZERS[name], cold_rows, rng)
    frame = pd.DataFrame({
        "time": np.arange(n, dtype=float),
        "speed": speed, "accel": a, "rpm": e["rpm"], "load": e["load"],
        "throttle": e["throttle"], "MAF": e["maf"], "fuel_rate": e["fuel"], "lambda": e["lam"],
        "coolant_temp": th["coolant"], "intake_temp": th["intake"],
        **pems,
        "gps_speed": np.clip(speed + rng.normal(0, 0.4, n), 0, None),
        "altitude": altitude + rng.normal(0, 1.5, n),
        "ambient_temp": th["ambient"] + rng.normal(0, 0.1, n),
        "ambient_pressure": th["pressure"],
        "humidity": th["humidity"],
    })
    # Ground truth for tests of ``clean`` (metadata only; the values are unchanged).
    frame.attrs["spikes"] = spikes
    return frame


def _with_units(frame: pd.DataFrame) -> pd.DataFrame:
    units = {"time": "s", **OBD_COLUMNS, **PEMS_COLUMNS}
    return frame.rename(columns={c: f"{c} [{units[c]}]" for c in frame.columns})


def write_samples(directory: Path | str = SAMPLE_DIR) -> list[Path]:
    """(Re)write the shipped sample CSVs, rounded to logger-like precision."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in SAMPLES:                  # the one list of sample names (``pc.SAMPLES``)
        path = directory / f"{kind}.csv"
        _with_units(simulate_drive(kind).round(3)).to_csv(path, index=False)
        paths.append(path)
    return paths


# The urban drive as two loggers would have written it (see ``write_split_samples``).
SPLIT_PEMS_START = "2024-05-14T09:12:00"   # PEMS clock: ISO date-times (UTC)
SPLIT_OBD_START_S = 12                     # the OBD logger started 12 s after the PEMS...
SPLIT_OBD_END_EARLY_S = 20                 # ...and stopped 20 s before it
# Known answer for merge_drives: OBD row 0 is PEMS time +12 s (clock offset), and the PEMS gas
# channels lag the OBD by PEMS_DELAY_S = 4 s (analyzer delay; exhaust flow 1 s), i.e. a gas
# reading is 12 + 4 = 16 s late on the OBD logger's own clock.


def split_drive(kind: str = "urban") -> tuple[pd.DataFrame, pd.DataFrame]:
    """One simulated drive as two logger files: (PEMS frame, OBD frame), each with its own clock.

    PEMS: ``time`` = ISO date-times from SPLIT_PEMS_START, 1 Hz, the PEMS columns (gas channels
    delayed by the analyzer). OBD: ``time`` = seconds since the OBD logger started, which was
    SPLIT_OBD_START_S after the PEMS; it stops SPLIT_OBD_END_EARLY_S earlier.
    """
    drive = simulate_drive(kind)
    n = len(drive)
    start = pd.Timestamp(SPLIT_PEMS_START)
    stamps = start + pd.to_timedelta(drive["time"], unit="s")
    pems = pd.DataFrame({"time": stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    for c in PEMS_COLUMNS:
        pems[c] = drive[c].to_numpy()
    obd_rows = drive.iloc[SPLIT_OBD_START_S:n - SPLIT_OBD_END_EARLY_S]
    obd = pd.DataFrame({"time": obd_rows["time"].to_numpy() - SPLIT_OBD_START_S})
    for c in OBD_COLUMNS:
        obd[c] = obd_rows[c].to_numpy()
    return pems, obd


def write_split_samples(directory: Path | str = SAMPLE_DIR, kind: str = "urban") -> list[Path]:
    """Write ``<kind>_pems.csv`` and ``<kind>_obd.csv`` (the drive split into its two loggers)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pems, obd = split_drive(kind)
    p_path, o_path = directory / f"{kind}_pems.csv", directory / f"{kind}_obd.csv"
    units_p = {"time": "UTC", **PEMS_COLUMNS}
    pems = pems.round(3).rename(columns={c: f"{c} [{units_p[c]}]" for c in pems.columns})
    with open(p_path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# PEMS export, SIMULATED by palstm_core.simulate ({kind} drive)\n")
        fh.write(f"# start {SPLIT_PEMS_START}Z, 1 Hz, gas analyzers not time-aligned\n")
        pems.to_csv(fh, index=False, lineterminator="\n")
    units_o = {"time": "s", **OBD_COLUMNS}
    obd = obd.round(3).rename(columns={c: f"{c} [{units_o[c]}]" for c in obd.columns})
    obd.to_csv(o_path, index=False, lineterminator="\n")
    return [p_path, o_path]


# The sample campaign: short drives of the same simulated car (one cold start each), different
# routes and seeds. Drive name -> (phases, seed). Written to sample_data/campaign/.
CAMPAIGN = {
    "trip01_urban": ([("urban", 12)], 101),
    "trip02_motorway": ([("urban", 2), ("motorway", 9), ("rural", 1)], 102),
    "trip03_rural": ([("urban", 2), ("rural", 9), ("urban", 1)], 103),
    "trip04_urban": ([("urban", 9), ("rural", 3)], 104),
    "trip05_motorway": ([("rural", 3), ("motorway", 8)], 105),
    "trip06_rural": ([("rural", 10), ("urban", 2)], 106),
}


def write_campaign(directory: Path | str = SAMPLE_DIR / "campaign") -> list[Path]:
    """(Re)write the sample campaign, one CSV per drive (same columns and rounding as
    ``write_samples``); ``palstm_core.load_sample_campaign()`` loads it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (phases, seed) in CAMPAIGN.items():
        path = directory / f"{name}.csv"
        frame = simulate_drive(name, seed=seed, phases=phases)
        _with_units(frame.round(3)).to_csv(path, index=False)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_samples() + write_split_samples() + write_campaign():
        print(f"wrote {p.relative_to(SAMPLE_DIR)}")


def _ar1(rng: np.random.Generator, n_rows: int, phi: float) -> np.ndarray:
    """A unit-variance AR(1) series z_i = φ z_{i-1} + ε_i of ``n_rows`` values (z_0 = 0)."""
    z = np.zeros(n_rows)
    eps = rng.normal(0, np.sqrt(1 - phi**2), n_rows)
    for i in range(1, n_rows):
        z[i] = phi * z[i - 1] + eps[i]
    return z


def planted_signal(n_rows: int = 3000, lag: int = 8, seed: int = 0):
    """Data with a known answer, for checking that attention points at the right thing.

    The target is a non-linear function of ONE feature ("engine_a" in group "engine") ``lag``
    steps earlier, plus a little noise:

        y_t = tanh(1.5 · a_{t-lag}) + 0.3 · a_{t-lag}² + 0.05 · ε_t

    Distractors: "engine_b", "engine_c" (in the true feature's group), "motion_a/b/c" and
    "thermal_a/b" in other groups; "motion_b" is strongly correlated with "motion_a" and
    "thermal_b" with "thermal_a", but none is related to the target. Every feature is a smooth
    AR(1) process. Returns (Dataset, SensorGrouping, info) with
    info = {"feature": "engine_a", "group": "engine", "lag": lag}.
    Use it with ``WindowSpec(lookback=L, horizon=0)``: the signal sits ``lag`` steps before the
    newest input, i.e. at column ``L - 1 - lag`` of the temporal attention.
    """
    rng = np.random.default_rng(seed)

    def ar1(phi: float = 0.8) -> np.ndarray:
        return _ar1(rng, n_rows, phi)

    cols = {"engine_a": ar1(), "engine_b": ar1(), "engine_c": ar1(0.95),
            "motion_a": ar1(), "thermal_a": ar1(0.95), "motion_c": ar1()}
    cols["motion_b"] = 0.9 * cols["motion_a"] + 0.3 * ar1()
    cols["thermal_b"] = 0.8 * cols["thermal_a"] + 0.4 * ar1()
    a = np.roll(cols["engine_a"], lag)
    y = np.tanh(1.5 * a) + 0.3 * a**2 + 0.05 * rng.normal(0, 1, n_rows)
    y[:lag] = np.nan                                   # no cause observed yet
    frame = pd.DataFrame({"time": np.arange(n_rows, dtype=float), **cols, "target": y})
    grouping = SensorGrouping({"engine": ["engine_a", "engine_b", "engine_c"],
                               "motion": ["motion_a", "motion_b", "motion_c"],
                               "thermal": ["thermal_a", "thermal_b"]})
    ds = Dataset(frame, "time", ["Planted-signal data made by palstm_core.simulate (simulated)."],
                 {c: "" for c in frame.columns}, name="planted signal", simulated=True)
    return ds, grouping, {"feature": "engine_a", "group": "engine", "lag": lag}


# planted sources for the "which sensor when" checks (issue 20): 11 sensors in 3 groups
SOURCE_GROUPS = {"engine": ["rpm", "load", "maf", "fuel"],
                 "motion": ["speed", "accel", "grade", "brake"],
                 "thermal": ["coolant", "intake", "ambient"]}
SOURCE_CASES = {
    # two sensors of two groups at two lags: a non-linear one 9 steps back, a linear one 3 back
    "two groups": [("maf", 9, "tanh"), ("accel", 3, "linear")],
    "three groups": [("maf", 9, "tanh"), ("accel", 3, "linear"), ("intake", 6, "linear")],
    # two sensors of ONE group at two lags
    "same group": [("maf", 9, "tanh"), ("load", 3, "linear")],
}


def planted_sources(case: str = "two groups", n_rows: int = 3000, seed: int = 0,
                    sources=None):
    """Data whose target depends on several sensors, each at its own lag (known answer for
    "which sensor when"). 11 AR(1) sensors (φ = 0.5) in the 3 groups of ``SOURCE_GROUPS``,
    independent of each other; ``sources`` (default ``SOURCE_CASES[case]``) lists
    (sensor, lag, kind), kind "tanh" adding 1.2·tanh(2·x_{t-lag}) and "linear" 0.8·x_{t-lag};
    noise 0.05·ε. Returns (Dataset, SensorGrouping, info) with info = {"sources": [(sensor,
    lag), ...]}; use with ``WindowSpec(lookback=L, horizon=0)``: sensor k's cause sits at
    column ``L - 1 - lag``."""
    rng = np.random.default_rng(seed)
    sources = list(sources or SOURCE_CASES[case])

    def ar1(phi: float = 0.5) -> np.ndarray:
        return _ar1(rng, n_rows, phi)

    cols = {c: ar1() for group in SOURCE_GROUPS.values() for c in group}
    y = 0.05 * rng.normal(0, 1, n_rows)
    for sensor, lag, kind in sources:
        x = np.roll(cols[sensor], lag)
        y = y + (1.2 * np.tanh(2 * x) if kind == "tanh" else 0.8 * x)
    y[:max(lag for _, lag, _ in sources)] = np.nan
    frame = pd.DataFrame({"time": np.arange(n_rows, dtype=float), **cols, "target": y})
    ds = Dataset(frame, "time", ["Planted-source data made by palstm_core.simulate (simulated)."],
                 {c: "" for c in frame.columns}, name=f"planted sources ({case})", simulated=True)
    return ds, SensorGrouping(SOURCE_GROUPS), {"sources": [(s, lag) for s, lag, _ in sources]}
