import numpy as np
import pandas as pd
import pytest

from fairdf.data.groups import SCHEMES, detect_scheme, get_scheme
from fairdf.errors import ManifestError, UnknownNameError


def attributes(rows):
    return pd.DataFrame(rows, columns=["ismale", "isasian", "iswhite", "isblack"])


def test_eight_group_numbering_matches_method_md():
    scheme = get_scheme("ffpp")
    assert scheme.group_names == (
        "male-asian", "male-white", "male-black", "male-others",
        "nonmale-asian", "nonmale-white", "nonmale-black", "nonmale-others",
    )  # fmt: skip
    frame = attributes(
        [[1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1], [1, -1, -1, -1],
         [-1, 1, -1, -1], [-1, -1, 1, -1], [-1, -1, -1, 1], [-1, -1, -1, -1]]
    )  # fmt: skip
    assert scheme.ids_from_attributes(frame).tolist() == list(range(8))


def test_six_group_numbering_drops_asian():
    scheme = get_scheme("celebdf")
    assert scheme.group_names == (
        "male-white", "male-black", "male-others", "nonmale-white", "nonmale-black", "nonmale-others",
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "ismale": [1, 1, 1, -1, -1, -1],
            "iswhite": [1, -1, -1, 1, -1, -1],
            "isblack": [-1, 1, -1, -1, 1, -1],
        }
    )
    assert scheme.ids_from_attributes(frame).tolist() == list(range(6))
    assert scheme.ids_from_attributes(attributes([[1, 1, -1, -1]])).tolist() == [-1]


def test_gender_and_race_views():
    scheme = SCHEMES["dfdc"]
    ids = np.arange(8)
    assert scheme.gender_of(ids).tolist() == ["male"] * 4 + ["nonmale"] * 4
    assert scheme.race_of(ids).tolist() == ["asian", "white", "black", "others"] * 2
    assert scheme.id_from_name("nonmale-black") == 6


def test_two_races_is_invalid():
    assert get_scheme("ffpp").ids_from_attributes(attributes([[1, -1, 1, 1]])).tolist() == [-1]


def test_unknown_scheme_lists_valid_names():
    with pytest.raises(UnknownNameError, match="celebdf, dfd, dfdc, ffpp"):
        get_scheme("nope")


def test_detect_scheme():
    no_asian_column = pd.DataFrame(
        {"ismale": [1], "iswhite": [1], "isblack": [-1], "intersec_label": [0]}
    )
    assert detect_scheme(no_asian_column).n_groups == 6
    with_asian = attributes([[1, 1, -1, -1]]).assign(intersec_label=[0])
    assert detect_scheme(with_asian).n_groups == 8
    male_white_8 = attributes([[1, -1, 1, -1]]).assign(intersec_label=[1])
    assert detect_scheme(male_white_8).n_groups == 8
    male_white_6 = attributes([[1, -1, 1, -1]]).assign(intersec_label=[0])
    assert detect_scheme(male_white_6).n_groups == 6
    with pytest.raises(ManifestError, match="--scheme"):
        detect_scheme(attributes([[1, -1, 1, -1]]))


def test_attributes_read_as_text():
    frame = attributes([["1", "-1", "-1", "1"], ["-1", "1", "-1", "-1"]]).assign(
        intersec_label=["2", "4"]
    )
    assert get_scheme("ffpp").ids_from_attributes(frame).tolist() == [2, 4]
    no_asian_rows = attributes([["-1", "-1", "-1", "1"]]).assign(intersec_label=["6"])
    assert detect_scheme(no_asian_rows).n_groups == 8
