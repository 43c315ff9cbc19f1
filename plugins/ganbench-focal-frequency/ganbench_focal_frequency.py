"""Focal Frequency Loss (FFL) as a ganbench regularizer: a generator-side term only.

Jiang, Dai, Wu & Loy 2021, Focal Frequency Loss for Image Reconstruction and Synthesis, ICCV
(arXiv:2012.12821); official code: github.com/EndlessSora/focal-frequency-loss,
``focal_frequency_loss/focal_frequency_loss.py``. This module re-implements that file's
``FocalFrequencyLoss`` with the same options and defaults:

    F_x  = 2-D DFT of each (patch of each) channel of each image, orthonormal (``fft2(norm="ortho")``)
    D    = F_fake - F_real                        (complex, per frequency (u, v))
    w    = |D| ** alpha                           (alpha 1)
    w    = log(w + 1)                             (only with ``log_matrix``; off)
    w    = w / max w                              (max over (u, v) of each image, patch and channel;
                                                   over the whole batch with ``batch_matrix``; off)
    w    = clamp(w with NaN -> 0, 0, 1), detached (a constant weight: no gradient flows through it)
    FFL  = loss_weight * mean(w * |D| ** 2)       (mean over every element; loss_weight 1)

The term is added to the generator loss on each generator step (``Regularizer.generator_penalty``)
and is logged apart as ``g_penalty``; the discriminator is left alone.

Pairing. FFL was written for paired outputs (reconstruction, image-to-image translation), where
``fake[i]`` is compared with its own target ``real[i]``. An unconditional GAN's fakes have no such
target, and the real batch ganbench hands the term (the last critic step's, as the docs' "One run,
step by step" shows) is drawn independently of the latents. The official code's answer to a missing
one-to-one correspondence is its ``ave_spectrum`` option (``forward``: ``pred_freq = torch.mean(
pred_freq, 0, keepdim=True)`` and the same for the target): each batch is reduced to its minibatch
average spectrum before the weight matrix and the distance are computed. The official README shows
mini-batch average spectra beside its unconditional StyleGAN2 results, but does not say that the
loss was trained with ``ave_spectrum``: that is not known. ganbench's choice: ``ave_spectrum`` on,
so the term compares the average spectrum of G's batch with that of an independently drawn real
batch (the real batch's order cannot matter). The DFT is linear, so this is the focal-weighted
spectral distance between the two batches' mean images. Everything else keeps the official defaults:
alpha 1, no log, per-image (here: per averaged spectrum and channel) normalisation, no patches, loss
weight 1 (the weight the authors used for StyleGAN2 is not published:
EndlessSora/focal-frequency-loss issue #7 asks for it).

Precision: the spectra are computed in float32 whatever the autocast dtype, since the DFT has no
bfloat16 kernel on the CPU.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganbench import Regularizer, RegularizerSpec, hookimpl
from ganbench.hookspecs import RegisterRegularizer

NAME = "focal-frequency"
LOSS_WEIGHT = 1.0  # official default (FocalFrequencyLoss.__init__)
ALPHA = 1.0  # official default

SUMMARY = (
    "Focal frequency loss on G: mean(w|F_fake-F_real|^2), orthonormal 2-D DFT, w=|F_fake-F_real|^alpha "
    "normalised by its max and detached (alpha 1, weight 1: official defaults); ganbench's choice: "
    "minibatch average spectra (official ave_spectrum) of fakes vs an unpaired real batch"
)
REFERENCE = (
    "Jiang, Dai, Wu & Loy 2021, Focal Frequency Loss for Image Reconstruction and Synthesis, ICCV "
    "(arXiv:2012.12821; code: github.com/EndlessSora/focal-frequency-loss)"
)


def spectrum(images: Tensor, patch_factor: int = 1) -> Tensor:
    """Orthonormal 2-D DFT of every patch of every channel: (N, C, H, W) -> complex (N, P, C, H/p, W/p).

    The image is cut into ``patch_factor`` x ``patch_factor`` patches (P = patch_factor ** 2, in
    row-major order as the official ``tensor2freq`` stacks them); ``patch_factor=1`` is the whole image.
    """
    if images.dim() != 4:
        raise ValueError(f"focal frequency loss needs (N, C, H, W) images, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    if patch_factor < 1 or h % patch_factor or w % patch_factor:
        raise ValueError(f"patch_factor {patch_factor} must divide the image height {h} and width {w}")
    ph, pw = h // patch_factor, w // patch_factor
    patches = (images.float()
               .reshape(n, c, patch_factor, ph, patch_factor, pw)
               .permute(0, 2, 4, 1, 3, 5)
               .reshape(n, patch_factor * patch_factor, c, ph, pw))
    freq: Tensor = torch.fft.fft2(patches, norm="ortho")
    return freq


def spectrum_weight(distance: Tensor, alpha: float = ALPHA, log_matrix: bool = False,
                    batch_matrix: bool = False) -> Tensor:
    """The spectrum weight matrix from ``distance`` = |F_fake - F_real| (real, (N, P, C, h, w)).

    ``|D| ** alpha``, optionally ``log(. + 1)``, divided by its maximum over the frequencies of each
    (image, patch, channel) or, with ``batch_matrix``, over everything; 0/0 (spectra that agree
    everywhere) becomes 0; clamped to [0, 1]; detached.
    """
    with torch.no_grad():
        weight = distance.detach() ** alpha
        if log_matrix:
            weight = torch.log(weight + 1.0)
        peak = weight.max() if batch_matrix else weight.amax(dim=(-2, -1), keepdim=True)
        weight = weight / peak
        weight = torch.where(torch.isnan(weight), torch.zeros_like(weight), weight)
        return weight.clamp(0.0, 1.0)


def focal_frequency_loss(fake: Tensor, real: Tensor, alpha: float = ALPHA, patch_factor: int = 1,
                         ave_spectrum: bool = True, log_matrix: bool = False,
                         batch_matrix: bool = False) -> Tensor:
    """FFL between ``fake`` and ``real`` (both (N, C, H, W)), without the loss weight.

    With ``ave_spectrum`` (ganbench's default) each batch is first reduced to its mean spectrum, so the
    batches need not be paired, nor of one size; without it ``fake[i]`` is compared with ``real[i]``.
    """
    if fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"fake {tuple(fake.shape)} and real {tuple(real.shape)} images differ in shape")
    if not ave_spectrum and fake.shape[0] != real.shape[0]:
        raise ValueError(f"per-image FFL pairs fake[i] with real[i]: batch sizes {fake.shape[0]} and "
                         f"{real.shape[0]} differ")
    fake_freq, real_freq = spectrum(fake, patch_factor), spectrum(real, patch_factor)
    if ave_spectrum:
        fake_freq = fake_freq.mean(dim=0, keepdim=True)
        real_freq = real_freq.mean(dim=0, keepdim=True)
    diff = fake_freq - real_freq
    squared = diff.real.square() + diff.imag.square()  # |D|^2, smooth everywhere (no sqrt in the graph)
    weight = spectrum_weight(squared.detach().sqrt(), alpha, log_matrix, batch_matrix)
    return (weight * squared).mean()


class FocalFrequency(Regularizer):
    """Adds ``loss_weight * FFL(fake, real)`` to the generator loss; ``real`` gets no gradient."""

    def __init__(self, loss_weight: float = LOSS_WEIGHT, alpha: float = ALPHA, patch_factor: int = 1,
                 ave_spectrum: bool = True, log_matrix: bool = False, batch_matrix: bool = False) -> None:
        self.loss_weight = loss_weight
        self.alpha = alpha
        self.patch_factor = patch_factor
        self.ave_spectrum = ave_spectrum
        self.log_matrix = log_matrix
        self.batch_matrix = batch_matrix

    def generator_penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor | None:
        loss = focal_frequency_loss(fake, real.detach(), self.alpha, self.patch_factor, self.ave_spectrum,
                                    self.log_matrix, self.batch_matrix)
        return loss * self.loss_weight


@hookimpl
def register_regularizers(register: RegisterRegularizer) -> None:
    register(RegularizerSpec(
        name=NAME,
        summary=SUMMARY,
        reference=REFERENCE,
        factory=FocalFrequency,
        data_kinds=frozenset({"images"}),
    ))
