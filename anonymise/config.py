"""The scrubber's configuration, read from ``anonymise/conf/engine.yaml``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONF_DIR = Path(__file__).parent / "conf"
ENGINE_CONF = CONF_DIR / "engine.yaml"


@dataclass(frozen=True)
class RecognizerSpec:
    """One recognizer class and the languages it is registered for."""

    class_path: str
    languages: tuple[str, ...]

    def load_class(self) -> type:
        """Import the recognizer class named ``module:Class``."""
        module, _, name = self.class_path.partition(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class EngineConfig:
    """Everything the scrubber needs to build its engines."""

    score_threshold: float
    languages: dict[str, dict[str, Any]]
    cyrillic_share_for_russian: float
    secondary_script_share: float
    batch_size: int
    recognizers: tuple[RecognizerSpec, ...]
    propagate_names: bool
    placeholders: dict[str, str]

    @property
    def supported_languages(self) -> list[str]:
        """Languages with an NLP pipeline configured."""
        return list(self.languages)


def load_config(path: Path = ENGINE_CONF) -> EngineConfig:
    """Read and check the engine configuration."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = tuple(RecognizerSpec(r["class"], tuple(r["languages"])) for r in raw["recognizers"])
    config = EngineConfig(
        score_threshold=float(raw["score_threshold"]),
        languages=dict(raw["languages"]),
        cyrillic_share_for_russian=float(raw["cyrillic_share_for_russian"]),
        secondary_script_share=float(raw["secondary_script_share"]),
        batch_size=int(raw["batch_size"]),
        recognizers=specs,
        propagate_names=bool(raw.get("propagate_names", True)),
        placeholders={str(k): str(v) for k, v in raw["placeholders"].items()},
    )
    unknown = {lang for spec in specs for lang in spec.languages} - set(config.languages)
    if unknown:
        raise ValueError(f"recognizers registered for unconfigured languages: {sorted(unknown)}")
    return config
