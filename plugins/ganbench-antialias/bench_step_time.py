"""Training-step time of dcgan-antialias against ganbench's dcgan: 28 px, 1 channel, batch 32, one thread.

One step = a D step (G(z) without gradient, D on real and fake, non-saturating loss, Adam) and a
G step (G(z), D(fake), loss, Adam), as ganbench's trainer does with d_steps_per_g_step = 1. The two
architectures alternate in rounds so that load on the machine hits both alike.

    python3 plugins/ganbench-antialias/bench_step_time.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ganbench_antialias
import torch
import torch.nn.functional as F
from torch import nn

from ganbench.builtin.architectures import dcgan

Builder = Callable[[tuple[int, int, int], int], tuple[nn.Module, nn.Module]]


def step_seconds(build: Builder, steps: int, batch: int = 32, latent: int = 100) -> float:
    torch.manual_seed(0)
    gen, disc = build((1, 28, 28), latent)
    opt_g = torch.optim.Adam(gen.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 1, 28, 28) * 2 - 1

    def one() -> None:
        with torch.no_grad():
            fake = gen(torch.randn(batch, latent))
        d_loss = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = F.softplus(-disc(gen(torch.randn(batch, latent)))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

    for _ in range(3):
        one()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    return (time.perf_counter() - start) / steps


def main(rounds: int = 5, steps: int = 20) -> None:
    torch.set_num_threads(1)  # ganbench trains one single-thread run per core on CPU
    times: dict[str, list[float]] = {"dcgan": [], "dcgan-antialias": []}
    for _ in range(rounds):
        times["dcgan"].append(step_seconds(dcgan.build, steps))
        times["dcgan-antialias"].append(step_seconds(ganbench_antialias.build, steps))
    base, anti = min(times["dcgan"]), min(times["dcgan-antialias"])
    print(f"torch {torch.__version__}, 1 thread, 28 px, batch 32, best of {rounds} x {steps} steps")
    print(f"dcgan            {base * 1e3:7.2f} ms/step")
    print(f"dcgan-antialias  {anti * 1e3:7.2f} ms/step")
    print(f"ratio            {anti / base:7.2f}")


if __name__ == "__main__":
    main()
