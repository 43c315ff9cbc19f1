"""Run one RunSpec end to end: train, sample, score, and build its record."""

from __future__ import annotations

import platform
import time
import traceback
from pathlib import Path
from typing import Any

import torch
import torch_fidelity

import ganbench
from ganbench.datakinds import prepare_images
from ganbench.locks import environment_lock
from ganbench.machine import numerics
from ganbench.metrics.fidelity import extract, fidelity, fidelity_from_features, reference_features
from ganbench.metrics.score import score
from ganbench.metrics.spectrum import spectral_curves
from ganbench.progress import run_bar
from ganbench.runcontext import (  # the planning side, here too for callers that ran runs from here
    DatasetSplits,
    catalog,
    context,
    dataset_splits,
    feature_extractor,
    incompatible,
    labels_digest,
    labels_of,
    network_versions,
    providers,
    scored_in_trained_space,
    training_networks,
)
from ganbench.runspec import RunSpec, run_id
from ganbench.specs import DataRequest, ImageData
from ganbench.store import RunStore, atomic_write_bytes
from ganbench.training.trainer import Stream, layout_hint, run_kind, sample, train

__all__ = ["DatasetSplits", "catalog", "context", "dataset_splits", "execute", "feature_extractor", "incompatible",
           "labels_digest", "labels_of", "mode_samples", "network_versions", "providers", "scored_in_trained_space",
           "train_stream", "training_networks"]

RECORD_VERSION = 1


def train_stream(spec: RunSpec, data_root: str | None) -> Stream | None:
    """Fresh training images per draw (with their labels for a class-conditional run), for datasets
    with an infinite train split; else None."""
    source = catalog().spec("datasets", spec.dataset).stream
    if source is None:
        return None
    request = DataRequest("train", Path(data_root) if data_root else None, spec.resolution, spec.channels)

    def draw_images(count: int, draw: int) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        fresh = source(request, count, spec.seed, draw)
        images = prepare_images(fresh.images if isinstance(fresh, ImageData) else fresh, spec.resolution,
                                spec.channels)
        labels = fresh.labels if isinstance(fresh, ImageData) and spec.conditioning else None
        return images if labels is None else (images, labels)

    return draw_images


def mode_samples(spec: RunSpec, generator: torch.nn.Module, device: torch.device) -> torch.Tensor | None:
    """The separate, larger sample on which modes are counted (``mode_samples``, e.g. 26,000 on
    stacked Fashion-MNIST as in VEEGAN and PacGAN), drawn in batches; None: count on the FID samples."""
    if not spec.mode_samples or catalog().spec("datasets", spec.dataset).modes is None:
        return None
    return sample(generator, spec.mode_samples, spec.latent_dim, spec.seed, device, run_kind(spec, catalog()))


def auto_checkpoint_every(spec: RunSpec) -> int:
    """Checkpoint about ten times a run."""
    return max(1, spec.generator_steps // 10)


def execute(spec: RunSpec, data_root: str | None, store_root: str, checkpoint_every: int = 0,
            bars: bool = False, force: bool = False, expected_id: str | None = None) -> dict[str, Any]:
    """Train and score one run under its claim, write its record atomically, and return it.

    Another process that finished the same run while this one waited for the claim has its record
    returned instead (marked ``reused``), unless ``force``. An exception inside the run becomes a
    ``failed`` record with the reason, so no seed is lost.

    ``expected_id`` is the planner's id for the run. A process that computes another one (a cluster
    node whose ganbench, plugins, torch or data differ from the driver's) fails the run with the
    differences named rather than file a record under an id that does not describe it.
    """
    ctx = context(spec, data_root)
    rid = run_id(spec, ctx)
    store = RunStore(Path(store_root))
    if expected_id is not None and rid != expected_id:
        record = {"run_id": expected_id, "entry": spec.entry, "spec": spec.as_dict(), "status": "failed",
                  "metrics": {}, "context": ctx, "numerics": numerics(spec.device),
                  "reason": f"this worker ({platform.node()}) computes run id {rid} for it, the planner "
                            f"{expected_id}: its ganbench, plugins, torch or data differ from the planner's"}
        store.write(record)
        return record
    with store.claim(rid):
        found = None if force else store.lookup(rid)
        if found is not None:
            return {**found, "reused": True}
        return _execute(spec, data_root, store_root, checkpoint_every, bars, ctx, rid)


def _execute(spec: RunSpec, data_root: str | None, store_root: str, checkpoint_every: int,
             bars: bool, ctx: dict[str, str], rid: str) -> dict[str, Any]:
    started = time.perf_counter()
    data = dataset_splits(spec.dataset, data_root, spec.resolution, spec.channels)
    device = torch.device(spec.device)
    extractor = feature_extractor(spec, data)
    kind = run_kind(spec, catalog())
    record: dict[str, Any] = {
        "record_version": RECORD_VERSION, "run_id": rid, "entry": spec.entry, "spec": spec.as_dict(),
        "context": ctx, "dataset_source": data.source, "feature_extractor": extractor,
        "versions": {"ganbench": ganbench.__version__, "torch": torch.__version__,
                     "torch_fidelity": torch_fidelity.__version__, "python": platform.python_version(),
                     "lock": environment_lock()},  # the locked package set it ran with, or how it differed
        "metrics": {}, "curves": {}, "training_networks": training_networks(spec),
        "numerics": numerics(spec.device),  # what decides the float rounding: CPU kernels, libraries, device
    }
    store = RunStore(Path(store_root))
    refused = scored_in_trained_space(spec, extractor)
    if refused is not None:  # the CLI refuses such a suite before any run; this guards other callers
        raise ValueError(refused)
    why_not = incompatible(spec)
    if why_not is not None:
        record.update(status="skipped", reason=why_not, wall_seconds=0.0, device=str(device))
        store.write(record)
        return record
    try:
        cuda = device.type == "cuda"
        cache_dir = Path(store_root) / "features"
        real_curve = data.reference[: spec.curve_fid_samples]

        def curve_fid(generator: torch.nn.Module) -> float:
            real_f = reference_features(real_curve, extractor, data.sha256, cache_dir, cuda)  # on disk after the first
            fake = sample(generator, spec.curve_fid_samples, spec.latent_dim, spec.seed, device, kind)
            return fidelity(fake, real_curve, extractor, cuda=cuda, kid=False, prc=False, real_features=real_f)["fid"]

        checkpoint = store.checkpoint_path(rid)
        with run_bar(bars, spec.generator_steps, f"{spec.entry} seed {spec.seed}") as on_step:
            # Point data has no FID, so no cheap-FID curve either.
            evaluate = curve_fid if kind.has_features else None
            # The last curve point comes from the final sample's features below (its first
            # curve_fid_samples are the same latents through the same weights), not a second sampling.
            result = train(spec, catalog(), data.train, device, evaluate=evaluate, checkpoint=checkpoint,
                           stream=train_stream(spec, data_root), evaluate_last=False, labels=data.train_labels,
                           checkpoint_every=checkpoint_every or auto_checkpoint_every(spec), on_step=on_step)
        record.update(status=result.status, reason=result.reason, steps_done=result.steps_done,
                      images_seen=result.images_seen, train_seconds=round(result.train_seconds, 3),
                      discriminator_steps=result.images_seen // spec.batch_size, resumed_from=result.resumed_from,
                      images_per_second=round(result.images_seen / max(result.train_seconds, 1e-9), 1))
        record["curves"] = {"step": result.curve_step, "d_loss": result.curve_d_loss,
                            "g_loss": result.curve_g_loss}
        record["final_d_loss"] = result.curve_d_loss[-1] if result.curve_d_loss else None
        record["final_g_loss"] = result.curve_g_loss[-1] if result.curve_g_loss else None
        if result.curve_g_penalty:  # a regularizer's generator-side term, logged apart from the G loss
            record["curves"]["g_penalty"] = result.curve_g_penalty
            record["final_g_penalty"] = result.curve_g_penalty[-1]
        curve_seconds = result.curve_seconds
        if result.status == "completed":
            eval_start = time.perf_counter()
            fake = sample(result.evaluated, spec.fid_samples, spec.latent_dim, spec.seed, device, kind)
            real = data.reference[: spec.fid_samples]
            dataset = catalog().spec("datasets", spec.dataset)
            fake_features = extract(fake, extractor, cuda) if kind.has_features else None
            real_labels = None if data.reference_labels is None else data.reference_labels[: spec.fid_samples]
            record["metrics"], record["metric_protocol"] = score(
                fake, real, kind, dataset, extractor, spec.channels, data.sha256, catalog().metric_table(), cache_dir,
                cuda=cuda, mode_fake=mode_samples(spec, result.evaluated, device), fake_features=fake_features,
                fake_labels=kind.eval_labels(0, fake.shape[0]), real_labels=real_labels)
            record["reference_samples"] = int(real.shape[0])
            atomic_write_bytes(store.grid_path(rid), kind.picture(fake, real))
            if kind.has_features:
                record["spectrum"] = spectral_curves(fake, real)
                if not store.real_grid_path(data.sha256).is_file():
                    atomic_write_bytes(store.real_grid_path(data.sha256), data.kind.picture(real, real))
            record["eval_seconds"] = round(time.perf_counter() - eval_start, 3)
            if fake_features is not None and evaluate is not None and spec.eval_points > 0:
                curve_start = time.perf_counter()
                real_f = reference_features(real_curve, extractor, data.sha256, cache_dir, cuda)
                result.fid_curve_step.append(result.steps_done)
                enough = fake_features.shape[0] >= spec.curve_fid_samples
                result.fid_curve.append(fidelity_from_features(
                    fake_features[: spec.curve_fid_samples], real_f, kid=False, prc=False)["fid"]
                    if enough else curve_fid(result.evaluated))
                curve_seconds += time.perf_counter() - curve_start
        record["curve_seconds"] = round(curve_seconds, 3)
        record["fid_curve"] = {"step": result.fid_curve_step, "fid": result.fid_curve}
        if result.fid_curve:
            best = min(range(len(result.fid_curve)), key=result.fid_curve.__getitem__)
            # Best-so-far is reported beside the final weights' score, never instead of it.
            record.update(curve_fid_final=result.fid_curve[-1], curve_fid_best=result.fid_curve[best],
                          curve_fid_best_step=result.fid_curve_step[best])
    except Exception as exc:  # a crash in any (plugin) component must not take the suite down
        hint = layout_hint(catalog().spec("architectures", spec.architecture), exc)
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}{hint}",
                      traceback=traceback.format_exc(limit=8))
    record["wall_seconds"] = round(time.perf_counter() - started, 3)
    record["device"] = str(device)
    record["threads"] = torch.get_num_threads()
    store.write(record)
    store.checkpoint_path(rid).unlink(missing_ok=True)  # only after the record is safely written
    return record
