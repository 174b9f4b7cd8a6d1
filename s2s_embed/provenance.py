"""Where a result came from: the library versions, the machine, and the code's commit and dirty flag.

A model folder's config.json keeps `environment()`; a benchmark row keeps
`commit()` and `machine()`; the perf harnesses keep both.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]  # the checkout that holds the s2s_embed package, if any


def environment() -> dict[str, Any]:
    """s2s-embed's version and its libraries', the Python, the platform, the CPU count and the GPU."""
    import numpy
    import sacrebleu
    import spacy
    import torch

    from s2s_embed import __version__

    return {"s2s_embed": __version__, "python": sys.version.split()[0], "torch": torch.__version__,
            "numpy": numpy.__version__, "spacy": spacy.__version__, "sacrebleu": sacrebleu.__version__,
            "platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def machine() -> dict[str, Any]:
    """`environment()` with the CPU model, memory, torch threads and processor."""
    import torch

    return {**environment(), "cpu_model": _cpu_model(), "memory_gb": _memory_gb(),
            "torch_threads": torch.get_num_threads(), "processor": platform.processor() or None}


def commit(repo: Path = REPO) -> dict[str, Any]:
    """{"commit": sha or None, "dirty": bool or None}: best effort, None where git or the repository is absent.

    Dirty = a tracked file differs from the commit, or the package holds files git does not track.
    """
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no") if sha else None
    new_in_package = git("status", "--porcelain", "--untracked-files=all", "--", "s2s_embed") if sha else None
    if changed is None or new_in_package is None:
        return {"commit": sha.strip() if sha else None, "dirty": None}
    return {"commit": sha.strip(), "dirty": bool(changed.strip() or new_in_package.strip())}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None
