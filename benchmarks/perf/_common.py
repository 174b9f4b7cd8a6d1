"""What every perf harness records beside its figures: machine, versions, commit."""
from __future__ import annotations

import json
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.provenance import commit, machine

ROOT = Path(__file__).resolve().parents[2]
MULTI30K = ROOT.parent / "shared" / "data" / "multi30k"


def save(path: str | None, payload: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(Path(path), json.dumps({**payload, "machine": machine(), "git": commit()}, indent=2) + "\n")
        print(f"saved {path}")
