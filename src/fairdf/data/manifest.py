"""Manifests: the reference CSV layout (docs/formats.md, Manifests), read by header name.

    img_path,label,ismale,isasian,iswhite,isblack,intersec_label[,spe_label][,extra...]

Attributes are 1 / -1; `isasian` is absent from the 6-group (Celeb-DF/DFD) files;
`spe_label` (manipulation method 1..M) is required on fake rows of training and
validation files. Relative `img_path`s resolve against the manifest's folder. Extra
columns (age, skin_tone, identity, ...) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fairdf.csvheader import duplicate_message, header_names
from fairdf.data.attributes import AttributeScheme
from fairdf.data.groups import (
    ATTRIBUTE_COLUMNS,
    GROUP_COLUMN,
    GroupScheme,
    detect_scheme,
    get_scheme,
)
from fairdf.errors import ManifestError
from fairdf.io import atomic_path

METHOD_COLUMN = "spe_label"
MANIFEST_COLUMNS = ("img_path", "label", *ATTRIBUTE_COLUMNS, GROUP_COLUMN)
TRAINING_FAKE_FILES = ("faketrain", "fakeval")
REAL_FILES = ("realtrain", "realval")
# train: fake rows need spe_label; real: every row must be a real (label 0); test: any rows
ROLES = ("train", "real", "test")
MAX_LISTED_PROBLEMS = 20
UNKNOWN_GROUP = -1  # the group of rows read from a file without demographic columns
UNREADABLE = -999  # an integer cell that failed validation (reported as a problem)


@dataclass
class Manifest:
    """A validated manifest.

    `frame` holds the file's columns plus normalised ones: `path` (absolute image path),
    `label` (int 0/1), `group` (int group id), `method` (int, 0 for reals).
    """

    source: Path
    frame: pd.DataFrame
    scheme: GroupScheme

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def name(self) -> str:
        return self.source.name


def read_manifest(
    path: str | Path,
    scheme: str | GroupScheme | None = None,
    *,
    role: str | None = None,
    n_methods: int = 5,
    check_files: bool = True,
    check_images: bool = False,
    groups: bool = True,
) -> Manifest:
    """Read and validate a manifest; raise ManifestError listing every problem.

    `role` is "train" (fake rows need `spe_label` in 1..n_methods) or "test"; by
    default it is "train" for files named faketrain/fakeval and "test" otherwise.
    With `groups=False` a file without `intersec_label` is accepted: its demographic
    columns are not read and every row gets group -1 (unknown; `scheme` or ffpp).
    """
    source = Path(path).expanduser().resolve()
    raw = _read_csv(source)
    declared = get_scheme(scheme) if scheme else None
    if not groups and GROUP_COLUMN not in raw.columns and declared is None:
        return _read_without_groups(raw, source, scheme, role, n_methods, check_files)
    problems = _check_columns(raw, source, getattr(declared, "columns", None))
    if problems:
        raise _manifest_error(source, problems)
    resolved_scheme = declared or detect_scheme(raw, source.name)
    if isinstance(resolved_scheme, AttributeScheme):
        pass  # groups come from the declared attribute columns
    elif resolved_scheme.has_asian and "isasian" not in raw.columns:
        raise _manifest_error(
            source,
            [
                f"{source.name}: missing column 'isasian' (required by scheme '{resolved_scheme.name}')"
            ],
        )
    role = role or default_role(source)
    if role not in ROLES:
        raise ManifestError(f"{source.name}: unknown role '{role}'; valid: {', '.join(ROLES)}")
    frame, problems = _normalise(raw, source, resolved_scheme, role, n_methods)
    if check_files or check_images:
        problems += _check_image_files(frame, source, decode=check_images)
    if problems:
        raise _manifest_error(source, problems)
    return Manifest(source=source, frame=frame, scheme=resolved_scheme)


def default_role(source: Path) -> str:
    """The role a file's name implies: faketrain/fakeval train, realtrain/realval real."""
    if source.stem in TRAINING_FAKE_FILES:
        return "train"
    return "real" if source.stem in REAL_FILES else "test"


def _read_without_groups(
    raw: pd.DataFrame,
    source: Path,
    scheme: str | GroupScheme | None,
    role: str | None,
    n_methods: int,
    check_files: bool,
) -> Manifest:
    """A manifest without demographic columns: label, method and paths only; group -1."""
    problems = [
        f"{source.name}: missing column '{c}' (header has: {', '.join(raw.columns)})"
        for c in ("img_path", "label")
        if c not in raw.columns
    ]
    if problems:
        raise _manifest_error(source, problems)
    role = role or ("train" if source.stem in TRAINING_FAKE_FILES else "test")
    frame = raw.copy()
    frame["label"] = _integer_column(raw, "label", {0, 1}, source, problems)
    frame["group"] = np.full(len(frame), UNKNOWN_GROUP, dtype=np.int64)
    frame["method"] = _methods(raw, frame, source, role, n_methods, problems)
    problems += _check_paths(frame, source)
    frame["path"] = [str(_resolve(source, p)) for p in frame["img_path"]]
    if check_files and not problems:
        problems += _check_image_files(frame, source, decode=False)
    if problems:
        raise _manifest_error(source, problems)
    return Manifest(source=source, frame=frame, scheme=get_scheme(scheme or "ffpp"))


def write_manifest(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` in the reference column order (extras after), atomically.

    The normalised columns that `read_manifest` adds (`path`, `group`, `method`) are not
    written; `isasian` is left out when the frame has no such column (6-group files).
    """
    target = Path(path)
    columns = [c for c in MANIFEST_COLUMNS if c in frame.columns]
    missing = [c for c in MANIFEST_COLUMNS if c not in frame.columns and c != "isasian"]
    if missing:
        raise ManifestError(f"{target.name}: cannot write, missing columns {missing}")
    if METHOD_COLUMN in frame.columns:
        columns.append(METHOD_COLUMN)
    derived = {"path", "group", "method"}
    columns += [c for c in frame.columns if c not in columns and c not in derived]
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, columns=columns, index=False)
    return target


def _read_csv(source: Path) -> pd.DataFrame:
    if not source.is_file():
        raise ManifestError(f"{source}: manifest not found; check the path")
    try:
        repeated = duplicate_message(source, header_names(source))
        if repeated:
            raise ManifestError(repeated)
        return pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ManifestError(f"{source}: file is empty; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise ManifestError(f"{source}: not a readable CSV ({reason})") from None


def _check_columns(
    raw: pd.DataFrame, source: Path, attribute_columns: tuple[str, ...] | None = None
) -> list[str]:
    """Missing required columns; a declared scheme needs its attribute columns instead."""
    required = ["img_path", "label", "ismale", "iswhite", "isblack", GROUP_COLUMN]
    if attribute_columns is not None:
        required = ["img_path", "label", *attribute_columns]
    return [
        f"{source.name}: missing column '{c}' (header has: {', '.join(raw.columns)})"
        for c in required
        if c not in raw.columns
    ]


def _line(index: int) -> int:
    """File line number of data row `index` (the header is line 1)."""
    return index + 2


def _integer_column(
    raw: pd.DataFrame, column: str, allowed: set[int] | None, source: Path, problems: list[str]
) -> np.ndarray:
    """Parse a column of integers; report each bad value with its line."""
    values = pd.to_numeric(raw[column].str.strip(), errors="coerce")
    values = values.where(np.isfinite(values))  # inf, -inf -> NaN: reported, never cast
    bad = values.isna() | (values != values.round())
    if allowed is not None:
        bad |= ~values.isin(list(allowed))
    expected = f"one of {sorted(allowed)}" if allowed else "an integer"
    for index in np.flatnonzero(bad.to_numpy()):
        problems.append(
            f"{source.name}, line {_line(index)}, column '{column}': "
            f"value '{raw[column].iat[index]}' is not {expected}"
        )
    return values.fillna(UNREADABLE).astype(np.int64).to_numpy()


def _normalise(
    raw: pd.DataFrame, source: Path, scheme: GroupScheme, role: str, n_methods: int
) -> tuple[pd.DataFrame, list[str]]:
    problems: list[str] = []
    frame = raw.copy()
    frame["label"] = _integer_column(raw, "label", {0, 1}, source, problems)
    if role == "real":
        for index in np.flatnonzero(frame["label"].to_numpy() == 1):
            problems.append(
                f"{source.name}, line {_line(index)}, column 'label': value 1 (fake) in a "
                f"manifest of reals; {source.name} must hold only real images (label 0)"
            )
    for column in ATTRIBUTE_COLUMNS:
        if column in raw.columns:
            frame[column] = _integer_column(raw, column, {1, -1}, source, problems)
    if isinstance(scheme, AttributeScheme):
        frame["group"] = _attribute_groups(raw, source, scheme, problems)
    else:
        groups = _integer_column(raw, GROUP_COLUMN, set(range(scheme.n_groups)), source, problems)
        frame[GROUP_COLUMN] = groups
        frame["group"] = groups
        problems += _check_group_consistency(frame, source, scheme)
    frame["method"] = _methods(raw, frame, source, role, n_methods, problems)
    problems += _check_paths(frame, source)
    frame["path"] = [str(_resolve(source, p)) for p in frame["img_path"]]
    return frame, problems


def _attribute_groups(
    raw: pd.DataFrame, source: Path, scheme: AttributeScheme, problems: list[str]
) -> np.ndarray:
    """Group id per row from the declared attribute columns; unknown values reported."""
    for (column, values), index in zip(scheme.attributes, scheme.value_indices(raw), strict=True):
        for row in np.flatnonzero(index < 0)[:MAX_LISTED_PROBLEMS]:
            problems.append(
                f"{source.name}, line {_line(row)}, column '{column}': value "
                f"'{raw[column].iat[row]}' is not one of {', '.join(values)}"
            )
    return np.maximum(scheme.ids_from_frame(raw), 0)


def _check_group_consistency(frame: pd.DataFrame, source: Path, scheme: GroupScheme) -> list[str]:
    """Rows whose group disagrees with their attributes (rows with an unreadable value,
    reported already, are skipped)."""
    implied = scheme.ids_from_attributes(frame)
    readable = frame[GROUP_COLUMN].to_numpy() >= 0
    for column in ATTRIBUTE_COLUMNS:
        if column in frame.columns:
            readable &= frame[column].to_numpy() != UNREADABLE
    problems = []
    for index in np.flatnonzero((implied != frame[GROUP_COLUMN].to_numpy()) & readable):
        if implied[index] < 0:
            reason = "the attributes mark more than one race" + (
                "" if scheme.has_asian else f" or asian, which scheme '{scheme.name}' lacks"
            )
        else:
            reason = (
                f"the attributes give {implied[index]} ({scheme.group_name(implied[index])}) "
                f"under scheme '{scheme.name}'"
            )
        problems.append(
            f"{source.name}, line {_line(index)}, column '{GROUP_COLUMN}': "
            f"value {frame[GROUP_COLUMN].iat[index]} disagrees with the attribute columns: {reason}"
        )
    return problems


def _methods(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    source: Path,
    role: str,
    n_methods: int,
    problems: list[str],
) -> np.ndarray:
    """Method id per row (0 for reals); on training fakes it must be 1..n_methods."""
    fake = frame["label"].to_numpy() == 1
    if METHOD_COLUMN not in raw.columns:
        if role == "train" and fake.any():
            problems.append(
                f"{source.name}: missing column '{METHOD_COLUMN}' (fake training rows need "
                f"the manipulation method 1..{n_methods})"
            )
        return np.zeros(len(raw), dtype=np.int64)
    text = raw[METHOD_COLUMN].str.strip()
    values = pd.to_numeric(text, errors="coerce")
    empty = text == ""
    for index in np.flatnonzero((values.isna() & ~empty).to_numpy()):
        problems.append(
            f"{source.name}, line {_line(index)}, column '{METHOD_COLUMN}': "
            f"value '{raw[METHOD_COLUMN].iat[index]}' is not an integer"
        )
    methods = values.fillna(0).astype(np.int64).to_numpy()
    if role == "train":
        out_of_range = fake & ((methods < 1) | (methods > n_methods))
        for index in np.flatnonzero(out_of_range):
            shown = raw[METHOD_COLUMN].iat[index] or "(empty)"
            problems.append(
                f"{source.name}, line {_line(index)}, column '{METHOD_COLUMN}': "
                f"value {shown} on a fake training row; expected 1..{n_methods}"
            )
    return np.where(fake, methods, 0)


def _check_paths(frame: pd.DataFrame, source: Path) -> list[str]:
    problems = []
    paths = frame["img_path"].str.strip()
    for index in np.flatnonzero((paths == "").to_numpy()):
        problems.append(f"{source.name}, line {_line(index)}, column 'img_path': empty path")
    duplicated = paths.duplicated(keep="first") & (paths != "")
    first_line = {p: _line(i) for i, p in reversed(list(enumerate(paths)))}
    for index in np.flatnonzero(duplicated.to_numpy()):
        problems.append(
            f"{source.name}, line {_line(index)}, column 'img_path': duplicate of line "
            f"{first_line[paths.iat[index]]} ('{paths.iat[index]}')"
        )
    return problems


def _resolve(source: Path, img_path: str) -> Path:
    path = Path(img_path.strip()).expanduser()
    return path if path.is_absolute() else source.parent / path


def _check_image_files(frame: pd.DataFrame, source: Path, decode: bool) -> list[str]:
    from fairdf.data.transforms import verify_image

    problems = []
    for index, (img_path, path) in enumerate(zip(frame["img_path"], frame["path"], strict=True)):
        if not img_path.strip():
            continue
        if not Path(path).is_file():
            problems.append(
                f"{source.name}, line {_line(index)}, column 'img_path': image not found: {path}"
            )
        elif decode:
            reason = verify_image(path)
            if reason:
                problems.append(
                    f"{source.name}, line {_line(index)}, column 'img_path': "
                    f"corrupt image {path} ({reason})"
                )
    return problems


def _manifest_error(source: Path, problems: list[str]) -> ManifestError:
    shown = problems[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(shown)
    summary = f"{source.name}: {len(problems)} problem(s); first: {problems[0]}"
    if more:
        shown.append(f"... and {more} more")
    return ManifestError(summary, shown)
