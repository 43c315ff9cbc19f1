"""Built-in recipes: methods of the literature, each its components plus the training settings its
paper states. One factor at a time around a shared optimiser is a fair ablation; a recipe is the
method as published (within the suite's budget in generator steps)."""

from __future__ import annotations

from ganbench.hookspecs import RegisterRecipe, hookimpl
from ganbench.specs import RecipeSpec


@hookimpl
def register_recipes(register: RegisterRecipe) -> None:
    register(RecipeSpec(
        "dcgan", "DCGAN: non-saturating loss, no regularizer, Adam 2e-4, betas (0.5, 0.999), 1 D step per G step",
        "Radford, Metz & Chintala 2016, Unsupervised Representation Learning with DCGANs, ICLR",
        loss="non-saturating", regularizer="none", architecture="dcgan", optimizer="adam",
        lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5, beta2=0.999, d_steps_per_g_step=1))
    register(RecipeSpec(
        "lsgan", "LSGAN: least-squares loss (0-1 coding), 1 D step; ganbench's choice: DCGAN's Adam 2e-4, "
        "betas (0.5, 0.999) (the paper's learning rates vary by dataset); on the suite's architecture",
        "Mao et al. 2017, Least Squares Generative Adversarial Networks, ICCV",
        loss="least-squares", regularizer="none", optimizer="adam",
        lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5, beta2=0.999, d_steps_per_g_step=1))
    register(RecipeSpec(
        "wgan", "WGAN: Wasserstein critic with weight clipping (c 0.01), RMSProp 5e-5, 5 critic steps; "
        "without the reference code's 100-critic-step warm-up phases; on the suite's architecture",
        "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN, ICML",
        loss="wasserstein", regularizer="weight-clipping", optimizer="rmsprop",
        lr_generator=5e-5, lr_discriminator=5e-5, d_steps_per_g_step=5))
    register(RecipeSpec(
        "wgan-gp", "WGAN-GP: Wasserstein critic with gradient penalty (lambda 10), Adam 1e-4, betas (0, 0.9), "
        "5 critic steps; on the suite's architecture",
        "Gulrajani et al. 2017, Improved Training of Wasserstein GANs, NeurIPS",
        loss="wasserstein", regularizer="gradient-penalty", optimizer="adam",
        lr_generator=1e-4, lr_discriminator=1e-4, beta1=0.0, beta2=0.9, d_steps_per_g_step=5))
    register(RecipeSpec(
        "sngan", "SNGAN: hinge loss with spectral norm on D, Adam 2e-4, betas (0, 0.9), 5 D steps "
        "(the paper's ResNet setting); on the suite's architecture",
        "Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks, ICLR",
        loss="hinge", regularizer="spectral-norm", optimizer="adam",
        lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.0, beta2=0.9, d_steps_per_g_step=5))
    register(RecipeSpec(
        "rasgan", "RaSGAN: relativistic average standard loss, Adam 2e-4, betas (0.5, 0.999), 1 D step; "
        "on the suite's architecture",
        "Jolicoeur-Martineau 2019, The relativistic discriminator, ICLR",
        loss="relativistic-average", regularizer="none", optimizer="adam",
        lr_generator=2e-4, lr_discriminator=2e-4, beta1=0.5, beta2=0.999, d_steps_per_g_step=1))
