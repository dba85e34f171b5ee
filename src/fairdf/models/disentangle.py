"""`DisentangleDetector`: UCF's architecture, the paper's detector without demographics.

Training forward on images `(2B, 3, H, W)`, the B reals first:

    forgery = E_f(x), content = E_c(x)                         (2B, C, h, w)
    s = P_spe(forgery), f = P_sha(forgery)                     (2B, C/2, h, w)
    heads: H_spe(s) (method 0..M), H_sha(f) (real/fake)
    reconstructions: D(z_k, c_k), D(z_r, c_r), D(z_r, c_k), D(z_k, c_r), z = cat(s, f), c = content

It serves `ucf` and the ablation `pg_fdd_no_demographic`; both score with H_sha, so
`fused` (the head a fairness loss acts on) is the shared head's output.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from fairdf.models.blocks import ClassifierHead, FeatureBlock
from fairdf.models.config import DetectorConfig
from fairdf.models.decoder import ReconstructionDecoder
from fairdf.models.detector import (
    DetectorOutput,
    HeadOutput,
    ScoreOutput,
    build_encoders,
    classifier_head,
    feature_block,
    init_new_layers,
    reconstruct,
)
from fairdf.models.encoders import Encoder


class SharedHeadInference(nn.Module):
    """E_f, P_sha and H_sha: images `(N, 3, H, W)` -> ScoreOutput of H_sha."""

    def __init__(
        self,
        config: DetectorConfig,
        forgery_encoder: Encoder,
        shared_block: FeatureBlock,
        shared_head: ClassifierHead,
    ):
        super().__init__()
        self.config = config
        self.forgery_encoder = forgery_encoder
        self.shared_block = shared_block
        self.shared_head = shared_head

    def forward(self, images: Tensor) -> ScoreOutput:
        logits, _ = self.shared_head(self.shared_block(self.forgery_encoder(images)))
        return ScoreOutput(logits, torch.softmax(logits.float(), dim=1)[:, 1])

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        return self(images)


class DisentangleDetector(nn.Module):
    """Forgery and content encoders, specific/shared blocks and heads, the decoder."""

    def __init__(self, config: DetectorConfig | None = None):
        super().__init__()
        self.config = config = config or DetectorConfig(method="ucf")
        self.forgery_encoder, self.content_encoder = build_encoders(config, 2)
        self.specific_block = feature_block(config)
        self.shared_block = feature_block(config)
        self.specific_head = classifier_head(config, config.n_methods + 1)
        self.shared_head = classifier_head(config, config.head_logits)  # it scores
        self.decoder = ReconstructionDecoder(config.encoder_channels, config.decoder_dropout)
        init_new_layers(self, (self.forgery_encoder, self.content_encoder), self.config.init)

    def forward(self, images: Tensor, *, reconstruct: bool = True) -> DetectorOutput:
        """images `(2B, 3, H, W)`, reals first -> DetectorOutput (no demographic head)."""
        forgery = self.forgery_encoder(images)
        specific = self.specific_block(forgery)
        shared = self.shared_block(forgery)
        shared_output = HeadOutput(*self.shared_head(shared))
        output = DetectorOutput(
            shared=shared_output,
            specific=HeadOutput(*self.specific_head(specific)),
            demographic=None,
            fused=shared_output,
            reconstructions=None,
        )
        if reconstruct:
            output.reconstructions = self._reconstruct(images, specific, shared)
        return output

    def _reconstruct(self, images: Tensor, specific: Tensor, shared: Tensor):
        if images.shape[0] % 2:
            raise ValueError(
                f"a training batch holds B reals then B fakes; got {images.shape[0]} images"
            )
        return reconstruct(self.decoder, images, specific, shared, self.content_encoder(images))

    def inference_module(self) -> SharedHeadInference:
        return SharedHeadInference(
            self.config, self.forgery_encoder, self.shared_block, self.shared_head
        )

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        return self.inference_module()(images)
