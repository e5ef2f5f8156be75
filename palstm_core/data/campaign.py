"""Campaigns: many drives in one go. ``load_drives`` reads a folder, a zip or a list of
files/uploads into a ``Campaign`` (drive name -> ``Dataset``, one report line per drive).

What is a drive:
- a data file (CSV, Parquet, xlsx, MDF4; see ``formats``) is one drive, named by its path
  without the suffix (``trip01_urban``, ``processed/Mazda_3_2016``);
- a trip folder with ``OBD/`` and/or ``PEMS/`` subfolders (the layout of
  ``../shared/real-logs/``) is one drive, named by the folder: the files of each logger are
  joined in time order and the two loggers merged with ``merge_drives``.
Other folders are walked. Every file or folder that is not used gets a line in
``Campaign.skipped`` and ``Campaign.report`` saying why; a bad drive never stops the others.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .dataset import SAMPLE_DIR, DataError, Dataset
from .load import load_file
from .merge import concat_drives, merge_drives
from .source import SUFFIXES, PathOrFile, head, kind, read, source_name
from ..i18n import N_, _, ngettext
from .vehicles import add_vehicles, vehicle_file
from .drive_table import _clock, _describe, _usual_columns
from .whole import keep_whole

MAX_ZIP_TOTAL = 4 * 2**30     # uncompressed bytes of all members of one zip
MAX_ZIP_MEMBERS = 20000
MIN_SHARED = 0.5              # a drive with fewer of the campaign's usual columns is skipped
LOGGERS = ("pems", "obd")
_SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}

Progress = Callable[[float, str], None]


def drives_fingerprint(fingerprints: dict[str, str]) -> str:
    """One hash of {drive name: Dataset fingerprint}, independent of the drives' order."""
    return hashlib.sha256(repr(sorted(fingerprints.items())).encode()).hexdigest()[:16]


@dataclass
class Campaign:
    """Drives of one or more vehicles, loaded together.

    drives   drive name -> Dataset, in load order (``Dataset.name`` is the drive name)
    report   a summary line, then one line per drive (rows, duration, rate, columns missing or
             extra against the other drives, what loading dropped) and per skipped item
    skipped  name of each file/folder/drive not used -> why
    name     where the campaign came from (folder, zip or 'uploaded files')
    vehicles the vehicle table's columns per drive (index = drive name) or None; see
             ``vehicles.py``. ``vehicle_columns``: the model inputs it added to every drive
    """

    drives: dict[str, Dataset]
    report: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    name: str = "campaign"
    vehicles: pd.DataFrame | None = None
    vehicle_columns: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.drives)

    def fingerprint(self) -> str:
        """Hash of the drive names and contents (like ``Dataset.fingerprint()``): the data part
        of the cache key of a run trained on this campaign."""
        return drives_fingerprint({n: ds.fingerprint() for n, ds in self.drives.items()})

    @property
    def simulated(self) -> bool:
        """True when any drive is simulated (the UI then labels the campaign so)."""
        return any(ds.simulated for ds in self.drives.values())

    @property
    def label(self) -> str:
        n = len(self.drives)
        if self.simulated:
            return ngettext("{name} ({n} drive, simulated)", "{name} ({n} drives, simulated)",
                            n, name=self.name)
        return ngettext("{name} ({n} drive)", "{name} ({n} drives)", n, name=self.name)

    @property
    def common_columns(self) -> list[str]:
        """Sensor columns every drive has, in the first drive's order."""
        drives = list(self.drives.values())
        if not drives:
            return []
        rest = [set(ds.columns) for ds in drives[1:]]
        return [c for c in drives[0].columns if all(c in s for s in rest)]

    def table(self) -> pd.DataFrame:
        """One row per drive: drive, rows, duration [min], rate [Hz] (NaN without a clock),
        the columns it lacks that most drives have, the vehicle table's columns (if any) and its
        report line."""
        usual = _usual_columns(self.drives)
        rows = []
        for name, ds in self.drives.items():
            minutes, rate = _clock(ds)
            rows.append({"drive": name, "rows": len(ds), "duration [min]": minutes,
                         "rate [Hz]": rate,
                         "missing columns": ", ".join(c for c in usual if c not in ds.columns),
                         "report": _describe(ds, usual)})
        frame = pd.DataFrame(rows, columns=[N_("drive"), N_("rows"), N_("duration [min]"),
                                            N_("rate [Hz]"), N_("missing columns"),
                                            N_("report")])      # msgids: the UI's headers
        if self.vehicles is None:
            return frame
        shown = self.vehicles.reindex(frame["drive"]).reset_index(drop=True)
        return pd.concat([frame.iloc[:, :4], shown, frame.iloc[:, 4:]], axis=1)

    def preview(self) -> Dataset:
        """The first drive with only the columns every drive has: what a page that looks at one
        drive (sensor groups, correlations, channel plots) shows for the campaign."""
        first = next(iter(self.drives.values()))
        keep = ([first.time_column] if first.time_column else []) + self.common_columns
        return Dataset(first.frame[keep].copy(), first.time_column, list(first.report),
                       {c: u for c, u in first.units.items() if c in keep},
                       name=f"{self.name}: {first.name} (first of {len(self)} drives)",
                       simulated=first.simulated)

    def __len__(self) -> int:
        return len(self.drives)

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self.drives.values())

    def __getitem__(self, name: str) -> Dataset:
        return self.drives[name]

    def __contains__(self, name: object) -> bool:
        return name in self.drives


# ------------------------------------------------------------------ the files of a source
@dataclass
class _Entry:
    """One file of the source: its path inside the campaign and how to open it."""

    path: PurePosixPath
    open: Callable[[], PathOrFile]


def _natural(path: PurePosixPath) -> list:
    """Sort key: 'trip2' before 'trip10'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def _upload(data: bytes, name: str) -> io.BytesIO:
    buf = io.BytesIO(data)
    buf.name = name
    return buf


def _zip_entries(data_or_path, prefix: PurePosixPath, skipped: dict[str, str],
                 keep: list, limit: int | None) -> list[_Entry]:
    """Members of a zip as entries (read lazily, never extracted to disk, never executed); a
    member over ``limit`` (the UI's upload limit; None: only the zip's own bound) is skipped."""
    cap = MAX_ZIP_TOTAL if limit is None else limit
    label = str(prefix) if str(prefix) != "." else "the zip"
    try:
        zf = zipfile.ZipFile(data_or_path if isinstance(data_or_path, (str, Path))
                             else io.BytesIO(data_or_path))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(_("'{label}' is not a readable ZIP archive ({exc}). Pack the "
                           "drives again, or choose the folder instead.",
                           label=label, exc=exc)) from None
    keep.append(zf)
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
        raise DataError(_("'{label}' holds {n} files, {value:.1f} GB unpacked; the limit "
                           "is {MAX_ZIP_MEMBERS} files and {value2:.0f} GB. Split the "
                           "campaign into smaller zips.", label=label,
                           n=len(infos), value=sum(i.file_size for i in infos) / 2**30,
                           MAX_ZIP_MEMBERS=MAX_ZIP_MEMBERS, value2=MAX_ZIP_TOTAL / 2**30))
    out = []
    for info in infos:
        if info.is_dir():
            continue
        rel = PurePosixPath(info.filename.replace("\\", "/"))
        where = str(prefix / rel) if str(prefix) != "." else str(rel)
        if rel.is_absolute() or ".." in rel.parts or re.match(r"^[A-Za-z]:", rel.parts[0]):
            skipped[where] = "unsafe path inside the zip (absolute or with '..'); not read"
        elif info.flag_bits & 0x1:
            skipped[where] = "password-protected inside the zip; unpack it and load the files"
        elif info.file_size > cap:
            skipped[where] = (f"{info.file_size / 2**20:.0f} MB unpacked; the limit is "
                              f"{cap / 2**20:.0f} MB per file")
        else:
            out.append(_Entry(prefix / rel,
                              lambda i=info, z=zf, w=where: _read_member(z, i, w, cap)))
    return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, cap: int) -> bytes:
    with zf.open(info) as fh:
        data = fh.read(cap + 1)                 # the size in the header may lie (zip bombs)
    if len(data) > cap:
        raise DataError(_("'{where}' unpacks to more than {value:.0f} MB; split it.",
                           where=where, value=cap / 2**20))
    return data


def _is_zip(name: str, first: bytes) -> bool:
    return kind(first, name) == "zip" or (not first and name.lower().endswith(".zip"))


def _entries(source, skipped: dict[str, str], keep: list, limit: int | None = None
             ) -> tuple[list[_Entry], str]:
    """All files of the source (folder, zip, or list of paths/uploads) and its display name."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            files = sorted((p for p in path.rglob("*") if p.is_file()),
                           key=lambda p: _natural(PurePosixPath(p.relative_to(path).as_posix())))
            return [_Entry(PurePosixPath(p.relative_to(path).as_posix()), lambda p=p: p)
                    for p in files], path.name
        if path.is_file() and _is_zip(path.name, head(path)):
            return _zip_entries(path, PurePosixPath("."), skipped, keep, limit), path.stem
        if not path.exists():
            raise DataError(_("'{name}' does not exist. Choose a folder of drives, a zip "
                               "or a list of files.",
                               name=path.name))
        source = [path]
    if not isinstance(source, Sequence) or isinstance(source, (str, bytes)):
        source = [source]                       # one upload
    out: list[_Entry] = []
    for item in source:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            sub, name = _entries(item, skipped, keep, limit)
            out += [_Entry(PurePosixPath(name) / e.path, e.open) for e in sub]
            continue
        if isinstance(item, (str, Path)):
            rel, first = PurePosixPath(Path(item).name), head(item)
        else:                 # an upload's name may keep its folders ('trip 3/OBD/log.csv')
            rel = PurePosixPath(str(getattr(item, "name", None) or "uploaded file")
                                .replace("\\", "/"))
            if rel.is_absolute() or ".." in rel.parts:
                rel = PurePosixPath(rel.name)
            item = read(item, MAX_ZIP_TOTAL)        # an upload is read once, kept as bytes
            first = head(item)
        if _is_zip(rel.name, first):
            data = item
            out += _zip_entries(data, rel.parent / rel.stem, skipped, keep, limit)
        else:
            out.append(_Entry(rel, lambda i=item: i))
    return out, "uploaded files" if len(source) != 1 else source_name(source[0])


# ------------------------------------------------------------------ which files make a drive
@dataclass
class _Plan:
    name: str
    files: list[_Entry] = field(default_factory=list)          # a one-file drive
    loggers: dict[str, list[_Entry]] = field(default_factory=dict)   # a trip folder


def _usable(entries: list[_Entry], skipped: dict[str, str]) -> list[_Entry]:
    out = []
    for e in entries:
        if any(p.startswith(".") or p == "__MACOSX" for p in e.path.parts) or \
                e.path.name.lower() in _SYSTEM_FILES:
            skipped[str(e.path)] = "hidden or system file, not data"
        elif e.path.suffix.lower() == ".zip":
            skipped[str(e.path)] = ("a zip inside the campaign; unpack it into the folder, or "
                                    "load it as a campaign of its own")
        elif e.path.suffix.lower() not in SUFFIXES:
            skipped[str(e.path)] = (f"'{e.path.suffix}' is not a data file type read here (CSV,"
                                    " Parquet, xlsx, MDF4)")
        else:
            out.append(e)
    return out


def _strip_top(entries: list[_Entry]) -> tuple[list[_Entry], str | None]:
    """Drop one folder level that holds everything (a zip of 'campaign/...'), unless it is a
    trip folder itself."""
    top = None
    while entries and all(len(e.path.parts) > 1 for e in entries) and \
            len({e.path.parts[0] for e in entries}) == 1 and \
            not any(e.path.parts[1].lower() in LOGGERS and len(e.path.parts) > 2
                    for e in entries):
        top = entries[0].path.parts[0]
        entries = [_Entry(PurePosixPath(*e.path.parts[1:]), e.open) for e in entries]
    return entries, top


def _plans(entries: list[_Entry], prefix: PurePosixPath, root_name: str,
           skipped: dict[str, str]) -> list[_Plan]:
    """Walk one folder level: a trip folder, or files (drives) and subfolders (walked)."""
    dirs: dict[str, list[_Entry]] = {}
    files = []
    for e in entries:
        if len(e.path.parts) == 1:
            files.append(e)
        else:
            dirs.setdefault(e.path.parts[0], []).append(
                _Entry(PurePosixPath(*e.path.parts[1:]), e.open))
    loggers = {d: es for d, es in dirs.items() if d.lower() in LOGGERS}
    if loggers:
        name = str(prefix) if str(prefix) != "." else root_name
        plan = _Plan(name)
        for d, es in loggers.items():
            for e in es:
                if len(e.path.parts) > 1:
                    skipped[str(prefix / d / e.path)] = f"in a subfolder of {d}/; not read"
            plan.loggers[d.lower()] = [_Entry(prefix / d / e.path, e.open) for e in es
                                       if len(e.path.parts) == 1]
        others = [prefix / e.path for e in files] + [
            prefix / d / e.path for d, es in dirs.items() if d not in loggers for e in es]
        for where in others:
            skipped[str(where)] = (f"next to the OBD/PEMS folders of trip '{name}', not inside "
                                   "them; not read")
        return [plan]
    stems = [e.path.stem for e in files]
    out = [_Plan(str(prefix / (e.path.stem if stems.count(e.path.stem) == 1 else e.path.name)),
                 [_Entry(prefix / e.path, e.open)]) for e in files]
    for d in sorted(dirs, key=lambda d: _natural(PurePosixPath(d))):
        out += _plans(dirs[d], prefix / d, root_name, skipped)
    return out


# ------------------------------------------------------------------ loading the drives
def _load_one(entry: _Entry, opts: dict) -> Dataset:
    """One drive file (path or bytes) through ``load_file``; ``opts``: dayfirst, max_bytes."""
    return load_file(entry.open(), name=str(entry.path), **opts)


def _load_trip(plan: _Plan, opts: dict, rate_hz: float, skipped: dict[str, str]) -> Dataset:
    """A trip folder: each logger's files joined, then PEMS and OBD merged."""
    loaded: dict[str, Dataset] = {}
    for logger, entries in plan.loggers.items():
        parts = []
        for e in entries:
            try:
                parts.append(_load_one(e, opts))
            except DataError as exc:
                skipped[str(e.path)] = str(exc)
        if parts:
            loaded[logger] = concat_drives(parts, name=f"{plan.name} {logger.upper()}")
    if not loaded:
        raise DataError(_("Trip '{name}': none of its OBD/PEMS files could be read (see "
                           "the lines of its files).", name=plan.name))
    if len(loaded) == 1:
        (logger, ds), = loaded.items()
        ds.report.insert(0, _("Only {logger} data in this trip; nothing to merge.",
                              logger=logger.upper()))
        return ds
    return merge_drives(loaded["pems"], loaded["obd"], rate_hz=rate_hz)


def _drop_strays(drives: dict[str, Dataset], usual: list[str], skipped: dict[str, str]) -> None:
    """Skip drives that share fewer than ``MIN_SHARED`` of the usual columns (another kind of
    file: a GPS track among PEMS+OBD drives)."""
    for name, ds in list(drives.items()):
        have = [c for c in usual if c in ds.columns]
        if usual and len(have) < MIN_SHARED * len(usual):
            skipped[name] = (f"has only {len(have)} of the {len(usual)} columns most drives "
                             f"share (its columns: {', '.join(ds.columns[:8])}"
                             f"{', …' if len(ds.columns) > 8 else ''}); not the same kind of "
                             "recording")
            del drives[name]


def load_drives(source, *, progress: Progress | None = None, dayfirst: bool | None = None,
                rate_hz: float = 1.0, max_bytes: int | None = None) -> Campaign:
    """Load a campaign: ``source`` is a folder, a ``.zip`` (path or upload), or a list of files
    or uploads (objects with ``.name`` and ``.getvalue()``/``.read()``; a name with '/' keeps its
    folders; a zip among them is unpacked in memory).

    Each data file is a drive; a trip folder with OBD/ and PEMS/ subfolders is one drive (its
    loggers' files joined, then merged with ``merge_drives`` at ``rate_hz``). ``progress(
    fraction, message)`` is called before each drive. A drive that cannot be used (unreadable,
    too short, not the columns the other drives share) is skipped with a reason in
    ``skipped`` and ``report``; ``DataError`` only when no drive is usable, listing why each
    failed. Zips are read in memory (never extracted, nothing executed), with size limits.
    ``max_bytes`` refuses files (and zip members) over it: only the UI passes it (``MAX_BYTES``,
    the browser's upload limit); from Python and the command line there is none.
    """
    skipped: dict[str, str] = {}
    keep: list[zipfile.ZipFile] = []
    try:
        entries, name = _entries(source, skipped, keep, max_bytes)
        entries, top = _strip_top(_usable(entries, skipped))
        table = [e for e in entries if len(e.path.parts) == 1 and vehicle_file(e.path)]
        entries = [e for e in entries if e not in table]
        plans = _plans(entries, PurePosixPath("."), top or Path(name).stem or name, skipped)
        drives = _load_plans(plans, rate_hz, {"dayfirst": dayfirst, "max_bytes": max_bytes,
                                              "keep_constant": True}, progress, skipped)
        table = (table[0].open(), str(table[0].path)) if table else None
    finally:
        for zf in keep:
            zf.close()
    usual = _usual_columns(drives)
    _drop_strays(drives, usual, skipped)
    drives, whole = keep_whole(drives)          # split at gaps, constant columns decided
    if not drives:
        why = "\n".join(f"- {k}: {v}" for k, v in skipped.items()) or "- it holds no files"
        raise DataError(_("No usable drive in '{name}'. Why each file or folder was not "
                           "used:\n{why}", name=name, why=why))
    camp = Campaign(drives, [], skipped, name=name)
    usual = _usual_columns(drives)
    camp.report = [f"{len(drives)} drive(s) loaded from '{name}', {len(skipped)} item(s) not "
                   f"used; {len(camp.common_columns)} sensor columns in every drive."]
    camp.report += [_describe(ds, usual) for ds in drives.values()]
    camp.report += [_("Not used: {drive}: {why}", drive=k, why=v) for k, v in skipped.items()]
    camp.report += _campaign_notes(drives) + whole
    if table is not None:                   # vehicles.csv beside the drives
        camp = add_vehicles(camp, *table)
    if progress is not None:
        progress(1.0, _("Loaded {n} drive(s), {n2} item(s) not used", n=len(drives),
                         n2=len(skipped)))
    return camp


def _load_plans(plans: list[_Plan], rate_hz: float, opts: dict, progress: Progress | None,
                skipped: dict[str, str]) -> dict[str, Dataset]:
    drives: dict[str, Dataset] = {}
    for i, plan in enumerate(plans):
        if progress is not None:
            progress(i / max(len(plans), 1), _("Drive {value} of {n}: {name}", value=i + 1,
                                                n=len(plans), name=plan.name))
        try:
            if plan.loggers:
                ds = _load_trip(plan, opts, rate_hz, skipped)
            else:
                ds = _load_one(plan.files[0], opts)
        except DataError as exc:
            skipped[plan.name] = str(exc)
            continue
        ds.name = plan.name
        drives[plan.name] = ds
    return drives


def _campaign_notes(drives: dict[str, Dataset]) -> list[str]:
    notes = []
    rates = {}
    for name, ds in drives.items():
        steps = np.diff(ds.times)
        if ds.time_column and steps.size and np.median(steps) > 0:
            rates[name] = round(1 / float(np.median(steps)), 3)
    if len(set(rates.values())) > 1:
        notes.append("The drives have different sampling rates ("
                     + ", ".join(f"{k}: {v:g} Hz" for k, v in rates.items())
                     + "); resample them to one rate before training on them together.")
    return notes


def load_sample_campaign(progress: Progress | None = None) -> Campaign:
    """The shipped sample campaign: six short drives of one SIMULATED car (see
    sample_data/README.md); ``progress`` as in ``load_drives``."""
    camp = load_drives(SAMPLE_DIR / "campaign", progress=progress)
    camp.name = "sample campaign"
    for ds in camp:
        ds.simulated = True
        ds.report.insert(0, _("Simulated drive made by palstm_core.simulate — not measured "
                              "data."))
    camp.report.insert(0, _("Simulated campaign made by palstm_core.simulate — not measured "
                            "data."))
    return camp
