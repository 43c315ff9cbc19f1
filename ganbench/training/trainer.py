"""The training loop: the same for every architecture, loss and regularizer."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import torch
from torch import Tensor, nn

from ganbench.conditioning import bind_batches, class_loss
from ganbench.datakinds import DataKind, Shape, kind_of
from ganbench.plugins import Catalog
from ganbench.runspec import RunSpec
from ganbench.specs import ArchitectureSpec
from ganbench.stacking import overrides
from ganbench.training import checks
from ganbench.training.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from ganbench.training.optimizers import build_optimizers
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
    train_seconds: float  # training only: the curve FIDs are in curve_seconds
    resumed_from: int = 0
    curve_seconds: float = 0.0
    curve_step: list[int] = field(default_factory=list)
    curve_d_loss: list[float] = field(default_factory=list)
    curve_g_loss: list[float] = field(default_factory=list)
    curve_g_penalty: list[float] = field(default_factory=list)  # empty unless the regularizer adds a G term
    fid_curve_step: list[int] = field(default_factory=list)
    fid_curve: list[float] = field(default_factory=list)


Net = TypeVar("Net", bound=nn.Module)
Evaluate = Callable[[nn.Module], float]
# Fresh training images for draw ``draw`` (a run's infinite train split), with their labels or not.
Stream = Callable[[int, int], Tensor | tuple[Tensor, Tensor]]
# TrainResult fields a checkpoint carries over to the resumed run.
_RESUMED_FIELDS = ("steps_done", "images_seen", "train_seconds", "curve_seconds", "curve_step", "curve_d_loss",
                   "curve_g_loss", "curve_g_penalty", "fid_curve_step", "fid_curve")
LATENT_CHUNK = 500  # latents per draw in ``sample``: part of which latents each sample index gets
WEIGHT_LIMIT = 1e6  # a weight this large means the run has blown up, even if losses are finite


def run_kind(spec: RunSpec, catalog: Catalog) -> DataKind:
    """The data kind of ``spec``: its dataset's, or labelled images for a class-conditional run."""
    conditioning = catalog.spec("conditionings", spec.conditioning) if spec.conditioning else None
    return kind_of(catalog.spec("datasets", spec.dataset), conditioning)


def build_networks(spec: RunSpec, catalog: Catalog, data: Tensor) -> tuple[nn.Module, nn.Module]:
    """The architecture's networks for this run's data (the prepared train split), as its kind builds them."""
    kind = run_kind(spec, catalog)
    arch = catalog.spec("architectures", spec.architecture)
    generator, discriminator = kind.build_networks(arch, Shape(spec.resolution, spec.channels, spec.latent_dim), data)
    return in_layout(arch, generator), in_layout(arch, discriminator)


def in_layout(arch: ArchitectureSpec, module: Net) -> Net:
    """``module`` with its 4-D weights in the layout its architecture trains in (channels_last or not).
    Also applied after a regularizer wraps the networks, whose new weights start contiguous."""
    return module.to(memory_format=torch.channels_last) if arch.channels_last else module


def layout_hint(arch: ArchitectureSpec, error: BaseException) -> str:
    """What to add to ``error`` when it is PyTorch's complaint about ``.view()`` on a channels_last
    tensor in an architecture that opted in: PyTorch's own message does not say where the layout came from."""
    if arch.channels_last and "view size is not compatible" in str(error):
        return (f" (architecture {arch.name} declares channels_last=True, so its networks must use .reshape() "
                "or nn.Flatten, not .view(), on conv feature maps)")
    return ""


def _exploded(*modules: nn.Module) -> str | None:
    for name, module in (("generator", modules[0]), ("discriminator", modules[1])):
        params = [p.detach().abs().max() for p in module.parameters()]
        largest = float(torch.stack(params).max()) if params else 0.0  # one host sync per network
        if not math.isfinite(largest) or largest > WEIGHT_LIMIT:
            return f"{name} weights exploded (max |w| = {largest:.3g})"
    return None


def eval_steps(spec: RunSpec) -> set[int]:
    """``eval_points`` evenly spaced generator steps, the last one being the final step."""
    k = spec.eval_points
    return {round(i * spec.generator_steps / k) for i in range(1, k + 1)} if k > 0 else set()


def train(spec: RunSpec, catalog: Catalog, data: Tensor, device: torch.device,
          evaluate: Evaluate | None = None, checkpoint: Path | None = None,
          checkpoint_every: int = 0, on_step: Callable[[int], None] | None = None,
          stream: Stream | None = None, evaluate_last: bool = True, labels: Tensor | None = None) -> TrainResult:
    """Train ``spec`` on ``data``, the train split as its dataset's kind prepared it (uint8 images
    (N, C, H, W) at the spec's resolution, or float points (N, D)).

    Batches and latents come from one seeded generator on the CPU, so the sequence of inputs is
    the same on every device. A non-finite loss or exploding weights stop the run as ``diverged``.
    With ``checkpoint``, state is saved every ``checkpoint_every`` steps and a run that finds a
    checkpoint continues from it, giving the same result as an uninterrupted run.
    With ``stream(count, draw)``, real batches are fresh uint8 images (or (images, labels)) instead of
    draws from ``data``. ``labels``: the class of each image of ``data``, for class-conditional runs.
    ``evaluate(generator)`` gives the cheap FID of the training curve; it may not disturb the
    training RNG streams (the global RNG is restored around it). ``evaluate_last=False`` leaves the
    last step's point to the caller, who scores the final weights anyway (``execute`` does).

    Losses stay on the device and are read once per curve window (and before a curve FID or a
    checkpoint), so the step loop has no host sync; a non-finite loss is still reported at the
    generator step where it first appeared, and the weights are checked at the same points.
    """
    seed_everything(spec.seed, device)
    kind = run_kind(spec, catalog)
    generator, discriminator = build_networks(spec, catalog, data)
    loss = catalog.spec("losses", spec.loss).factory()
    regularizer = catalog.spec("regularizers", spec.regularizer).factory()
    generator, discriminator = regularizer.wrap(generator, discriminator)
    layout = catalog.spec("architectures", spec.architecture)
    generator, discriminator = in_layout(layout, generator), in_layout(layout, discriminator)
    generator.to(device).train()
    discriminator.to(device).train()
    if spec.compile:  # in place: parameter names and state dicts stay those of the eager modules
        generator.compile()
        discriminator.compile()
    opt_g, opt_d = build_optimizers(spec, generator, discriminator)
    rng = torch.Generator().manual_seed(spec.seed)
    n, batch = data.shape[0], spec.batch_size
    # A disabled torch.autocast still costs 3 us to enter and leave, three times a step: a tenth of the
    # harness's overhead over a bare loop on ring-8 points, where a step takes 3 ms.
    autocast: contextlib.AbstractContextManager[object] = (
        torch.autocast(device.type, dtype=torch.bfloat16) if spec.compute_dtype == "bf16" else contextlib.nullcontext())

    def real_batch(draw: int) -> tuple[Tensor, Tensor | None]:
        """A real batch and its labels (None when the data has none)."""
        if stream is not None:  # an infinite train split: fresh images, seeded by the draw number
            fresh = stream(batch, draw)
            images, classes = fresh if isinstance(fresh, tuple) else (fresh, None)
            return kind.model_input(images).to(device), on_device(classes)
        idx = torch.randint(n, (batch,), generator=rng)
        return kind.model_input(data[idx]).to(device), on_device(None if labels is None else labels[idx])

    def latents() -> tuple[Tensor, Tensor | None]:
        """Latents and the classes G is asked for (a conditional run draws them after the latents,
        so an unconditional run's stream is what it always was)."""
        z = torch.randn(batch, spec.latent_dim, generator=rng).to(device)
        return z, on_device(kind.fake_labels(rng, batch))

    def on_device(classes: Tensor | None) -> Tensor | None:
        return None if classes is None else classes.to(device)

    def scored(x: Tensor, classes: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """D's logits for ``x`` of ``classes``, and its auxiliary class loss when it has one (AC-GAN)."""
        kind.bind(discriminator, classes)
        logits = discriminator(x).float()
        return logits, None if classes is None else class_loss(discriminator, classes)

    uses_features = bool(getattr(loss, "uses_features", False))
    # A relativistic G loss compares fakes with the updated D's output on a fresh real batch (as the
    # authors' code does). Only such a loss draws that batch, so every other loss keeps its stream.
    needs_real_logits = bool(getattr(loss, "needs_real_logits", False))
    draws_per_step = spec.d_steps_per_g_step + (1 if needs_real_logits else 0)
    window = max(1, math.ceil(spec.generator_steps / max(1, spec.curve_points)))
    evaluate_at = eval_steps(spec) if evaluate else set()
    if not evaluate_last:
        evaluate_at.discard(spec.generator_steps)
    result = TrainResult(generator, discriminator, generator, "completed", "", 0, 0, 0.0)
    # A generator-side term is logged apart from the G loss, and only when the regularizer has one.
    g_term = overrides(regularizer, "generator_penalty")
    sums = [0.0, 0.0, 0.0]  # D loss, G loss and G term summed over the current curve window
    # (D loss, G loss, G term) of each step since the losses were last read, stacked only when read:
    # a stack per step cost 6 us of a 3 ms step on points.
    unread: list[tuple[Tensor, Tensor, Tensor]] = []
    no_term = torch.zeros((), device=device)
    first = 1
    saved = load_checkpoint(checkpoint) if checkpoint else None
    if saved is not None:
        generator.load_state_dict(saved["generator"])
        discriminator.load_state_dict(saved["discriminator"])
        opt_g.load_state_dict(saved["opt_g"])
        opt_d.load_state_dict(saved["opt_d"])
        regularizer.load_state_dict(saved["regularizer"], generator)
        rng.set_state(saved["batch_rng"])
        set_rng_state(saved["rng"])
        for key in _RESUMED_FIELDS:
            setattr(result, key, saved["result"].get(key, getattr(result, key)))
        sums = [*saved["sums"], 0.0, 0.0, 0.0][:3]
        first = result.resumed_from = result.steps_done + 1
    start = time.perf_counter() - result.train_seconds
    arch, lossname, regname = (f"architecture {spec.architecture}", f"loss {spec.loss}",
                               f"regularizer {spec.regularizer}")
    for step in range(first, spec.generator_steps + 1):
        regularizer.set_progress(step, spec.generator_steps)
        for k in range(spec.d_steps_per_g_step):
            checking = step == 1 and k == 0  # each component's contract, once per fresh run
            z, fake_classes = latents()
            kind.bind(generator, fake_classes)
            with torch.no_grad(), autocast:
                fake = generator(z)
            with autocast:
                draw = (step - 1) * draws_per_step + k  # so a resumed run continues the stream
                raw, real_classes = real_batch(draw)
                if checking:
                    checks.same_shape(f"{arch}: generator", fake, raw)
                real, fake = regularizer.augment(raw), regularizer.augment(fake)
                if checking:
                    checks.same_shape(f"{regname}: augment()", real, raw)
                    checks.same_shape(f"{regname}: augment()", fake, raw)
                real_logits, real_aux = scored(real, real_classes)
                fake_logits, fake_aux = scored(fake, fake_classes)
                if checking:
                    checks.logits(f"{arch}: discriminator", real_logits, batch)
                d_loss = loss.discriminator_loss(real_logits, fake_logits)
                kind.bind(discriminator, real_classes)  # a penalty's D calls score reals (or mixes) as reals
                bind_batches(discriminator, real_classes, fake_classes)  # and fakes as fakes, with scored_as
                penalty = regularizer.discriminator_penalty(discriminator, real, fake, real_logits, fake_logits)
            if checking:
                checks.finite_scalar(f"{lossname}: discriminator_loss()", d_loss)
                checks.finite_scalar(f"{regname}: discriminator_penalty()", penalty, optional=True)
            if penalty is not None:
                d_loss = d_loss + penalty.float()
            if real_aux is not None and fake_aux is not None:
                d_loss = d_loss + real_aux + fake_aux
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            regularizer.after_discriminator_step(discriminator)
            result.images_seen += batch
        z, fake_classes = latents()
        kind.bind(generator, fake_classes)
        with autocast:
            fake = regularizer.augment(generator(z))
            g_aux = None
            if uses_features:
                with torch.no_grad():
                    kind.bind(discriminator, real_classes)
                    real_features = discriminator.features(real).float()
                kind.bind(discriminator, fake_classes)
                g_loss = loss.feature_loss(discriminator.features(fake).float(), real_features)
            else:
                if needs_real_logits:
                    with torch.no_grad():
                        fresh, fresh_classes = real_batch(step * draws_per_step - 1)
                        real_logits, _ = scored(regularizer.augment(fresh), fresh_classes)
                fake_logits, g_aux = scored(fake, fake_classes)
                g_loss = loss.generator_loss(fake_logits, real_logits.detach())
            g_penalty = regularizer.generator_penalty(discriminator, real.detach(), fake) if g_term else None
        # Unbound after the forward passes: an average copied from G next carries no stale labels.
        kind.bind(generator, None)
        kind.bind(discriminator, None)
        bind_batches(discriminator, None, None)
        if step == 1:
            checks.finite_scalar(f"{lossname}: {'feature_loss' if uses_features else 'generator_loss'}()", g_loss)
            checks.finite_scalar(f"{regname}: generator_penalty()", g_penalty, optional=True)
        opt_g.zero_grad(set_to_none=True)
        g_total = g_loss if g_aux is None else g_loss + g_aux
        (g_total if g_penalty is None else g_total + g_penalty.float()).backward()
        opt_g.step()
        regularizer.after_generator_step(generator)
        unread.append((d_loss.detach(), g_loss.detach(), no_term if g_penalty is None else g_penalty.detach()))
        result.steps_done = step
        window_end = step % window == 0 or step == spec.generator_steps
        saving = bool(checkpoint and checkpoint_every and step % checkpoint_every == 0 and step < spec.generator_steps)
        evaluating = evaluate is not None and step in evaluate_at
        out_of_time = bool(spec.budget_seconds) and step < spec.generator_steps and \
            time.perf_counter() - start >= spec.budget_seconds
        if window_end or saving or evaluating or out_of_time:
            diverged = _read_losses(unread, step, sums, result) or _exploded(generator, discriminator)
            if diverged:
                result.status = "diverged"
                exploded = not diverged.startswith("non-finite")
                result.reason = f"{diverged} at generator step {step}" if exploded else diverged
                result.images_seen = result.steps_done * spec.d_steps_per_g_step * batch
                break
        if window_end:
            count = step - (result.curve_step[-1] if result.curve_step else 0)
            result.curve_step.append(step)
            result.curve_d_loss.append(sums[0] / count)
            result.curve_g_loss.append(sums[1] / count)
            if g_term:
                result.curve_g_penalty.append(sums[2] / count)
            sums[:] = [0.0, 0.0, 0.0]
        if evaluating:
            assert evaluate is not None
            curve_start = time.perf_counter()
            state = rng_state()
            result.fid_curve_step.append(step)
            regularizer.prepare_eval(generator, spec.latent_dim, batch, device)
            result.fid_curve.append(evaluate(regularizer.eval_generator(generator)))
            set_rng_state(state)
            generator.train()
            start += time.perf_counter() - curve_start  # curve FIDs are evaluation, not training
            result.curve_seconds += time.perf_counter() - curve_start
        result.train_seconds = time.perf_counter() - start
        if on_step is not None:
            on_step(step)
        if out_of_time:
            result.reason = f"wall-clock budget of {spec.budget_seconds:g} s reached at generator step {step}"
            break
        if saving and checkpoint is not None:
            save_checkpoint(checkpoint, {
                "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                "regularizer": regularizer.state_dict(), "batch_rng": rng.get_state(), "rng": rng_state(),
                "sums": sums, "result": {key: getattr(result, key) for key in _RESUMED_FIELDS},
            })
    result.train_seconds = time.perf_counter() - start
    state = rng_state()  # so what is scored next sees the same global stream with or without an EMA
    regularizer.prepare_eval(generator, spec.latent_dim, batch, device)
    set_rng_state(state)
    result.evaluated = regularizer.eval_generator(generator)
    return result


def _read_losses(unread: list[tuple[Tensor, Tensor, Tensor]], step: int, sums: list[float],
                 result: TrainResult) -> str | None:
    """Read the unread steps' losses in one host sync and add them to the window ``sums``; the
    reason, if one of them is not finite (``result.steps_done`` then names that step)."""
    if not unread:
        return None
    values = torch.stack([value.float() for row in unread for value in row]).view(len(unread), 3).tolist()
    unread.clear()
    for offset, (d_value, g_value, term) in enumerate(values):
        if not (math.isfinite(d_value) and math.isfinite(g_value) and math.isfinite(term)):
            bad = step - len(values) + 1 + offset
            result.steps_done = bad
            which = "discriminator loss" if not math.isfinite(d_value) else \
                "generator loss" if not math.isfinite(g_value) else "generator penalty"
            return f"non-finite {which} at generator step {bad}"
        sums[0] += d_value
        sums[1] += g_value
        sums[2] += term
    return None


@torch.no_grad()
def sample(generator: nn.Module, count: int, latent_dim: int, seed: int, device: torch.device, kind: DataKind,
           batch: int = 64) -> Tensor:
    """``count`` samples from fixed, seeded latents (the same for every entry with this seed), as
    ``kind`` stores them (uint8 images, float32 points); a labelled kind asks for its evaluation
    classes (sample i of class i mod K).

    Latents are drawn in chunks of ``LATENT_CHUNK`` whatever ``count`` is, so the first n of a larger
    sample are the n-sample; G runs ``batch`` at a time (in eval mode each sample is independent of
    its batch; 64 keeps a conv net's activations in cache, 1.4x faster than 500 on a CPU)."""
    generator.eval()
    rng = torch.Generator().manual_seed(10_000 + seed)
    chunks = []
    index = 0
    for start in range(0, count, LATENT_CHUNK):
        z = torch.randn(min(LATENT_CHUNK, count - start), latent_dim, generator=rng)
        for part in z.split(batch):
            classes = kind.eval_labels(index, part.shape[0])
            kind.bind(generator, None if classes is None else classes.to(device))
            out = generator(part.to(device))
            chunks.append(kind.samples(out).cpu().contiguous())  # channels_last G: stored in the usual layout
            index += part.shape[0]
    kind.bind(generator, None)
    return torch.cat(chunks)
