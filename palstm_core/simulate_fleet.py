"""A simulated fleet: several cars that differ in engine displacement and mass (and so in their
emission response: a heavier car needs more power for the same drive, a bigger engine runs at a
lower relative load where its fuel map is less efficient), each driving the same routes with
its own traffic. **Simulated, not measured**; deterministic for a given seed.

    camp = load_fleet()                    # Campaign: drive "<car>_<route>", vehicles table
    camp.vehicles                          # vehicle, engine displacement [l], mass [kg], fuel
    write_fleet("folder/")                 # the CSVs and vehicles.csv (load with load_drives)

Every car drives every route (a different seed per car and route). The model inputs a fleet
model is trained on here are the OBD channels a phone logger gives (speed, acceleration, rpm,
engine load), not the fuel rate or air flow (from which CO2 follows directly), so that a new
vehicle really is new to the model.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from .data import Campaign, load_drives
from .grouping import SensorGrouping
from .simulate import Car, _with_units, simulate_drive

FLEET = (Car("city", 1.0, 1100.0), Car("compact", 1.5, 1300.0), Car("family", 2.0, 1550.0),
         Car("suv", 2.5, 1900.0), Car("van", 3.0, 2300.0))
# route -> phases (kind, minutes); "long" is the drive a new vehicle is calibrated on
ROUTES = {
    "town": [("urban", 6), ("rural", 3), ("urban", 2)],
    "mixed": [("rural", 3), ("motorway", 5), ("urban", 3)],
    "long": [("urban", 7), ("rural", 5), ("motorway", 6), ("urban", 4)],
}
# what a fleet model is fed (see the module text); "vehicle" holds the vehicle covariates
GROUPS = {"engine": ["rpm", "load"], "motion": ["speed", "accel"]}


def fleet_grouping(covariates: bool = True) -> SensorGrouping:
    """The groups of the fleet benchmark, with the vehicle group when ``covariates``."""
    extra = {"vehicle": ["engine displacement", "mass"]} if covariates else {}
    return SensorGrouping({**GROUPS, **extra})


def vehicle_table(cars=FLEET, routes=ROUTES) -> pd.DataFrame:
    """One row per drive: drive, vehicle, engine displacement [l], mass [kg], fuel."""
    return pd.DataFrame([{"drive": f"{car.name}_{route}", "vehicle": car.name,
                          "engine displacement [l]": car.displacement_l,
                          "mass [kg]": car.mass_kg, "fuel": car.fuel}
                         for car in cars for route in routes])


def write_fleet(directory: Path | str, seed: int = 0, cars=FLEET, routes=ROUTES) -> list[Path]:
    """Write one CSV per (car, route) and ``vehicles.csv`` into ``directory``; returns the paths.
    Same columns and rounding as the shipped samples."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, car in enumerate(cars):
        for j, (route, phases) in enumerate(routes.items()):
            frame = simulate_drive(seed=1000 * seed + 10 * i + j + 1, phases=phases, car=car)
            path = directory / f"{car.name}_{route}.csv"
            with open(path, "w", encoding="utf-8", newline="") as fh:
                _with_units(frame.round(3)).to_csv(fh, index=False, lineterminator="\n")
            paths.append(path)
    path = directory / "vehicles.csv"
    vehicle_table(cars, routes).to_csv(path, index=False, lineterminator="\n")
    return paths + [path]


def load_fleet(directory: Path | str | None = None, seed: int = 0, cars=FLEET,
               routes=ROUTES) -> Campaign:
    """The simulated fleet as a Campaign (written to ``directory``, or a temporary folder), every
    drive and the campaign labelled simulated."""
    if directory is None:
        directory = tempfile.mkdtemp(prefix="palstm_fleet-")
    write_fleet(directory, seed, cars, routes)
    camp = load_drives(directory)
    camp.name = "simulated fleet"
    for ds in camp:
        ds.simulated = True
        ds.report.insert(0, "Simulated drive made by palstm_core.simulate_fleet — not measured.")
    camp.report.insert(0, f"Simulated fleet of {len(cars)} cars made by "
                       "palstm_core.simulate_fleet — not measured data.")
    return camp
