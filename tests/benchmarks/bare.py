"""A bare PyTorch GAN loop: what ganbench's trainer costs is measured against it.

It draws the same latents and batches in the same order as ``ganbench.training.trainer.train``
(latents, then the real batch, per critic step; fresh latents for the generator step), with the same
networks, loss, optimisers and seed, and nothing else: no regularizer hooks, no curves, no
divergence checks, no checkpoints. So it must end with the same weights as the harness.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from ganbench.training.optimizers import build_optimizers
from ganbench.training.seeding import seed_everything
from ganbench.training.trainer import build_networks, run_kind


def bare_train(spec: RunSpec, catalog: Catalog, data: Tensor) -> tuple[nn.Module, nn.Module]:
    seed_everything(spec.seed, torch.device("cpu"))
    generator, discriminator = build_networks(spec, catalog, data)
    generator.train()
    discriminator.train()
    loss = catalog.spec("losses", spec.loss).factory()
    opt_g, opt_d = build_optimizers(spec, generator, discriminator)
    rng = torch.Generator().manual_seed(spec.seed)
    n, batch = data.shape[0], spec.batch_size
    kind = run_kind(spec, catalog)  # images -> [-1, 1]; points as they are
    for _ in range(spec.generator_steps):
        for _ in range(spec.d_steps_per_g_step):
            with torch.no_grad():
                fake = generator(torch.randn(batch, spec.latent_dim, generator=rng))
            real = kind.model_input(data[torch.randint(n, (batch,), generator=rng)])
            real_logits = discriminator(real)
            d_loss = loss.discriminator_loss(real_logits, discriminator(fake))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        fake = generator(torch.randn(batch, spec.latent_dim, generator=rng))
        g_loss = loss.generator_loss(discriminator(fake), real_logits.detach())
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    return generator, discriminator
