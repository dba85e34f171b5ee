"""Compare detectors on the same test images: metrics, paired differences, significance.

result = compare_models(["a.csv", "b.csv"], names=["A", "B"], baseline="A")
result.testsets[""].differences["B"][("fairness", "intersectional", "F_FPR")]
"""

from __future__ import annotations

from fairdf.compare.compute import CompareOptions, Comparison, ComparisonSet, compare_models
from fairdf.compare.tables import format_comparisons

__all__ = ["CompareOptions", "Comparison", "ComparisonSet", "compare_models", "format_comparisons"]
