"""Pattern files: `[[command]]` tables are checked as strictly as `[[api]]` ones."""
from __future__ import annotations

from pathlib import Path

import pytest

from miner.patterns import PatternError, load_library


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lib.toml"
    path.write_text('library = "shell"\nhub = "huggingface"\n' + text)
    return path


def test_a_file_of_commands_only_loads(tmp_path: Path) -> None:
    apis, commands = load_library(write(tmp_path, '[[command]]\nprogram = ["hf"]\nsubcommand = ["download", "lfs get"]\nid = 1\n'))
    assert apis == [] and len(commands) == 1
    assert commands[0].subcommands == (("download",), ("lfs", "get"))
    assert commands[0].keywords == ("hf",), "a shell file must hold the program's name by default"


@pytest.mark.parametrize("body, message", [
    ('[[command]]\nprogram = ["hf"]\nid = 1\nsubcomand = ["download"]\n', "unknown keys"),
    ('[[command]]\nprogram = ["hf"]\nid = 0\n', "a position from 1"),
    ('[[command]]\nid = 1\n', "`program` and `id`"),
    ("", "`api` or `command` is required"),
])
def test_a_bad_command_table_is_an_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        load_library(write(tmp_path, body))


def test_known_ids_must_be_a_regular_expression(tmp_path: Path) -> None:
    body = 'known_ids = "yolo(["\n[[api]]\ncallee = ["lib.Model"]\nid = { position = 0 }\n'
    with pytest.raises(PatternError, match="not a regular expression"):
        load_library(write(tmp_path, body))


def test_an_id_may_be_a_key_of_a_dict_argument(tmp_path: Path) -> None:
    body = '[[api]]\ncallee = ["lib.build"]\nid = { keywords = ["default_args"], key = "model" }\nlocal_if_given = ["weights_path"]\n'
    apis, _ = load_library(write(tmp_path, body))
    assert apis[0].id.key == "model" and apis[0].local_if_given == ("weights_path",)
    with pytest.raises(PatternError, match="`key` must be a string"):
        load_library(write(tmp_path, '[[api]]\ncallee = ["lib.build"]\nid = { keywords = ["a"], key = 1 }\n'))


def test_require_known_needs_the_library_s_known_ids(tmp_path: Path) -> None:
    body = '[[api]]\ncallee = ["lib.fetch"]\nid = { position = 0 }\nrequire_known = true\n'
    with pytest.raises(PatternError, match="require_known needs the library's known_ids"):
        load_library(write(tmp_path, body))
    apis, _ = load_library(write(tmp_path, 'known_ids = "https://.*[.]pt"\n' + body))
    assert apis[0].require_known and apis[0].known_ids == "https://.*[.]pt"


def test_hub_arg_maps_an_arguments_values_to_hubs(tmp_path: Path) -> None:
    body = '[[api]]\ncallee = ["lib.M"]\nid = { keywords = ["model"] }\nhub_arg = { keyword = "hub", values = { hf = "huggingface" } }\n'
    apis, _ = load_library(write(tmp_path, body))
    assert apis[0].hub_arg == ("hub", (("hf", "huggingface"),))
    with pytest.raises(PatternError, match="hub_arg"):
        load_library(write(tmp_path, '[[api]]\ncallee = ["lib.M"]\nid = { position = 0 }\nhub_arg = { keyword = "hub" }\n'))
