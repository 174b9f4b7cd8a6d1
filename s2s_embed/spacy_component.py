"""s2s-embed as a spaCy pipeline component: `nlp.add_pipe("s2s_translator", config={"model": FOLDER})`.

Registered through the `spacy_factories` entry point, so spaCy finds it without
importing s2s_embed first. spaCy imports this module whenever it builds a
pipeline, so torch and the model code are imported only when a component loads
a model.

The component translates the Doc's own tokens, normalised as the model was
trained, and sets `doc._.translation`. With `per_sentence = true` and sentence
boundaries in the Doc (a parser, senter or sentencizer before it), each
sentence is translated on its own, `span._.translation` is set on `doc.sents`
and `doc._.translation` is the sentences' translations joined by spaces;
without sentence boundaries the whole Doc is translated as one sentence.

Saving and loading: `nlp.to_disk` writes the model into the component's folder
(the model files and the weights in use), and `spacy.load` reads it from there.
spaCy calls the factory with the ORIGINAL `model` path from config.cfg before
`from_disk`, and that folder may not exist where the pipeline is loaded, so the
factory records each component it loads in `nlp.meta["s2s_embed"]` (saved in
meta.json, which spacy.load hands to the new pipeline before the factories run):
a component named there waits for `from_disk`/`from_bytes` instead of reading
`model`. A missing folder in any other case is an error at once.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from s2s_embed.devices import DEVICES
from s2s_embed.errors import ConfigError, ModelFolderError, S2SError
from s2s_embed.model_files import CONFIG, COVERAGE, DIGESTS, EMBEDDINGS, SRC_VOCAB, SUMMARY, TRG_VOCAB, WEIGHTS

if TYPE_CHECKING:
    from s2s_embed.translate import Translator

META_KEY = "s2s_embed"
# What a pipeline needs of a model folder (not last.pt or metrics.jsonl). The weights, model.pt, are
# written from the model in memory; of the rest, coverage.json and summary.json are kept when present.
REQUIRED_FILES = (CONFIG, SRC_VOCAB, TRG_VOCAB, EMBEDDINGS)
OPTIONAL_FILES = (COVERAGE, SUMMARY, DIGESTS)
BYTES_FORMAT = "s2s-embed-spacy/1"


@dataclass(frozen=True)
class Settings:
    """The component's config block; None means the model's own decode setting."""
    name: str
    model: str | None
    beam_size: int | None
    max_len: int | None
    batch_size: int | None
    device: str
    per_sentence: bool

    def check(self) -> None:
        for key in ("beam_size", "max_len", "batch_size"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(f"components.{self.name}.{key} = {value} must be at least 1 "
                                  f"(or null for the model's own decode.{key}).")
        if self.device not in DEVICES:
            raise ConfigError(f"components.{self.name}.device = {self.device!r} is not one of {', '.join(DEVICES)}.")


@Language.factory(
    "s2s_translator",
    default_config={"model": None, "beam_size": None, "max_len": None, "batch_size": None, "device": "auto",
                    "per_sentence": False},
    assigns=["doc._.translation", "span._.translation"],
)
def make_translator(nlp: Language, name: str, model: str | None, beam_size: int | None, max_len: int | None,
                    batch_size: int | None, device: str, per_sentence: bool) -> S2STranslator:
    settings = Settings(name, model, beam_size, max_len, batch_size, device, per_sentence)
    settings.check()
    component = S2STranslator(nlp.lang, settings)
    if name in nlp.meta.get(META_KEY, {}).get("components", {}):
        # spacy.load, or from_config with the saved meta: from_disk or from_bytes brings the model. (A component
        # removed and re-added under the same name in a loaded pipeline lands here too; it says so when used.)
        return component
    if model is None:
        raise ConfigError(f"components.{name}.model is not set. Give the folder of a trained s2s-embed model: "
                          f"nlp.add_pipe('s2s_translator', config={{'model': 'runs/en-fr'}}).")
    if not Path(model).is_dir():
        raise ModelFolderError(f"components.{name}.model = {model!r}: no such folder. Train a model with "
                               f"`s2s-embed train` and give its train.out_dir. (Restoring a saved pipeline? "
                               f"spacy.load(PATH) takes the model from the pipeline folder; Language.from_config "
                               f"needs meta=nlp.meta as well for that.)")
    component.load_folder(Path(model), where=f"components.{name}.model = {model!r}")
    _record(nlp, name, component)
    return component


def _record(nlp: Language, name: str, component: S2STranslator) -> None:
    """Mark the component in the pipeline's meta, and make the pipeline's package require s2s-embed."""
    from spacy.util import get_minor_version_range, split_requirement

    from s2s_embed import __version__

    data = component.translator.loaded.cfg.data
    marker = nlp.meta.setdefault(META_KEY, {"version": __version__, "components": {}})
    marker["components"][name] = {"src_lang": data.src_lang, "trg_lang": data.trg_lang}
    ours = "s2s-embed" if __version__.startswith("0.0.0+") else f"s2s-embed{get_minor_version_range(__version__)}"
    requirements = nlp.meta.setdefault("requirements", [])
    for requirement in [ours, *component.plugin_packages()]:
        if split_requirement(requirement)[0] not in {split_requirement(r)[0] for r in requirements}:
            requirements.append(requirement)


class S2STranslator(Pipe):
    """Sets `doc._.translation` (and `span._.translation` per sentence) with an s2s-embed model."""

    def __init__(self, lang: str, settings: Settings):
        self.name = settings.name
        self.lang = lang
        self.settings = settings
        self.translator: Translator | None = None
        self._files: dict[str, bytes] = {}  # the model folder's small files, for to_disk / to_bytes
        for cls in (Doc, Span):
            if not cls.has_extension("translation"):
                cls.set_extension("translation", default=None)

    # --- loading -------------------------------------------------------------------------------------

    def load_folder(self, folder: Path, where: str) -> None:
        """Load the model in `folder`; `where` names it in error messages (the config option, or the pipeline)."""
        from s2s_embed.model_folder import read_config
        from s2s_embed.translate import Translator

        try:
            src_lang = read_config(folder).data.src_lang
        except S2SError as exc:
            raise type(exc)(f"{where}: {exc}") from None
        if src_lang != self.lang:
            raise ConfigError(f"{where}: the model translates from '{src_lang}' but the pipeline's language is "
                              f"'{self.lang}'. Add the component to a pipeline of language '{src_lang}', e.g. "
                              f"spacy.blank('{src_lang}'), or use a model trained from '{self.lang}'.")
        s = self.settings
        try:
            files = {f: (folder / f).read_bytes() for f in REQUIRED_FILES}
            files.update({f: (folder / f).read_bytes() for f in OPTIONAL_FILES if (folder / f).is_file()})
            self.translator = Translator.from_folder(folder, s.device, beam_size=s.beam_size, max_len=s.max_len,
                                                     batch_size=s.batch_size)
        except S2SError as exc:
            raise type(exc)(f"{where}: {exc}") from None
        except FileNotFoundError as exc:
            raise ModelFolderError(f"{where}: {exc.filename} is missing: {folder} is not a complete s2s-embed "
                                   f"model folder.") from None
        self._files = files

    def plugin_packages(self) -> list[str]:
        """Packages other than s2s-embed whose embedding plugins rebuild this model's layers."""
        manifests = srsly.json_loads(self._files[EMBEDDINGS])
        packages = {side.get("manifest", {}).get("package") for side in manifests.values() if isinstance(side, dict)}
        return sorted(p for p in packages if p and p.lower().replace("_", "-") != "s2s-embed")

    def _require_model(self) -> Translator:
        if self.translator is None:
            raise ModelFolderError(f"Component '{self.name}' has no model yet: it was made to be restored by "
                                   f"spacy.load, nlp.from_disk or nlp.from_bytes, which has not happened.")
        return self.translator

    # --- translating ---------------------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        self._translate([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Translate `batch_size` docs (all their sentences) at a time in one call of the model."""
        error_handler = self.get_error_handler()
        buffer: list[Doc] = []
        for doc in stream:
            buffer.append(doc)
            if len(buffer) >= batch_size:
                yield from self._translate_guarded(buffer, error_handler)
                buffer = []
        if buffer:
            yield from self._translate_guarded(buffer, error_handler)

    def _translate_guarded(self, docs: list[Doc], error_handler) -> list[Doc]:
        try:
            self._translate(docs)
        except Exception as exc:  # spaCy's contract: the handler raises, or skips the batch
            error_handler(self.name, self, docs, exc)
            return []
        return docs

    def _translate(self, docs: list[Doc]) -> None:
        translator = self._require_model()
        units: list[Doc | Span] = []
        for doc in docs:
            units.extend(self._units(doc))
        normalise = translator.loaded.src_tok.normalise
        outputs = translator.translate_tokens([normalise(t.text for t in unit) for unit in units])
        for unit, tokens in zip(units, outputs):
            unit._.translation = translator.detokenize(tokens)
        for doc in docs:
            if self.settings.per_sentence and doc.has_annotation("SENT_START"):
                doc._.translation = " ".join(s._.translation for s in doc.sents if s._.translation)

    def _units(self, doc: Doc) -> list[Doc | Span]:
        if self.settings.per_sentence and doc.has_annotation("SENT_START"):
            return list(doc.sents)
        return [doc]

    # --- serialisation -------------------------------------------------------------------------------

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        from s2s_embed.model_folder import save_tensors

        translator = self._require_model()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, data in self._files.items():
            (path / name).write_bytes(data)
        save_tensors(path / WEIGHTS, _cpu_state(translator))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> S2STranslator:
        path = Path(path)
        self.load_folder(path, where=f"pipeline component '{self.name}' in {path.parent}")
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        import io

        import torch

        translator = self._require_model()
        weights = io.BytesIO()
        torch.save(_cpu_state(translator), weights)
        files = dict(self._files, **{WEIGHTS: weights.getvalue()})
        return srsly.msgpack_dumps({"format": BYTES_FORMAT, "files": files})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> S2STranslator:
        where = f"pipeline component '{self.name}' (from bytes)"
        try:
            payload = srsly.msgpack_loads(data)
        except Exception as exc:  # msgpack raises several types for damaged data
            raise ModelFolderError(f"{where}: the data is not an s2s-embed component ({type(exc).__name__}).") from None
        if not isinstance(payload, dict) or payload.get("format") != BYTES_FORMAT:
            raise ModelFolderError(f"{where}: the data is not an s2s-embed component of format {BYTES_FORMAT}.")
        with tempfile.TemporaryDirectory(prefix="s2s-embed-") as tmp:
            for name, content in payload["files"].items():
                if name not in REQUIRED_FILES + OPTIONAL_FILES + (WEIGHTS,):
                    raise ModelFolderError(f"{where}: unexpected file {name!r} in the data.")
                (Path(tmp) / name).write_bytes(content)
            self.load_folder(Path(tmp), where=where)  # reads every file; the folder may go afterwards
        return self


def _cpu_state(translator: Translator) -> dict[str, Any]:
    return {k: v.detach().cpu() for k, v in translator.loaded.model.state_dict().items()}
