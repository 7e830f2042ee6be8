"""How much one shared thing says about a pair of accounts: the rarer, the more."""

from __future__ import annotations

import numpy as np


def rarity(degree: np.ndarray) -> np.ndarray:
    """How much sharing one entity says about a pair: 1/log2(1 + accounts sharing it)."""
    return 1.0 / np.log2(1.0 + np.maximum(degree.astype(np.float64), 1.0))
