"""RunSpec: everything that determines one training run, and its content-addressed id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RunSpec:
    suite: str
    dataset: str
    architecture: str
    loss: str
    regularizer: str
    seed: int
    resolution: int
    channels: int
    latent_dim: int
    generator_steps: int
    batch_size: int
    d_steps_per_g_step: int
    lr_generator: float
    lr_discriminator: float
    beta1: float
    beta2: float
    fid_samples: int
    curve_points: int
    device: str
    budget_seconds: float = 0.0  # wall-clock cap on training (0: none); generator_steps stays the ceiling
    eval_points: int = 0  # cheap FIDs at this many evenly spaced steps (the training curve)
    curve_fid_samples: int = 500
    compute_dtype: str = "fp32"  # or "bf16": autocast forward passes
    feature_extractor: str = ""  # "" = the dataset's default extractor
    mode_samples: int = 0  # samples on which modes are counted; 0 = the fid_samples
    optimizer: str = "adam"  # for G and D alike; see ganbench.training.optimizers
    recipe: str = ""  # the method of the literature this run is (a registered recipe), if any
    compile: bool = False  # torch.compile G and D (changes float rounding, so it is part of the id)
    conditioning: str = ""  # a registered conditioning method: a class-conditional run ("" = unconditional)

    @property
    def entry(self) -> str:
        """The leaderboard entry this run belongs to (all seeds of one configuration)."""
        components = f"{self.architecture}/{self.loss}/{self.regularizer}"
        if self.conditioning:
            components += f"/{self.conditioning}"
        return f"{self.recipe} ({components})" if self.recipe else components

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        """A spec from ``as_dict()`` output; fields added since a record was written take their default."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


# Fields added after records existed, with the value that reproduces the old behaviour: hashed only
# when set otherwise, so adding them left every existing run id unchanged.
_HASHED_WHEN_SET: dict[str, object] = {"mode_samples": 0, "optimizer": "adam", "recipe": "", "compile": False,
                                       "conditioning": ""}


def run_id(spec: RunSpec, context: dict[str, str]) -> str:
    """Hash of the canonical spec plus what else decides the result (code versions, data hash)."""
    canonical_spec = {key: value for key, value in spec.as_dict().items()
                      if key not in _HASHED_WHEN_SET or value != _HASHED_WHEN_SET[key]}
    canonical = json.dumps({"spec": canonical_spec, "context": context}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
