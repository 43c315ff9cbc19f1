"""The training loop: the same for every architecture, loss and regularizer."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from ganbench.training.seeding import seed_everything


@dataclass
class TrainResult:
    generator: nn.Module
    discriminator: nn.Module
    evaluated: nn.Module  # the generator to score (an EMA copy, for instance)
    status: str  # "completed" or "diverged"
    reason: str
    steps_done: int
    images_seen: int
    train_seconds: float
    curve_step: list[int] = field(default_factory=list)
    curve_d_loss: list[float] = field(default_factory=list)
    curve_g_loss: list[float] = field(default_factory=list)


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def to_uint8(images: Tensor) -> Tensor:
    """float [-1, 1] -> uint8 [0, 255]."""
    return images.add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def prepare_images(images: Tensor, resolution: int, channels: int) -> Tensor:
    """Resize uint8 images to the suite's resolution and channel count (bilinear, antialiased)."""
    if images.shape[1] != channels:
        if channels == 3 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        else:
            raise ValueError(f"cannot turn {images.shape[1]}-channel images into {channels} channels")
    if images.shape[-1] != resolution or images.shape[-2] != resolution:
        resized = nn.functional.interpolate(images.float(), size=(resolution, resolution),
                                            mode="bilinear", antialias=True, align_corners=False)
        images = resized.round().clamp(0, 255).to(torch.uint8)
    return images.contiguous()


def train(spec: RunSpec, catalog: Catalog, data: Tensor, device: torch.device) -> TrainResult:
    """Train ``spec`` on uint8 ``data`` (N, C, H, W at the spec's resolution).

    Batches and latents come from one seeded generator on the CPU, so the sequence of inputs is
    the same on every device. A non-finite loss stops the run as ``diverged``.
    """
    seed_everything(spec.seed, device)
    image_shape = (spec.channels, spec.resolution, spec.resolution)
    generator, discriminator = catalog.spec("architectures", spec.architecture).build(image_shape,
                                                                                      spec.latent_dim)
    loss = catalog.spec("losses", spec.loss).factory()
    regularizer = catalog.spec("regularizers", spec.regularizer).factory()
    generator, discriminator = regularizer.wrap(generator, discriminator)
    generator.to(device).train()
    discriminator.to(device).train()
    betas = (spec.beta1, spec.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=spec.lr_generator, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=spec.lr_discriminator, betas=betas)
    rng = torch.Generator().manual_seed(spec.seed)
    n, batch = data.shape[0], spec.batch_size

    def real_batch() -> Tensor:
        idx = torch.randint(n, (batch,), generator=rng)
        return to_unit_range(data[idx]).to(device)

    def latents() -> Tensor:
        return torch.randn(batch, spec.latent_dim, generator=rng).to(device)

    uses_features = bool(getattr(loss, "uses_features", False))
    window = max(1, math.ceil(spec.generator_steps / max(1, spec.curve_points)))
    result = TrainResult(generator, discriminator, generator, "completed", "", 0, 0, 0.0)
    sum_d = sum_g = 0.0
    start = time.perf_counter()
    for step in range(1, spec.generator_steps + 1):
        regularizer.set_progress(step, spec.generator_steps)
        for _ in range(spec.d_steps_per_g_step):
            with torch.no_grad():
                fake = generator(latents())
            real, fake = regularizer.augment(real_batch()), regularizer.augment(fake)
            real_logits, fake_logits = discriminator(real), discriminator(fake)
            d_loss = loss.discriminator_loss(real_logits, fake_logits)
            penalty = regularizer.discriminator_penalty(discriminator, real, fake, real_logits, fake_logits)
            if penalty is not None:
                d_loss = d_loss + penalty
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            result.images_seen += batch
        fake = regularizer.augment(generator(latents()))
        if uses_features:
            with torch.no_grad():
                real_features = discriminator.features(real)
            g_loss = loss.feature_loss(discriminator.features(fake), real_features)
        else:
            g_loss = loss.generator_loss(discriminator(fake), real_logits.detach())
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        regularizer.after_generator_step(generator)
        d_value, g_value = float(d_loss.detach()), float(g_loss.detach())
        result.steps_done = step
        if not (math.isfinite(d_value) and math.isfinite(g_value)):
            result.status = "diverged"
            which = "discriminator" if not math.isfinite(d_value) else "generator"
            result.reason = f"non-finite {which} loss at generator step {step}"
            break
        sum_d += d_value
        sum_g += g_value
        if step % window == 0 or step == spec.generator_steps:
            count = step - (result.curve_step[-1] if result.curve_step else 0)
            result.curve_step.append(step)
            result.curve_d_loss.append(sum_d / count)
            result.curve_g_loss.append(sum_g / count)
            sum_d = sum_g = 0.0
    result.evaluated = regularizer.eval_generator(generator)
    result.train_seconds = time.perf_counter() - start
    return result


@torch.no_grad()
def sample(generator: nn.Module, count: int, latent_dim: int, seed: int, device: torch.device,
           batch: int = 500) -> Tensor:
    """``count`` uint8 samples from fixed, seeded latents (the same for every entry with this seed)."""
    generator.eval()
    rng = torch.Generator().manual_seed(10_000 + seed)
    chunks = []
    for start in range(0, count, batch):
        z = torch.randn(min(batch, count - start), latent_dim, generator=rng).to(device)
        chunks.append(to_uint8(generator(z)).cpu())
    return torch.cat(chunks)
