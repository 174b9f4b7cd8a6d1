"""Every fenced code block in README.md and docs/*.md runs, or says why it does not.

- ```python blocks of one page run in order in one namespace, as in a notebook,
  in a scratch folder whose configs/ is the project's;
- ```bash blocks run line by line, and each line must be an `s2s-embed ...` command;
- ```toml blocks are parsed; a suite (it has [suite]) or a config (it has [data],
  [model], ...) is also checked as s2s-embed would check it;
- ```text blocks are output or listings, shown, never run;
- a block after a `<!-- not run: why -->` line, or with `notest` in its info
  string, is not run. A block of any other kind, or of none, fails: say what it is.

Besides the blocks: relative links resolve, the configuration reference lists
every key with its default, the suite reference every [suite] key, and the
README holds CI's command character for character.
"""
from __future__ import annotations

import dataclasses
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from s2s_embed import cli, config
from s2s_embed.benchmark import suite as suite_mod
from s2s_embed.config import EmbeddingsConfig
from s2s_embed.embeddings import discover, unregister
from s2s_embed.embeddings.spec import EmbeddingSpec

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "results" / "README.md"]
RUN_KINDS = ("python", "bash", "toml")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```|~~~)(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, from 1
    kind: str  # the info string's first word
    code: str
    not_run: bool

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").split("\n")
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, info = len(opening["indent"]), opening["info"].split()
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == opening["fence"])
        code = "\n".join(line[indent:] for line in lines[i + 1:end]) + "\n"
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marked = before.startswith("<!-- not run") or "notest" in info
        found.append(Block(page, i + 1, info[0] if info else "", code, marked))
        i = end + 1
    return found


ALL = [b for page in PAGES for b in blocks(page)]


def test_every_block_runs_or_says_why_not():
    unclear = [f"{b.where} ```{b.kind}" for b in ALL if not b.not_run and b.kind not in (*RUN_KINDS, "text")]
    assert unclear == [], "give each block a kind (python, bash, toml, text) or a <!-- not run: why --> line"
    assert len([b for b in ALL if b.kind in RUN_KINDS and not b.not_run]) >= 8  # the pages do run code


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working folder with the project's configs/, and a cache of its own."""
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.setenv("S2S_EMBED_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return tmp_path


def _ids(items):
    return [b.where for b in items]


BASH = [b for b in ALL if b.kind == "bash" and not b.not_run]


@pytest.mark.parametrize("block", BASH, ids=_ids(BASH))
def test_bash_block_runs(block, scratch, capsys):
    """Each command through the CLI's own entry function, in this process (the CLI tests start it as a program)."""
    for line in block.code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[0] == "s2s-embed", f"{block.where}: only s2s-embed commands run here; mark the block not run"
        try:
            code = cli.main(words[1:])
        except SystemExit as done:  # --version and --help end the parser
            code = done.code
        out, err = capsys.readouterr()
        assert code == 0 and out.strip(), f"{block.where}: `{line}` failed:\n{err}"


PYTHON_PAGES = sorted({b.page for b in ALL if b.kind == "python" and not b.not_run})


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=[str(p.relative_to(ROOT)) for p in PYTHON_PAGES])
def test_python_blocks_of_a_page_run_in_order(page, scratch, monkeypatch):
    """One namespace for the page, as one notebook; the plugins it registers are forgotten afterwards."""
    monkeypatch.chdir(scratch)
    before = {e.name for e in discover()}
    try:
        namespace = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
        for block in (b for b in blocks(page) if b.kind == "python" and not b.not_run):
            exec(compile(block.code, block.where, "exec"), namespace)
    finally:
        for name in {e.name for e in discover()} - before:
            unregister(name)


TOML = [b for b in ALL if b.kind == "toml" and not b.not_run]


@pytest.mark.parametrize("block", TOML, ids=_ids(TOML))
def test_toml_block_is_valid(block):
    raw = tomllib.loads(block.code)
    if "suite" in raw:
        suite_mod.from_dict(raw, block.where)
    elif set(raw) & {*config.SECTIONS, "embeddings"} and set(raw) <= {*config.SECTIONS, "embeddings"}:
        config.from_dict(raw, block.where)


def test_every_config_in_configs_loads():
    for path in sorted((ROOT / "configs").glob("*.toml")):
        config.load(path)


LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page):
    targets = [m["target"] for m in LINK.finditer(page.read_text(encoding="utf-8"))]
    missing = [t for t in targets if "://" not in t and not (page.parent / t).exists()]
    assert missing == []


def _shown(value) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f'`"{value}"`' if isinstance(value, str) else f"`{value}`"


def _table_rows(text: str, heading: str) -> dict[str, str]:
    """`key -> default` from the table under `heading`."""
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return {m[1]: m[2].strip() for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", section, re.M)}


def test_configuration_reference_lists_every_key_and_its_default():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, cls in config.SECTIONS.items():
        want = {f.name: _shown(f.default) for f in dataclasses.fields(cls)}
        assert _table_rows(text, f"## [{name}]") == want
    side = EmbeddingsConfig().source  # what a side without a table is
    want = {f.name: _shown(getattr(side, f.name)) for f in dataclasses.fields(EmbeddingSpec) if f.name != "options"}
    assert _table_rows(text, "## [embeddings.source] and [embeddings.target]") == want


def test_suite_reference_lists_every_suite_key():
    rows = _table_rows((ROOT / "docs" / "suites.md").read_text(encoding="utf-8"), "### [suite]")
    assert sorted(rows) == sorted(f.name for f in dataclasses.fields(suite_mod.Settings))


def test_readme_holds_the_command_ci_runs():
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if "pytest" in line]
    assert ci and all(line in (ROOT / "README.md").read_text(encoding="utf-8") for line in ci)


def test_python_api_page_documents_exactly_the_exports():
    import s2s_embed

    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)[.(]", text, re.M))
    assert documented == set(s2s_embed.__all__) - {"__version__"}
    assert all(callable(getattr(s2s_embed, name)) for name in documented)
