"""Names that command-line options accept, checked by argparse `choices`.

Kept as plain tuples (no library imports) so that `fairdf --help` stays fast; a test
checks each against the library's own table of names.
"""

from __future__ import annotations

SCHEMES = ("ffpp", "dfdc", "celebdf", "dfd")  # fairdf.data.groups.SCHEMES
FACE_DETECTORS = ("hog", "cnn")  # fairdf.prepare.faces.DETECTORS
AGGREGATES = ("mean", "median", "max")  # fairdf.inference.results.AGGREGATES
EXPORT_FORMATS = ("onnx", "torchscript", "hf")  # inference.export.FORMATS + hf_export
ONNX_OUTPUTS = ("two_logits", "fake_logit", "fake_prob")  # inference.onnx_scorer.OUTPUT_KINDS
QUANTIZE_TYPES = ("int8",)  # fairdf.inference.quantize.QUANTIZE_TYPES
LAYOUTS = ("auto", "any", "ffpp", "dfd", "celebdf", "dfdc")  # prepare.layouts.LAYOUTS
COMPRESSIONS = ("raw", "c23", "c40")  # prepare.layouts.COMPRESSIONS
DATASET_ADAPTERS = ("ffpp", "celebdf", "dfd", "dfdc", "generic")  # prepare.identities.ADAPTERS
# fairdf.models.peer_import.PEERS: the released detectors of each source
PEER_DETECTORS = {
    "official": ("pg_fdd",),
    "deepfakebench": ("xception", "efficientnetb4", "ucf"),
    "aiface": ("xception", "efficientnet", "daw_fdd", "dag_fdd", "ucf", "fair_df_detector"),
}
