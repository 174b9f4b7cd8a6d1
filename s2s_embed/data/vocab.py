"""A vocabulary: token strings <-> ids, with four specials, saved as plain JSON."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.errors import DataError, ModelFolderError

UNK, PAD, SOS, EOS = "<unk>", "<pad>", "<sos>", "<eos>"
SPECIALS = (UNK, PAD, SOS, EOS)
UNK_ID, PAD_ID, SOS_ID, EOS_ID = range(4)
FORMAT = "s2s-embed-vocab/1"


class Vocab:
    """Ids 0-3 are `<unk> <pad> <sos> <eos>`; the rest are tokens, most frequent first.

    `counts` keeps each token's frequency in the corpus the vocabulary was
    built from, so coverage can be reported by tokens as well as by types.
    """

    def __init__(self, itos: Sequence[str], counts: dict[str, int] | None = None):
        if tuple(itos[:4]) != SPECIALS:
            raise DataError(f"A vocabulary must start with {' '.join(SPECIALS)}; got {list(itos[:4])}")
        self.itos = list(itos)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dup = [t for t, n in Counter(self.itos).items() if n > 1]
            raise DataError(f"A vocabulary lists tokens twice: {dup[:10]}")
        self.counts = dict(counts or {})

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None) -> Vocab:
        """Tokens seen at least `min_freq` times, the `max_size` most frequent (ties by first sight)."""
        counts = Counter(tok for sent in sentences for tok in sent)
        kept = [tok for tok, n in counts.most_common() if n >= min_freq and tok not in SPECIALS]
        if max_size is not None:
            kept = kept[:max_size]
        return cls([*SPECIALS, *kept], counts)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    @property
    def tokens(self) -> list[str]:
        """The non-special tokens, in id order."""
        return self.itos[4:]

    def encode(self, tokens: Sequence[str], add_sos: bool = False, add_eos: bool = False) -> list[int]:
        ids = [self.stoi.get(tok, UNK_ID) for tok in tokens]
        return ([SOS_ID] if add_sos else []) + ids + ([EOS_ID] if add_eos else [])

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens up to the first `<eos>`, with `<sos>` and `<pad>` dropped."""
        out = []
        for i in ids:
            if i == EOS_ID:
                break
            if i not in (SOS_ID, PAD_ID):
                out.append(self.itos[i])
        return out

    def save(self, path: str | Path) -> None:
        payload = {"format": FORMAT, "itos": self.itos, "counts": {t: self.counts.get(t, 0) for t in self.itos}}
        atomic.write_text(Path(path), json.dumps(payload, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelFolderError(f"Vocabulary file {path} is missing.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelFolderError(f"Vocabulary file {path} is not valid JSON: {exc}") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ModelFolderError(f"Vocabulary file {path} is not an s2s-embed vocabulary (expected format {FORMAT}).")
        try:
            return cls(payload["itos"], payload.get("counts"))
        except DataError as exc:
            raise ModelFolderError(f"Vocabulary file {path}: {exc}") from None
