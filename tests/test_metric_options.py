"""The metric options of `fairdf metrics` and `fairdf report` travel as one object."""

from __future__ import annotations

import argparse
import dataclasses

from fairdf.commands.metric_options import add_metric_options, metric_options
from fairdf.metrics import MetricOptions
from fairdf.report.build import ReportOptions

NON_DEFAULT = [
    "--scheme", "celebdf", "--by", "age", "--by", "site", "--reference-convention",
    "--threshold", "0.3", "--bootstrap", "7", "--ci", "0.8", "--cluster-by", "video",
    "--seed", "11",
]  # fmt: skip


def test_every_option_reaches_the_options_object():
    parser = argparse.ArgumentParser()
    add_metric_options(parser, bootstrap_default=0)
    options = metric_options(parser.parse_args(NON_DEFAULT))
    assert options == MetricOptions(
        scheme="celebdf",
        by=("age", "site"),
        reference_convention=True,
        threshold=0.3,
        bootstrap=7,
        ci=0.8,
        cluster_by="video",
        seed=11,
    )
    defined = {a.dest for a in parser._actions if a.dest != "help"}
    # --attributes is folded into `scheme`; each --reference-group into `reference_groups`
    renamed = {"reference_group": "reference_groups"}
    defined = {renamed.get(dest, dest) for dest in defined} - {"attributes"}
    assert defined == {field.name for field in dataclasses.fields(MetricOptions)}


def test_report_options_differ_only_in_the_bootstrap_default():
    assert ReportOptions().bootstrap == 1000
    assert ReportOptions(bootstrap=0).as_dict() == MetricOptions().as_dict()
