"""torch.jit.trace with the checks an export wants."""

from __future__ import annotations

import warnings
from typing import Tuple

import torch


def trace(module: torch.nn.Module, inputs: Tuple[torch.Tensor, ...]) -> torch.jit.ScriptModule:
    """A TracerWarning (Python that depends on a tensor's shape or value, which the trace would
    freeze) is an error; torch's deprecation notice for jit.trace is not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*jit.trace.*")
        with torch.no_grad():
            return torch.jit.trace(module, inputs, check_trace=False)
