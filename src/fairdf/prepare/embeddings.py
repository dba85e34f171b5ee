"""Identities from face embeddings, where the file names tell none.

Each video gets the mean of dlib's 128-d face descriptors
(`dlib_face_recognition_resnet_model_v1.dat`) over a few of its crops; videos whose
descriptors lie closer than `threshold` (dlib's usual 0.6) are joined, transitively
(single-linkage: connected components of the threshold graph). Joining too much is the
safe side for an identity-disjoint split.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fairdf.prepare.faces import import_dlib, model_file
from fairdf.prepare.files import read_rgb

DEFAULT_THRESHOLD = 0.6
BLOCK = 1024


@functools.lru_cache(maxsize=1)
def _recogniser():
    dlib = import_dlib()
    return dlib.face_recognition_model_v1(
        str(model_file("dlib_face_recognition_resnet_model_v1.dat"))
    )


def crop_descriptor(crop: Path) -> np.ndarray:
    """The `(128,)` dlib descriptor of an aligned crop, using its sidecar's landmarks."""
    from fairdf.prepare.crops import crop_landmarks

    dlib = import_dlib()
    image = read_rgb(crop)
    points = crop_landmarks(crop)
    height, width = image.shape[:2]
    shape = dlib.full_object_detection(
        dlib.rectangle(0, 0, width - 1, height - 1),
        [dlib.point(int(round(x)), int(round(y))) for x, y in points],
    )
    return np.asarray(_recogniser().compute_face_descriptor(image, shape), dtype=np.float64)


def video_descriptors(crops_by_video: dict[str, Sequence[Path]], per_video: int = 4) -> np.ndarray:
    """`(V, 128)` mean descriptor per video over up to `per_video` evenly spaced crops."""
    from tqdm import tqdm

    vectors = []
    for crops in tqdm(
        crops_by_video.values(), desc="embeddings", unit="video", file=sys.stderr, disable=None
    ):
        picks = np.unique(np.linspace(0, len(crops) - 1, min(per_video, len(crops))).round())
        vectors.append(np.mean([crop_descriptor(crops[int(i)]) for i in picks], axis=0))
    return np.asarray(vectors).reshape(len(vectors), -1)


def threshold_clusters(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Cluster id per row of `(N, D)` vectors: connected components of distance < threshold."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(vectors)
    rows, columns = [], []
    squared = (vectors**2).sum(axis=1)
    for start in range(0, n, BLOCK):  # blockwise, so memory stays O(BLOCK * N)
        block = vectors[start : start + BLOCK]
        distances = squared[start : start + BLOCK, None] + squared[None, :] - 2 * block @ vectors.T
        close_rows, close_columns = np.nonzero(distances < threshold**2)
        rows.append(close_rows + start)
        columns.append(close_columns)
    row_index = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
    column_index = np.concatenate(columns) if columns else np.zeros(0, dtype=int)
    graph = coo_matrix((np.ones(len(row_index)), (row_index, column_index)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def embedding_identities(
    crops_by_video: dict[str, Sequence[Path]],
    threshold: float = DEFAULT_THRESHOLD,
    per_video: int = 4,
) -> dict[str, str]:
    """An identity token ('face-<cluster>') per video from clustered face descriptors."""
    if not crops_by_video:
        return {}
    clusters = threshold_clusters(video_descriptors(crops_by_video, per_video), threshold)
    return {
        video: f"face-{cluster}" for video, cluster in zip(crops_by_video, clusters, strict=True)
    }
