"""The simulated fleet and the static vehicle covariates (vehicles.csv, ``pc.add_vehicles``)."""
from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

import palstm_core as pc
from palstm_core.simulate import Car, simulate_drive
from palstm_core.simulate_fleet import fleet_grouping, load_fleet, write_fleet

CARS = (Car("small", 1.2, 1150.0), Car("big", 2.8, 2100.0))
ROUTES = {"town": [("urban", 3), ("rural", 1)], "road": [("rural", 2), ("motorway", 2)]}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return load_fleet(tmp_path_factory.mktemp("fleet"), cars=CARS, routes=ROUTES)


def test_fleet_is_deterministic_and_the_cars_differ(tmp_path):
    a = write_fleet(tmp_path / "a", cars=CARS, routes=ROUTES)
    b = write_fleet(tmp_path / "b", cars=CARS, routes=ROUTES)
    assert [p.name for p in a] == ["small_town.csv", "small_road.csv", "big_town.csv",
                                   "big_road.csv", "vehicles.csv"]
    assert all(filecmp.cmp(x, y, shallow=False) for x, y in zip(a, b))
    # the same route and traffic: the bigger, heavier car emits more CO2 per second and per km
    small = simulate_drive(seed=5, phases=ROUTES["town"], car=CARS[0])
    big = simulate_drive(seed=5, phases=ROUTES["town"], car=CARS[1])
    np.testing.assert_array_equal(small["speed"], big["speed"])
    assert big["CO2"].sum() > 1.3 * small["CO2"].sum()
    assert (big["load"] < small["load"]).mean() > 0.5       # big engine: lower relative load
    # the default car is the samples' car: the shipped urban sample is unchanged
    same = simulate_drive("urban")
    shipped = pc.load_sample("urban")
    np.testing.assert_allclose(shipped.frame["CO2"], same["CO2"].round(3), atol=1e-9)


def test_vehicles_csv_becomes_constant_columns_and_the_drive_table(fleet):
    assert "vehicles" not in fleet.names                 # the table is not a drive
    assert fleet.vehicle_columns == ["engine displacement", "mass"]
    big = fleet["big_road"]
    assert big.frame["mass"].eq(2100.0).all() and big.units["mass"] == "kg"
    assert big.frame["engine displacement"].eq(2.8).all()
    assert any("Vehicle covariates added" in ln for ln in big.report)
    assert any("'fuel' is 'diesel' for every drive" in ln for ln in fleet.report)
    table = fleet.table()
    assert list(table.columns[4:8]) == ["vehicle", "engine displacement [l]", "mass [kg]", "fuel"]
    row = table.set_index("drive").loc["small_town"]
    assert row["vehicle"] == "small" and float(row["mass [kg]"]) == 1150.0
    assert fleet.simulated and "simulated" in fleet.label


def test_table_rows_that_do_not_match_are_reported_and_text_is_one_hot(fleet):
    table = pd.DataFrame({"Drive": ["SMALL_TOWN", "small_road", "big_town", "nowhere"],
                          "vehicle": ["s", "s", "b", "x"], "fuel": ["petrol", "petrol",
                                                                   "diesel", "diesel"],
                          "mass [kg]": ["1150", "1150,5", "lots", "2000"]})
    bare = pc.Campaign({n: ds for n, ds in fleet.drives.items()}, name="four")
    bare = pc.Campaign({n: ds.slice() for n, ds in bare.drives.items()}, name="four")
    for ds in bare:                                      # drop the columns the csv added
        ds.frame = ds.frame.drop(columns=["engine displacement", "mass"])
    camp = pc.add_vehicles(bare, table)
    report = "\n".join(camp.report)
    assert "row 4 names the drive 'nowhere'" in report
    assert "no row for drive(s) 'big_road'" in report
    assert "1 cell(s) of 'mass' are not numbers" in report
    assert camp.vehicle_columns == ["fuel=diesel", "fuel=petrol", "mass"]
    assert camp["small_town"].frame["fuel=petrol"].eq(1.0).all()   # matched without case
    assert camp["small_road"].frame["mass"].eq(1150.5).all()       # decimal comma read
    assert camp["big_town"].frame["mass"].isna().all()
    assert camp["big_road"].frame["fuel=diesel"].isna().all()


def test_one_drive_gets_covariates_and_training_uses_the_vehicle_group(fleet, tmp_path):
    ds = fleet["big_town"].slice()
    ds.frame = ds.frame.drop(columns=["engine displacement", "mass"])
    path = tmp_path / "one.csv"
    path.write_text("engine displacement [l];mass [kg]\n2.8;2100\n", encoding="utf-8")
    got = pc.add_vehicles(ds, path)
    assert got.frame["mass"].eq(2100.0).all() and got.units["engine displacement"] == "l"
    with pytest.raises(pc.DataError, match="already has the column"):
        pc.add_vehicles(got, path)
    with pytest.raises(pc.DataError, match="needs a 'drive' column"):
        pc.add_vehicles(fleet, pd.DataFrame({"mass": [1, 2]}))
    # the suggested groups of a campaign with covariates have the group "vehicle"
    run = pc.train(fleet, "CO2", None, pc.WindowSpec(lookback=8, horizon=0),
                   pc.TrainConfig(model="linear", device="cpu"))
    assert run.grouping.groups["vehicle"] == ["engine displacement", "mass"]
    assert fleet_grouping(True).groups["vehicle"] == ["engine displacement", "mass"]
    g = pc.suggest_groups(fleet.preview(), "CO2", vehicle=fleet.vehicle_columns).groups
    assert list(g)[-1] == "vehicle" and g["vehicle"] == ["engine displacement", "mass"]
    assert "vehicle" not in pc.suggest_groups(fleet.preview(), "CO2").groups
