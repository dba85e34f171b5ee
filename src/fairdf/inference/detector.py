"""`Detector`: score images and videos with a checkpoint (`fairdf.load_detector`).

    detector = fairdf.load_detector("RUN/checkpoints/best")
    detector.predict(["face.jpg", pil_image, rgb_array])   # one row per input
    detector.predict_video("clip.mp4", frames=32)          # frame rows + video score

With `align=True` (default) the largest face of each image or frame is found and
aligned exactly as `fairdf prepare faces` does (dlib detector, 68 landmarks, eyes
levelled, `margin` x the landmark box), at the checkpoint's image size. With
`align=False` inputs are taken as ready face crops and resized like `fairdf test`
resizes its crops. Only the scoring branch of the checkpoint's method is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from fairdf.data.transforms import open_rgb, to_tensor
from fairdf.engine.checkpoint import CheckpointInfo, load_checkpoint
from fairdf.errors import ConfigError, DataError, ImageError
from fairdf.inference.media import IMAGE, VIDEO, MediaFile, collect_media, sample_video
from fairdf.inference.results import (
    BOX_COLUMNS,
    Box,
    FaceScore,
    PredictionReport,
    Skipped,
    VideoScore,
    aggregate_scores,
    check_aggregate,
)
from fairdf.models.detector import ScoreOutput
from fairdf.prepare.faces import CropOptions

ImageInput = str | Path | np.ndarray | Image.Image
NO_FACE = "no face found"


@dataclass
class Crop:
    """An input ready to score: `pixels (3, S, S)` in [-1, 1] and the face box, if aligned."""

    pixels: torch.Tensor
    box: Box | None


@dataclass
class VideoPrediction:
    """Scores of a video's sampled frames and their aggregate (NaN when no face was found)."""

    source: str
    frames: pd.DataFrame  # one row per frame with a face: frame, box, logits, score
    score: float
    aggregate: str
    sampled: int
    no_face: list[int] = field(default_factory=list)


def resolve_device(name: str | torch.device) -> torch.device:
    """'auto' -> CUDA when a GPU is visible, else the CPU."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"device '{name}': not a device name (auto, cpu, cuda, cuda:1 ...)"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{name}': CUDA requested but no GPU is visible; use cpu")
    return device


def check_sampling(frames: int, aggregate: str) -> None:
    """Refuse a frame count below 1 or an unknown aggregate before any video is read."""
    check_aggregate(aggregate)
    if frames < 1:
        raise ConfigError(f"--frames must be at least 1, got {frames}")


def as_rgb(image: ImageInput) -> np.ndarray:
    """A path, PIL image or uint8 array -> `(H, W, 3)` uint8 RGB; ImageError if impossible."""
    if isinstance(image, str | Path):
        image = open_rgb(image)
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    if isinstance(image, np.ndarray):
        channels_ok = image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3, 4))
        if image.dtype == np.uint8 and channels_ok and min(image.shape[:2]) > 0:
            squeezed = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image
            return np.asarray(Image.fromarray(squeezed).convert("RGB"))
        raise ImageError(
            f"expected an (H, W, 3) uint8 RGB array, got shape {image.shape} and dtype "
            f"{image.dtype}"
        )
    raise ImageError(f"cannot score a {type(image).__name__}; give a path, PIL image or array")


def source_name(image: ImageInput, position: int) -> str:
    """How an input is named in results: its path, a PIL image's file name, or its position."""
    if isinstance(image, str | Path):
        return str(image)
    filename = getattr(image, "filename", "")
    return str(filename) if filename else f"<input {position}>"


class Detector:
    """A checkpoint's scoring branches plus the face alignment of `fairdf prepare`."""

    def __init__(
        self,
        model: torch.nn.Module,  # a method's inference module (scoring branch only)
        info: CheckpointInfo | None,  # None: another scorer (e.g. an ONNX model)
        device: torch.device,
        *,
        face_detector: str = "hog",
        upsample: int | None = None,
        margin: float = 1.3,
        batch_size: int = 32,
        image_size: int | None = None,  # default: the checkpoint's
    ):
        if batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
        self.model = model.eval()
        self.info = info
        self.device = device
        self.batch_size = batch_size
        if image_size is None:
            if info is None:
                raise ValueError("a Detector without a checkpoint needs image_size")
            image_size = info.detector.image_size
        self.image_size = image_size
        self.crop_options = CropOptions(
            detector=face_detector, size=image_size, margin=margin, upsample=upsample
        )

    def score(self, images: torch.Tensor) -> ScoreOutput:
        """images `(N, 3, S, S)` in [-1, 1] -> ScoreOutput(logits `(N, 2)`, p_fake `(N,)`),
        on the CPU, in batches of `batch_size`."""
        logits = []
        for batch in images.split(self.batch_size):
            logits.append(self.model.score(batch.to(self.device)).logits.float().cpu())
        joined = torch.cat(logits) if logits else torch.empty(0, 2)
        return ScoreOutput(joined, torch.softmax(joined, dim=1)[:, 1])

    def crop(self, image: np.ndarray, align: bool = True) -> Crop | None:
        """`(H, W, 3)` uint8 RGB -> the input to score, or None when no face is found."""
        size = self.image_size
        if not align:
            return Crop(to_tensor(Image.fromarray(image), size), None)
        from fairdf.prepare.faces import align_face, get_finder

        options = self.crop_options
        scale, upsample = options.detection_plan()
        face = get_finder(options.detector, upsample).find(image, scale)
        if face is None:
            return None
        aligned = align_face(image, face, options.size, options.margin)
        box = tuple(int(v) for v in face.box)
        return Crop(to_tensor(Image.fromarray(aligned.crop), size), box)  # type: ignore[arg-type]

    def predict(
        self, images: ImageInput | Iterable[ImageInput], *, align: bool = True
    ) -> pd.DataFrame:
        """Score images (paths, PIL images, `(H, W, 3)` uint8 RGB arrays): one row per input.

        Columns: source, left, top, right, bottom (the face in input pixels; empty with
        `align=False`), logit_real, logit_fake, score (p(fake)), status ("ok",
        "no face found" or "unreadable: <why>"; the scores are NaN unless "ok").
        """
        if isinstance(images, str | Path | Image.Image) or (
            isinstance(images, np.ndarray) and images.ndim < 4
        ):
            images = [images]  # one image; an (N, H, W, 3) array is N images
        results: list[FaceScore | dict[str, str]] = []
        with _Scorer(self, PredictionReport()) as scorer:
            for position, image in enumerate(images):
                source = source_name(image, position)
                try:
                    crop = self.crop(as_rgb(image), align)
                except ImageError as exc:
                    results.append({"source": source, "status": f"unreadable: {exc}"})
                    continue
                if crop is None:
                    results.append({"source": source, "status": NO_FACE})
                else:
                    results.append(scorer.add(source, IMAGE, None, crop))  # filled in later
        rows = [r if isinstance(r, dict) else {**r.row(), "status": "ok"} for r in results]
        columns = ["source", *BOX_COLUMNS, "logit_real", "logit_fake", "score", "status"]
        frame = pd.DataFrame(rows, columns=columns)
        frame[list(BOX_COLUMNS)] = frame[list(BOX_COLUMNS)].astype("Int64")
        return frame

    def predict_video(
        self, path: str | Path, frames: int = 32, aggregate: str = "mean", *, align: bool = True
    ) -> VideoPrediction:
        """Score `frames` evenly spaced frames of a video and aggregate them (mean, median, max).

        Raises DataError when the video cannot be read.
        """
        check_sampling(frames, aggregate)
        report = PredictionReport()
        with _Scorer(self, report) as scorer:
            scorer.add_video(MediaFile(Path(path), VIDEO), frames, aggregate, align, strict=True)
        table = report.table()
        face_rows = table[table["kind"] == "frame"].drop(columns=["source", "kind"])
        video = report.videos[0]
        return VideoPrediction(
            source=str(path),
            frames=face_rows.reset_index(drop=True),
            score=video.score,
            aggregate=aggregate,
            sampled=video.sampled,
            no_face=[int(s.frame) for s in report.no_face if s.frame is not None],
        )

    def predict_paths(
        self,
        paths: Iterable[str | Path],
        *,
        frames: int = 32,
        aggregate: str = "mean",
        align: bool = True,
        progress: Callable[[MediaFile], None] | None = None,
    ) -> PredictionReport:
        """Score image and video files and folders of them (what `fairdf predict` does).

        Missing paths raise DataError before anything is read; files without a face and
        unreadable files are listed in the report.
        """
        check_sampling(frames, aggregate)
        media = collect_media(paths)
        report = PredictionReport()
        with _Scorer(self, report) as scorer:
            for item in media:
                if item.kind == VIDEO:
                    scorer.add_video(item, frames, aggregate, align)
                else:
                    scorer.add_image(item, align)
                if progress is not None:
                    progress(item)
        return report


class _Scorer:
    """Collects crops from many inputs and scores them in batches into a report."""

    def __init__(self, detector: Detector, report: PredictionReport):
        self.detector = detector
        self.report = report
        self.pending: list[tuple[FaceScore, torch.Tensor]] = []

    def __enter__(self) -> _Scorer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            self.flush()

    def add(self, source: str, kind: str, frame: int | None, crop: Crop) -> FaceScore:
        """Queue a crop; its FaceScore (returned) gets its scores when its batch runs."""
        item = FaceScore(source, kind, frame, crop.box, np.nan, np.nan, np.nan)
        self.report.items.append(item)
        self.pending.append((item, crop.pixels))
        if len(self.pending) >= self.detector.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.pending:
            return
        output = self.detector.score(torch.stack([pixels for _, pixels in self.pending]))
        for (item, _), logits, p_fake in zip(
            self.pending, output.logits, output.p_fake, strict=True
        ):
            item.logit_real, item.logit_fake = float(logits[0]), float(logits[1])
            item.score = float(p_fake)
        self.pending = []

    def add_image(self, media: MediaFile, align: bool) -> None:
        source = str(media.path)
        try:
            crop = self.detector.crop(as_rgb(media.path), align)
        except ImageError as exc:
            self.report.unreadable.append(Skipped(source, IMAGE, reason=str(exc)))
            return
        if crop is None:
            self.report.no_face.append(Skipped(source, IMAGE, reason=NO_FACE))
        else:
            self.add(source, IMAGE, None, crop)

    def add_video(
        self, media: MediaFile, frames: int, aggregate: str, align: bool, strict: bool = False
    ) -> None:
        """Score a video's sampled frames; its aggregate is filled in when they are scored."""
        source = str(media.path)
        try:
            crops = sample_video(media.path, frames, lambda rgb: self.detector.crop(rgb, align))
        except (DataError, ImageError) as exc:
            if strict:
                raise DataError(f"{source}: {exc}") from None
            self.report.unreadable.append(Skipped(source, VIDEO, reason=str(exc)))
            return
        items = []
        for index, crop in crops.items():
            if crop is None:
                self.report.no_face.append(Skipped(source, "frame", index, NO_FACE))
            else:
                items.append(self.add(source, "frame", index, crop))
        if not items:
            self.report.no_face.append(Skipped(source, VIDEO, reason=NO_FACE))
            if not strict:
                return
        self.flush()
        score = aggregate_scores([item.score for item in items], aggregate)
        self.report.videos.append(VideoScore(source, score, aggregate, len(items), len(crops)))


def load_detector(
    path: str | Path,
    device: str | torch.device = "auto",
    *,
    face_detector: str = "hog",
    upsample: int | None = None,
    margin: float = 1.3,
    batch_size: int = 32,
) -> Detector:
    """Load a checkpoint folder (e.g. `RUN/checkpoints/best`) for scoring.

    Only the scoring branches are built. `face_detector` ("hog" or "cnn"), `upsample`
    and `margin` choose how faces are found and cropped, as in `fairdf prepare faces`.
    """
    target = resolve_device(device)
    CropOptions(detector=face_detector, margin=margin, upsample=upsample)  # fail before loading
    model, info = load_checkpoint(path, inference_only=True, map_location=target)
    return Detector(
        model,  # type: ignore[arg-type]
        info,
        target,
        face_detector=face_detector,
        upsample=upsample,
        margin=margin,
        batch_size=batch_size,
    )
