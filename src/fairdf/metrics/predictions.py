"""Predictions tables: read, validate and normalise one row per scored image.

Accepted columns (extra columns are kept):
- `label`: 0 real / 1 fake;
- the score: `score` = p(fake) in [0, 1]; or `logit_real,logit_fake`, scored as
  softmax(logits)[fake]; or, with the reference convention, `logit_fake` alone, scored as
  sigmoid(logit_fake) with the reference metric script's formula (`fairdf.metrics.reference`);
- the group: see `fairdf.metrics.grouping`.

The normalised frame has `label` (int8), `score` (float64), `group` (int64 id of the
scheme), `gender` and `race` (names) besides the original columns (columns of those
names are replaced).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from fairdf.csvheader import duplicate_message, header_names
from fairdf.data.attributes import AttributeScheme
from fairdf.data.groups import GroupScheme
from fairdf.errors import DataError
from fairdf.metrics.grouping import group_ids, resolve_scheme
from fairdf.metrics.problems import Problems, shown
from fairdf.metrics.reference import reference_sigmoid

SCORE_CONVENTION = "score = p(fake) from the score column"
SOFTMAX_CONVENTION = "score = softmax(logit_real, logit_fake)[fake]"
REFERENCE_CONVENTION = "score = sigmoid(logit_fake) (reference metric script)"


@dataclass(frozen=True)
class PredictionTable:
    """A validated predictions table (see the module docstring for its columns)."""

    frame: pd.DataFrame
    scheme: GroupScheme
    source: str
    convention: str
    first_line: int | None = 2  # file line of row 0; None for in-memory tables

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def label(self) -> np.ndarray:
        """(n,) int8, 0 real / 1 fake."""
        return self.frame["label"].to_numpy()

    @property
    def score(self) -> np.ndarray:
        """(n,) float64 p(fake)."""
        return self.frame["score"].to_numpy()

    @property
    def group(self) -> np.ndarray:
        """(n,) int64 intersectional group id."""
        return self.frame["group"].to_numpy()

    @property
    def reference(self) -> bool:
        """True when scored with the reference convention (its rules apply to the metrics)."""
        return self.convention == REFERENCE_CONVENTION

    def problems(self) -> Problems:
        """An empty problem list naming rows the way this table's source does."""
        return Problems(self.source, self.first_line)


def read_predictions(
    path: str | os.PathLike,
    scheme: str | GroupScheme | None = None,
    reference_convention: bool = False,
) -> PredictionTable:
    """Read a predictions CSV; raise DataError naming file, line and column of bad values."""
    source = Path(path)
    if not source.is_file():
        raise DataError(f"{source}: predictions file not found; check the path")
    try:
        repeated = duplicate_message(source, header_names(source))
        if repeated:
            raise DataError(repeated)
        raw = pd.read_csv(source, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{source}: file is empty; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{source}: not a readable CSV ({reason})") from None
    return prepare_predictions(
        raw, scheme, reference_convention=reference_convention, source=str(source), first_line=2
    )


def prepare_predictions(
    frame: pd.DataFrame,
    scheme: str | GroupScheme | None = None,
    *,
    reference_convention: bool = False,
    source: str = "predictions table",
    first_line: int | None = None,
) -> PredictionTable:
    """Validate and normalise an in-memory predictions table (rows named by position)."""
    frame = frame.rename(columns=lambda c: c.strip() if isinstance(c, str) else c)
    repeated = duplicate_message(source, [str(c) for c in frame.columns])
    if repeated:
        raise DataError(repeated)
    if len(frame) == 0:
        raise DataError(f"{source}: no rows; a predictions table needs one row per scored image")
    if "label" not in frame.columns:
        raise DataError(
            f"{source}: no 'label' column (0 real / 1 fake); columns are {_listed(frame)}"
        )
    resolved = resolve_scheme(frame, scheme, source)
    problems = Problems(source, first_line)
    label = _labels(frame, problems)
    score, convention = _scores(frame, reference_convention, problems)
    group = group_ids(frame, resolved, problems)
    problems.raise_if_any()
    normalised = frame.assign(
        label=label.astype(np.int8), score=score, group=group, **_attribute_names(resolved, group)
    )
    return PredictionTable(normalised, resolved, source, convention, first_line)


def _attribute_names(scheme, group: np.ndarray) -> dict[str, pd.Categorical]:
    """The normalised value of each attribute column per row (gender and race by default)."""
    if isinstance(scheme, AttributeScheme):
        codes = scheme.attribute_codes(group)
        return {
            column: pd.Categorical.from_codes(code, values)
            for (column, values), code in zip(scheme.attributes, codes, strict=True)
        }
    return {
        "gender": pd.Categorical.from_codes(group // len(scheme.races), ("male", "nonmale")),
        "race": pd.Categorical.from_codes(group % len(scheme.races), scheme.races),
    }


def _listed(frame: pd.DataFrame) -> str:
    return ", ".join(map(str, frame.columns)) or "(none)"


def _labels(frame: pd.DataFrame, problems: Problems) -> np.ndarray:
    raw = frame["label"]
    values = pd.to_numeric(raw, errors="coerce")
    valid = values.isin((0, 1)).to_numpy()
    problems.add_rows(
        "label",
        ~valid,
        lambda i: f"label {shown(raw.iloc[i])} is not 0 or 1",
        "labels are 0 (real) or 1 (fake)",
    )
    return np.where(valid, values.fillna(0).to_numpy(), 0).astype(np.int64)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _scores(
    frame: pd.DataFrame, reference_convention: bool, problems: Problems
) -> tuple[np.ndarray, str]:
    """p(fake) per row (n,) float64 and the convention that produced it."""
    columns = frame.columns
    if reference_convention:
        if "logit_fake" not in columns:
            raise DataError(
                f"{problems.source}: the reference convention scores rows as sigmoid(logit_fake), "
                f"but there is no 'logit_fake' column; columns are {_listed(frame)}"
            )
        logit = _finite_column(frame, "logit_fake", problems)
        return reference_sigmoid(logit), REFERENCE_CONVENTION
    if "score" in columns:
        score = _numeric(frame, "score")
        raw = frame["score"]
        problems.add_rows(
            "score",
            ~((score >= 0) & (score <= 1)),
            lambda i: f"score {shown(raw.iloc[i])} is not a number in [0, 1]",
            "scores are p(fake); put raw logits in logit_real,logit_fake instead",
        )
        return np.nan_to_num(score), SCORE_CONVENTION
    if "logit_real" in columns and "logit_fake" in columns:
        real = _finite_column(frame, "logit_real", problems)
        fake = _finite_column(frame, "logit_fake", problems)
        return expit(fake - real), SOFTMAX_CONVENTION
    if "logit_fake" in columns:
        raise DataError(
            f"{problems.source}: no 'score' column; pass --reference-convention to score rows "
            "as sigmoid(logit_fake) like the reference metric script, or add score = p(fake)"
        )
    raise DataError(
        f"{problems.source}: no 'score' column (p(fake) in [0, 1]) and no logit_real,logit_fake; "
        f"columns are {_listed(frame)}"
    )


def _finite_column(frame: pd.DataFrame, column: str, problems: Problems) -> np.ndarray:
    values = _numeric(frame, column)
    raw = frame[column]
    problems.add_rows(
        column,
        ~np.isfinite(values),
        lambda i: f"{shown(raw.iloc[i])} is not a finite number",
        "logits must be finite numbers",
    )
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
