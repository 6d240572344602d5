"""Exporting models for ncasr: SherpaMetaData for pnnx output (``add_meta_data``) and, in
``ncasr.export.zipformer2``, an export-ready streaming Zipformer2 (needs the ``export`` extra)."""

from __future__ import annotations

from .metadata import MODEL_TYPES, add_meta_data

__all__ = ["add_meta_data", "MODEL_TYPES"]
