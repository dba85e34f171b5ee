"""`FairDetector` (docs/method.md, Architecture) and its inference part.

Training forward: images `(2B, 3, H, W)`, the B reals first, then the B fakes.

    forgery = E_f(x), demographic = E_d(x)                      (2B, 512, h, w)
    s = P_spe(forgery), f = P_sha(forgery), d = P_dem(demographic)   (2B, 256, h, w)
    u = AdaIN(d, f)
    heads: H_spe(s), H_sha(f), H_dem(d), H_fuse(u)  -> logits + pooled features
    z = cat(s, f), c = AdaIN(demographic, E_c(x))               (2B, 512, h, w)
    reconstructions: D(z_k, c_k), D(z_r, c_r), D(z_r, c_k), D(z_k, c_r) in one call

The score is p(fake) = softmax(H_fuse(u))[1]; it needs only E_f, E_d, P_sha, P_dem,
AdaIN and H_fuse (`FairDetectorInference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from fairdf.errors import ConfigError
from fairdf.models.blocks import ClassifierHead, FeatureBlock, adain
from fairdf.models.config import DetectorConfig
from fairdf.models.decoder import ReconstructionDecoder
from fairdf.models.encoders import Encoder, create_encoder, encoder_spec


class ScoreOutput(NamedTuple):
    """Scores of N images: `logits (N, 2)` of H_fuse and `p_fake (N,)` = softmax[:, 1]."""

    logits: Tensor
    p_fake: Tensor


@dataclass
class HeadOutput:
    """One head's `logits (N, K)` and its pooled input `features (N, C)`."""

    logits: Tensor
    features: Tensor


@dataclass
class Reconstructions:
    """The decoder's four images `(B, 3, H, W)`; each follows its style code's image."""

    fake_self: Tensor  # D(z_fake, c_fake) ~ fake images
    real_self: Tensor  # D(z_real, c_real) ~ real images
    fake_style: Tensor  # D(z_real, c_fake) ~ fake images
    real_style: Tensor  # D(z_fake, c_real) ~ real images

    def with_targets(self, images: Tensor) -> list[tuple[Tensor, Tensor]]:
        """(reconstruction, target image) pairs for `images (2B, 3, H, W)`, reals first."""
        real, fake = images.chunk(2)
        return [
            (self.fake_self, fake),
            (self.real_self, real),
            (self.fake_style, fake),
            (self.real_style, real),
        ]


@dataclass
class DetectorOutput:
    """Everything a training forward produces."""

    shared: HeadOutput  # H_sha(f): real/fake
    specific: HeadOutput  # H_spe(s): method 0..M
    demographic: HeadOutput | None  # H_dem(d): group 0..G-1 (None without that branch)
    fused: HeadOutput | None  # the head L_fuse acts on: H_fuse(u), the pg_fdd score
    reconstructions: Reconstructions | None


def build_encoders(config: DetectorConfig, count: int, adapter: bool = True) -> list[Encoder]:
    """`count` encoders of `config.encoder`, ImageNet weights from `config.pretrained`;
    without `adapter` they end at the trunk's own features."""
    stride = encoder_spec(config.encoder).stride
    if config.image_size < 2 * stride:
        raise ConfigError(
            f"config key 'model.image_size': {config.image_size} px is too small for encoder "
            f"'{config.encoder}' (stride {stride}); use at least {2 * stride}"
        )
    channels = config.encoder_channels if adapter else None
    encoders = [create_encoder(config.encoder, out_channels=channels) for _ in range(count)]
    from fairdf.models.weights import checkpoint_weights_file, load_trunk_weights

    # a fairdf checkpoint starts the whole model instead (`fairdf.methods.build_model`)
    if config.pretrained is not None and checkpoint_weights_file(config.pretrained) is None:
        load_trunk_weights([e.trunk for e in encoders], config.pretrained, config.encoder)
    return encoders


def classifier_head(config: DetectorConfig, n_classes: int) -> ClassifierHead:
    """A configured head: pooled features -> `n_classes` logits (docs/method.md, Architecture)."""
    return ClassifierHead(
        config.feature_channels, config.hidden_dim, n_classes, config.head_dropout
    )


def feature_block(config: DetectorConfig) -> FeatureBlock:
    """A configured feature block: encoder channels -> feature channels."""
    return FeatureBlock(config.encoder_channels, config.feature_channels)


def new_layers(model: nn.Module, encoders: tuple[Encoder, ...]) -> list[nn.Module]:
    """The Conv2d, Linear and BatchNorm layers of `model` outside the encoder trunks, in
    module order."""
    trunk_modules = {id(m) for encoder in encoders for m in encoder.trunk.modules()}
    kinds = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)
    return [m for m in model.modules() if id(m) not in trunk_modules and isinstance(m, kinds)]


def init_new_layers(model: nn.Module, encoders: tuple[Encoder, ...], init: str = "he") -> None:
    """Initialise every layer outside the trunks per `init` (the config's `model.init`).

    `reference`: PyTorch's default initialisation (`reset_parameters()`), drawn layer by
    layer in module order, as the reference code's layers start. `he`: He-normal weights
    (LeakyReLU slope 0.01) and zero biases. PyTorch's default init shrinks the signal
    about 3x per layer; across an adapter, a feature block and a head that starves
    encoders trained from scratch of gradient (measured: the tiny encoder's shared head
    reached test AUC 0.59 after 100 steps with the default init, 0.77 with He). Trunks
    keep timm's init or ImageNet weights either way.
    """
    for module in new_layers(model, encoders):
        if init == "reference":
            module.reset_parameters()
        elif not isinstance(module, nn.BatchNorm2d):
            nn.init.kaiming_normal_(module.weight, a=0.01, nonlinearity="leaky_relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def reconstruct(
    decoder: ReconstructionDecoder, images: Tensor, specific: Tensor, shared: Tensor, style: Tensor
) -> Reconstructions:
    """The four decoder images from codes z = cat(s, f) and style codes `(2B, C, h, w)`."""
    if images.shape[0] % 2:
        raise ValueError(
            f"a training batch holds B reals then B fakes; got {images.shape[0]} images"
        )
    real_code, fake_code = torch.cat([specific, shared], dim=1).chunk(2)
    real_style, fake_style = style.chunk(2)
    codes = torch.cat([fake_code, real_code, real_code, fake_code])
    styles = torch.cat([fake_style, real_style, fake_style, real_style])
    images_out = decoder(codes, styles, output_size=tuple(images.shape[-2:]))
    return Reconstructions(*images_out.chunk(4))


def _fused_logits(model: FairDetector | FairDetectorInference, images: Tensor) -> Tensor:
    shared = model.shared_block(model.forgery_encoder(images))
    demographic = model.demographic_block(model.demographic_encoder(images))
    logits, _ = model.fused_head(adain(demographic, shared))
    return logits


class FairDetectorInference(nn.Module):
    """The branches that produce the score: E_f, E_d, P_sha, P_dem, AdaIN, H_fuse.

    Its state dict keys are a subset of `FairDetector`'s. `forward` returns a
    `ScoreOutput` (a named tuple, so ONNX/TorchScript export sees two outputs).
    """

    def __init__(
        self,
        config: DetectorConfig,
        forgery_encoder: Encoder,
        demographic_encoder: Encoder,
        shared_block: FeatureBlock,
        demographic_block: FeatureBlock,
        fused_head: ClassifierHead,
    ):
        super().__init__()
        self.config = config
        self.forgery_encoder = forgery_encoder
        self.demographic_encoder = demographic_encoder
        self.shared_block = shared_block
        self.demographic_block = demographic_block
        self.fused_head = fused_head

    @classmethod
    def build(cls, config: DetectorConfig) -> FairDetectorInference:
        """Fresh modules (randomly initialised, or ImageNet trunks from `config.pretrained`)."""
        forgery, demographic = build_encoders(config, 2)
        return cls(
            config,
            forgery,
            demographic,
            feature_block(config),
            feature_block(config),
            classifier_head(config, config.head_logits),
        )

    def forward(self, images: Tensor) -> ScoreOutput:
        """images `(N, 3, H, W)` -> ScoreOutput(logits `(N, 2)`, p_fake `(N,)`)."""
        logits = _fused_logits(self, images)
        return ScoreOutput(logits, torch.softmax(logits.float(), dim=1)[:, 1])

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        """`forward` without gradients (call `.eval()` first for deterministic scores)."""
        return self(images)


class FairDetector(nn.Module):
    """The fairness-preserving detector with all training branches."""

    def __init__(self, config: DetectorConfig | None = None):
        super().__init__()
        self.config = config = config or DetectorConfig()
        self.forgery_encoder, self.content_encoder, self.demographic_encoder = build_encoders(
            config, 3
        )
        self.specific_block = feature_block(config)
        self.shared_block = feature_block(config)
        self.demographic_block = feature_block(config)
        self.specific_head = classifier_head(config, config.n_methods + 1)
        self.shared_head = classifier_head(config, 2)
        self.demographic_head = classifier_head(config, config.n_groups)
        self.fused_head = classifier_head(config, config.head_logits)
        self.decoder = ReconstructionDecoder(config.encoder_channels, config.decoder_dropout)
        self._init_new_layers()

    def new_layers(self) -> list[nn.Module]:
        """The Conv2d, Linear and BatchNorm layers outside the encoder trunks, in module order."""
        encoders = (self.forgery_encoder, self.content_encoder, self.demographic_encoder)
        return new_layers(self, encoders)

    def _init_new_layers(self) -> None:
        encoders = (self.forgery_encoder, self.content_encoder, self.demographic_encoder)
        init_new_layers(self, encoders, self.config.init)

    def forward(self, images: Tensor, *, reconstruct: bool = True) -> DetectorOutput:
        """images `(2B, 3, H, W)`, reals first -> DetectorOutput.

        With `reconstruct=False` (e.g. validation) the content encoder and the decoder
        are skipped and `reconstructions` is None; then any batch size is accepted.
        """
        forgery = self.forgery_encoder(images)
        demographic_map = self.demographic_encoder(images)
        specific = self.specific_block(forgery)
        shared = self.shared_block(forgery)
        demographic = self.demographic_block(demographic_map)
        output = DetectorOutput(
            shared=HeadOutput(*self.shared_head(shared)),
            specific=HeadOutput(*self.specific_head(specific)),
            demographic=HeadOutput(*self.demographic_head(demographic)),
            fused=HeadOutput(*self.fused_head(adain(demographic, shared))),
            reconstructions=None,
        )
        if reconstruct:
            output.reconstructions = self._reconstruct(images, specific, shared, demographic_map)
        return output

    def _reconstruct(
        self, images: Tensor, specific: Tensor, shared: Tensor, demographic_map: Tensor
    ) -> Reconstructions:
        if images.shape[0] % 2:  # before the content encoder runs
            raise ValueError(
                f"a training batch holds B reals then B fakes; got {images.shape[0]} images"
            )
        style = adain(demographic_map, self.content_encoder(images))
        return reconstruct(self.decoder, images, specific, shared, style)

    def inference_module(self) -> FairDetectorInference:
        """The scoring branches, sharing this detector's modules (no copy)."""
        return FairDetectorInference(
            self.config,
            self.forgery_encoder,
            self.demographic_encoder,
            self.shared_block,
            self.demographic_block,
            self.fused_head,
        )

    @torch.no_grad()
    def score(self, images: Tensor) -> ScoreOutput:
        """Scores of `images (N, 3, H, W)`, running only the inference branches."""
        return self.inference_module()(images)
