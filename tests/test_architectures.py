from __future__ import annotations

import pytest
import torch

from ganbench.plugins import Catalog

SHAPES = [(c, s) for c in (1, 3) for s in (28, 32, 64)]


@pytest.mark.parametrize("channels, size", SHAPES)
def test_every_architecture_builds_at_each_size(builtin_catalog: Catalog, channels: int, size: int) -> None:
    torch.manual_seed(0)
    for name in builtin_catalog.names("architectures"):
        spec = builtin_catalog.spec("architectures", name)
        if size not in spec.resolutions:
            continue
        gen, disc = spec.build((channels, size, size), 16)
        images = gen(torch.randn(3, 16))
        assert images.shape == (3, channels, size, size), name
        assert images.min() >= -1 and images.max() <= 1, name
        assert disc(images).shape == (3,), name
        assert disc.features(images).shape[0] == 3, name


def test_unsupported_size_is_a_clear_error(builtin_catalog: Catalog) -> None:
    with pytest.raises(ValueError, match=r"supported image sides are \[28, 32, 64\], not 48"):
        builtin_catalog.spec("architectures", "dcgan").build((1, 48, 48), 16)
