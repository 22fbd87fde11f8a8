"""Config extraction: string values by dotted key path, with exact lines."""
from __future__ import annotations

import configparser
import io
import json
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miner.extract.config import extract_config, is_config_path
from miner.records import ConfigValue, FileKind, ParseStatus

FIXTURES = Path(__file__).parent / "fixtures" / "config"


def values_of(path: str, text: str) -> list[tuple[int, str, str]]:
    facts = extract_config(path, text)
    assert facts.kind == FileKind.CONFIG
    assert facts.status == ParseStatus.OK, facts.error
    return [(v.line, v.key, v.value) for v in facts.config_values]


def fixture(name: str) -> list[tuple[int, str, str]]:
    return values_of(name, (FIXTURES / name).read_text())


# --- fixtures -----------------------------------------------------------------


def test_yaml_fixture() -> None:
    assert fixture("train.yaml") == [
        (3, "defaults.model_name_or_path", "bert-base-cased"),
        (3, "experiment.model_name_or_path", "bert-base-cased"),  # merged from the anchor, at its line
        (10, "experiment.tokenizer_name", "bert-base-cased"),
        (11, "experiment.output_dir", "outputs/run"),
        (14, "models.0.name", "roberta-large"),
        (15, "models.0.revision", "main"),
        (16, "models.1", "distilgpt2"),
        (20, "description", "folded text on two lines\n"),
        (25, "backbone", "resnet50"),  # the second document
    ]


def test_json_fixture() -> None:
    assert fixture("trainer.json") == [
        (3, "model.name_or_path", "google/flan-t5-base"),
        (4, "model.dtype", "float16"),
        (7, "datasets.0", "squad"),
        (8, "datasets.1", "glue"),
        (9, "escaped", 'say "hi" \u00e9'),
        (11, "model.name_or_path", "dotted-key"),
    ]


def test_toml_fixture() -> None:
    assert fixture("train.toml") == [
        (3, "tool.trainer.base_model", "meta-llama/Llama-2-7b-hf"),
        (4, "tool.trainer.adapter.name", "lora"),
        (6, "tool.trainer.candidates.0", "mistralai/Mistral-7B-v0.1"),
        (7, "tool.trainer.candidates.1", "tiiuae/falcon-7b"),
        (10, "tool.trainer.notes", "multi-line\n"),
        (15, "runs.0.model", "gpt2"),
        (18, "runs.1.model", "gpt2-medium"),
        (19, "runs.1.extra.tokenizer", "gpt2"),
    ]


def test_ini_fixture() -> None:
    assert fixture("model.cfg") == [
        (2, "DEFAULT.cache_dir", "/tmp/cache"),
        (6, "model.Tokenizer", "xlm-roberta-base"),
        (7, "model.layers", "12"),
        (8, "model.description", "first line\nsecond line"),
        (14, "model.pretrained", "bert-large-cased"),  # the repeated section's value wins, as in configparser
    ]


# --- formats -----------------------------------------------------------------


def test_yaml_only_string_scalars() -> None:
    text = "a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: !!str 2\ng: ~\nh: [x, 2]\n"
    assert values_of("c.yml", text) == [(5, "e", "1"), (6, "f", "2"), (8, "h.0", "x")]


def test_yaml_never_constructs_objects() -> None:
    # Composed, never constructed: the tagged sequence is walked as data, the tagged scalar is not a str.
    text = "a: !!python/object/apply:os.system ['echo pwned']\nb: ok\nc: !custom tagged\n"
    assert values_of("c.yaml", text) == [(1, "a.0", "echo pwned"), (2, "b", "ok")]


def test_yaml_merge_list_and_nested_sequences() -> None:
    text = "x: &x {m: a}\ny: &y {n: b}\nz:\n  <<: [*x, *y]\n  o: [[p, q]]\n"
    assert values_of("c.yaml", text) == [(1, "x.m", "a"), (2, "y.n", "b"), (1, "z.m", "a"), (2, "z.n", "b"),
                                         (5, "z.o.0.0", "p"), (5, "z.o.0.1", "q")]


def test_invalid_yaml_fails() -> None:
    facts = extract_config("c.yaml", "a: [unclosed\nb: c\n")
    assert facts.status == ParseStatus.FAILED and facts.config_values == ()
    assert facts.error.startswith(("ParserError", "ScannerError"))


def test_yaml_error_in_a_later_document_keeps_the_earlier_ones() -> None:
    facts = extract_config("c.yaml", "a: b\n---\nc: [d\n")
    assert facts.status == ParseStatus.PARTIAL and facts.config_values == (ConfigValue(1, "a", "b"),)


def test_json_keys_and_lines() -> None:
    text = '{"a": {"b": ["x", {"c": "y"}]},\n "d": "z", "n": 1, "t": true}'
    assert values_of("c.json", text) == [(1, "a.b.0", "x"), (1, "a.b.1.c", "y"), (2, "d", "z")]


def test_json_duplicate_keys_take_the_last() -> None:
    assert values_of("c.json", '{"a": "first",\n"a": "second"}') == [(2, "a", "second")]


def test_json_bom_and_top_level_string() -> None:
    assert values_of("c.json", '\ufeff\n  "alone"') == [(2, "", "alone")]


def test_invalid_json_fails() -> None:
    for text in ('{"a": }', '{"a": "b"} extra', "", "{'a': 1}", '{"a": "b",}', "[1, 2"):
        facts = extract_config("c.json", text)
        assert facts.status == ParseStatus.FAILED and facts.error, text


def test_toml_dotted_keys_and_inline_arrays() -> None:
    text = 'a.b = "x"\n[t]\nc = ["y", "z"]\nd = { e = "w" }\n'
    assert values_of("c.toml", text) == [(1, "a.b", "x"), (3, "t.c.0", "y"), (3, "t.c.1", "z"), (4, "t.d.e", "w")]


def test_invalid_toml_and_ini_fail() -> None:
    assert extract_config("c.toml", "a = \n").status == ParseStatus.FAILED
    assert extract_config("c.ini", "[a]\n= no key\n").status == ParseStatus.FAILED


def test_ini_keys_above_any_section() -> None:
    assert values_of("yolo.cfg", "width = 800\nmodel: yolov5s\n[s]\nk = v\n") == [
        (1, "width", "800"), (2, "model", "yolov5s"), (4, "s.k", "v")]


def test_unknown_extension_and_size_cap_skip() -> None:
    assert extract_config("c.txt", "a: b").status == ParseStatus.SKIPPED
    facts = extract_config("c.yaml", "a: b\n" * 100, max_bytes=50)
    assert facts.status == ParseStatus.SKIPPED and "larger" in facts.error


def test_is_config_path() -> None:
    for path in ("conf/train.yaml", "a.yml", "cfg/model.json", "x/settings.ini", "model.cfg",
                 "CONFIG.YAML", "config.json", "tokenizer_config.json"):
        assert is_config_path(path), path
    for path in ("package.json", "web/package-lock.json", "pnpm-lock.yaml", "tsconfig.base.json",
                 "vocab.json", "tokenizer.json", "train.py", "README.md", "x.yaml.bak", "Pipfile.lock",
                 "pyproject.toml", "setup.cfg", "x/tox.ini", ".github/workflows/ci.yml"):
        assert not is_config_path(path), path


# --- hostile input ---------------------------------------------------------------


def test_deeply_nested_documents_fail_cleanly() -> None:
    for name, text in (("d.yaml", "[" * 100_000 + "]" * 100_000), ("d.json", "[" * 100_000 + "]" * 100_000),
                       ("d.json", '{"a":' * 50_000 + '"x"' + "}" * 50_000),
                       ("d.toml", "a = " + "[" * 5000 + "]" * 5000),
                       ("d.yaml", "".join(" " * i + "k:\n" for i in range(1500)))):
        facts = extract_config(name, text)
        assert facts.status in (ParseStatus.FAILED, ParseStatus.PARTIAL), name
        assert facts.error


def test_yaml_billion_laughs_is_read_once_per_node() -> None:
    """Aliases share their anchor's node: it is walked once, so a billion
    laughs costs its size, and what follows it is still read."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["model_name_or_path: org/after-the-bomb"]
    facts = extract_config("bomb.yaml", "\n".join(lines))
    assert facts.status == ParseStatus.OK
    assert [(v.key, v.value) for v in facts.config_values] == [
        *((f"a0.{i}", "lol") for i in range(9)), ("model_name_or_path", "org/after-the-bomb")]


def test_yaml_recursive_alias_is_read_once() -> None:
    facts = extract_config("loop.yaml", "a: &a [x, *a]\n")
    assert facts.status == ParseStatus.OK
    assert [(v.line, v.key, v.value) for v in facts.config_values] == [(1, "a.0", "x")]


def test_yaml_merge_keys_are_read_where_they_are_merged() -> None:
    text = "defaults: &d\n  model_name_or_path: org/base\ntrain:\n  <<: *d\n  lr: '0.1'\n"
    facts = extract_config("merge.yaml", text)
    assert [(v.key, v.value) for v in facts.config_values] == [
        ("defaults.model_name_or_path", "org/base"), ("train.model_name_or_path", "org/base"), ("train.lr", "0.1")]


def test_binary_garbage_never_raises() -> None:
    garbage = (bytes(range(256)) * 200).decode("utf-8", errors="replace")
    for name in ("g.yaml", "g.json", "g.toml", "g.ini"):
        assert extract_config(name, garbage).status in (ParseStatus.FAILED, ParseStatus.OK, ParseStatus.PARTIAL)


def test_large_json_is_read_whole() -> None:
    data = {f"k{i}": {"model": f"org/model-{i}", "n": i, "tags": ["a", "b"]} for i in range(20_000)}
    text = json.dumps(data, indent=1)
    facts = extract_config("big.json", text)
    assert facts.status == ParseStatus.OK and len(facts.config_values) == 60_000
    lines = text.split("\n")
    assert all(json.dumps(v.value) in lines[v.line - 1] for v in facts.config_values[:500])


# --- properties ------------------------------------------------------------------

_SAFE = st.text(alphabet=st.characters(categories=("L", "N"), include_characters="-_/. ", max_codepoint=0x2FF),
                min_size=1, max_size=12)
_KEYS = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
_TREE = st.recursive(_SAFE | st.integers() | st.booleans() | st.none(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                     max_leaves=25)


def _strings(value: object, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(".".join(path), value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(v, path + (k,))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _strings(v, path + (str(i),))]
    return []


def _toml(table: dict, prefix: str = "") -> str:
    """A small TOML writer for the generated trees (values inline, sub-tables as headers)."""
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    out = [f"{k} = {_toml_value(v)}" for k, v in scalars.items() if v is not None]
    for key, sub in table.items():
        if isinstance(sub, dict):
            out += [f"[{prefix}{key}]", _toml(sub, f"{prefix}{key}.")]
    return "\n".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None and not isinstance(v, dict)) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _check_lines(text: str, facts) -> None:
    lines = text.split("\n")
    for v in facts.config_values:
        assert v.value in lines[v.line - 1] or json.dumps(v.value, ensure_ascii=False)[1:-1] in lines[v.line - 1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _TREE, max_size=6))
def test_property_values_are_in_the_text_on_their_line(tree: dict) -> None:
    dumps = {
        "p.yaml": yaml.safe_dump(tree, allow_unicode=True, width=math.inf),
        "p.json": json.dumps(tree, indent=2, ensure_ascii=False),
        "q.json": json.dumps(tree, ensure_ascii=False),
    }
    expected = sorted(_strings(tree))
    for name, text in dumps.items():
        facts = extract_config(name, text)
        assert facts.status == ParseStatus.OK, facts.error
        assert sorted((v.key, v.value) for v in facts.config_values) == expected, name
        _check_lines(text, facts)
    toml_tree = {k: v for k, v in tree.items() if not isinstance(v, list)}
    text = _toml(toml_tree)
    facts = extract_config("p.toml", text)
    if facts.status == ParseStatus.OK:  # the writer above is not a full TOML writer
        _check_lines(text, facts)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(_KEYS, st.dictionaries(_KEYS, _SAFE.map(str.strip).filter(bool), max_size=4), max_size=4))
def test_property_ini_values_and_lines(sections: dict) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_dict(sections)
    buffer = io.StringIO()
    parser.write(buffer)
    text = buffer.getvalue()
    facts = extract_config("p.ini", text)
    assert facts.status == ParseStatus.OK, facts.error
    assert sorted((v.key, v.value) for v in facts.config_values) == sorted(
        (f"{s}.{k}", v) for s, kv in sections.items() for k, v in kv.items())
    _check_lines(text, facts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["r.yaml", "r.json", "r.toml", "r.ini", "r.cfg"]))
def test_property_random_text_never_raises(text: str, name: str) -> None:
    facts = extract_config(name, text)
    assert facts.status in (ParseStatus.OK, ParseStatus.PARTIAL, ParseStatus.FAILED)
    if facts.status == ParseStatus.FAILED:
        assert facts.error
    for v in facts.config_values:
        assert 1 <= v.line <= text.count("\n") + 1
