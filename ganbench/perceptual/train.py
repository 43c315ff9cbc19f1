"""Retrain the shipped perceptual network reproducibly (`ganbench perceptual train`).

Objective: a denoising autoencoder (Vincent et al. 2008). The encoder (``VggEncoder``) sees a
Fashion-MNIST train image plus Gaussian noise and a small decoder must rebuild the clean image;
loss = mean squared error in [-1, 1] pixel space. No labels are used. Only the encoder is kept.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganbench.data.fashion_mnist import load_split
from ganbench.perceptual.network import NAME, WEIGHTS, Decoder, VggEncoder
from ganbench.store import atomic_write_bytes
from ganbench.training.seeding import process_settings_kept, seed_everything

EPOCHS = 1  # ~4 min on one CPU thread over the 60k train split; the loss has flattened by then
NOISE_STD = 0.3  # in [-1, 1] units: strong enough that copying pixels through is not enough
BATCH_SIZE = 128
SOURCES = ("ganbench/perceptual/network.py", "ganbench/perceptual/train.py")


def to_model_space(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the generator's output range; channels_last, oneDNN's fast
    layout (1.3x faster training on a CPU)."""
    return (images.float() / 127.5 - 1).contiguous(memory_format=torch.channels_last)


def denoising_mse(encoder: VggEncoder, decoder: Decoder, images: Tensor, seed: int) -> tuple[float, float]:
    """(MSE of the reconstruction, MSE of the noisy input itself) against the clean images, with noise
    from a private generator so the number is the same every time."""
    gen = torch.Generator().manual_seed(seed)
    err = base = 0.0
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            clean = to_model_space(images[i: i + 1000])
            noisy = clean + NOISE_STD * torch.randn(clean.shape, generator=gen)
            err += float(F.mse_loss(decoder(encoder(noisy)), clean, reduction="sum"))
            base += float(F.mse_loss(noisy, clean, reduction="sum"))
    n = images[:, :1].numel()
    return err / n, base / n


def train_network(data_root: Path | None = None, out: Path = WEIGHTS, epochs: int = EPOCHS, seed: int = 0,
                  count: int | None = None) -> dict[str, object]:
    """Train the denoising autoencoder on Fashion-MNIST's train split, score it on the reference split,
    and write the encoder's weights (float16) to ``out`` and metadata beside it (``.json``).

    Seeded, one thread, deterministic kernels: the same bytes every run on one machine and torch
    build. ``count`` uses only the first ``count`` images of each split (quick checks only)."""
    with process_settings_kept():  # seed_everything pins one thread for the run; give the caller its settings back
        return _train(data_root, out, epochs, seed, count)


def _train(data_root: Path | None, out: Path, epochs: int, seed: int, count: int | None) -> dict[str, object]:
    seed_everything(seed, torch.device("cpu"))
    train, test = load_split("train", data_root), load_split("reference", data_root)
    images, test_images = train.images[:count], test.images[:count]
    encoder = VggEncoder().to(memory_format=torch.channels_last)
    decoder = Decoder().to(memory_format=torch.channels_last)
    params = [*encoder.parameters(), *decoder.parameters()]
    optim = torch.optim.Adam(params, lr=1e-3)
    steps = epochs * ((len(images) + BATCH_SIZE - 1) // BATCH_SIZE)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=gen)
        for i in range(0, len(order), BATCH_SIZE):
            clean = to_model_space(images[order[i: i + BATCH_SIZE]])
            flip = torch.rand(len(clean), generator=gen) < 0.5  # garments are left/right symmetric
            clean = torch.where(flip.view(-1, 1, 1, 1), clean.flip(-1), clean)
            noisy = clean + NOISE_STD * torch.randn(clean.shape, generator=gen)
            loss = F.mse_loss(decoder(encoder(noisy)), clean)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            sched.step()
    # Ship float16 (half the bytes) and score what is shipped: the encoder rounded the same way.
    state = {k: v.detach().half().contiguous() for k, v in encoder.state_dict().items()}
    encoder.load_state_dict({k: v.float() for k, v in state.items()})
    encoder.eval()
    decoder.eval()
    mse, noise_mse = denoising_mse(encoder, decoder, test_images, seed + 1)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(out, buffer.getvalue())
    meta: dict[str, object] = {
        "network": NAME, "objective": f"denoising autoencoder: Gaussian noise std {NOISE_STD} on [-1, 1] images, "
                                      "MSE to the clean image; decoder discarded",
        "train_source": train.source + ("" if count is None else f"[:{count}]"),
        "test_source": test.source + ("" if count is None else f"[:{count}]"),
        "sources": list(SOURCES), "epochs": epochs, "seed": seed, "batch_size": BATCH_SIZE,
        "train_images": len(images), "final_train_loss": round(float(loss.detach()), 5),
        "reference_denoising_mse": round(mse, 5), "reference_noisy_input_mse": round(noise_mse, 5),
        "dtype": "float16", "torch": torch.__version__,
    }
    atomic_write_bytes(out.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode())
    return meta
