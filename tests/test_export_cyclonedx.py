"""`export --format cyclonedx`: every BOM passes cyclonedx-python-lib's strict
JSON-schema validator for 1.6 and reads back into the library's own model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import ComponentType
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from miner.cli import EXIT_OK, main
from miner.export import keys
from tests.test_export_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def boms(world: World) -> Path:
    folder = world.root / "boms"
    assert main(["export", str(world.out), "--format", "cyclonedx", "--to", str(folder)]) == EXIT_OK
    return folder


def load(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.cdx.json").read_text())


def by_name(bom: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for c in bom["components"]:
        found.setdefault(c["name"], []).append(c)
    return found


def props(component: dict) -> dict[str, str]:
    return {p["name"].removeprefix("ptm-miner:"): p["value"] for p in component.get("properties", [])}


def test_one_valid_bom_per_repository(boms: Path) -> None:
    files = sorted(p.name for p in boms.iterdir())
    assert files == ["acme__app.cdx.json", "acme__lib.cdx.json"]
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for path in boms.iterdir():
        text = path.read_text()
        assert validator.validate_str(text) is None, path
        data = json.loads(text)
        assert data["bomFormat"] == "CycloneDX" and data["specVersion"] == "1.6"
        bom = Bom.from_json(data)  # the library reads it back
        assert bom.metadata.component is not None and bom.metadata.component.type == ComponentType.APPLICATION


def test_models_purls_and_evidence(boms: Path) -> None:
    app = load(boms, "acme__app")
    subject = app["metadata"]["component"]
    assert (subject["group"], subject["name"]) == ("acme", "app")
    assert subject["externalReferences"] == [{"type": "vcs", "url": "https://github.com/acme/app"}]
    comps = by_name(app)
    assert set(comps) == {"bert-base-uncased", "FacebookAI/roberta-base", "microsoft/phi-2",
                          "openai-community/gpt2", "pytorch/vision:resnet18", "nyu-mll/glue"}
    (bert,) = comps["bert-base-uncased"]
    assert bert["type"] == "machine-learning-model"
    assert bert["purl"] == "pkg:huggingface/bert-base-uncased@5546055f03398095e385d7dc625e636cc8910bf2"
    assert bert["evidence"]["occurrences"] == [{
        "location": "app.py", "line": 7, "symbol": "transformers.AutoModel.from_pretrained",
        "additionalContext": "constant: MODEL"}]
    (resnet,) = comps["pytorch/vision:resnet18"]
    assert resnet["purl"] == "pkg:github/pytorch/vision@v0.10.0?entrypoint=resnet18"
    (glue,) = comps["nyu-mll/glue"]
    assert glue["type"] == "data" and glue["purl"] == "pkg:generic/huggingface/datasets/nyu-mll/glue"
    (roberta,) = comps["FacebookAI/roberta-base"]
    assert roberta["purl"] == "pkg:huggingface/FacebookAI/roberta-base" and "version" not in roberta
    # the subject depends on every model
    deps = {d["ref"]: d.get("dependsOn", []) for d in app["dependencies"]}
    assert sorted(deps["repository"]) == sorted(c["bom-ref"] for c in app["components"])


def test_reuse_attributes_as_properties(boms: Path) -> None:
    comps = by_name(load(boms, "acme__app"))
    bert = props(comps["bert-base-uncased"][0])
    assert bert["revision_pinned"] == "true" and bert["trust_remote_code"] == "unset"
    assert bert["canonical_id"] == "google-bert/bert-base-uncased"
    assert "pickle_download" not in bert
    phi = props(comps["microsoft/phi-2"][0])
    assert phi["trust_remote_code"] == "true" and phi["revision_pinned"] == "false"
    (gpt2,) = comps["openai-community/gpt2"]
    p = props(gpt2)
    assert p["downloaded_files"] == "model.safetensors,pytorch_model.bin"
    assert p["pickle_download"] == "true" and p["file_formats"] == "pickle,safe"
    assert p["usages"] == "2" and len(gpt2["evidence"]["occurrences"]) == 2
    lib = by_name(load(boms, "acme__lib"))
    encoder = props(lib["sentence-transformers/all-MiniLM-L6-v2"][0])
    assert encoder["resolutions"] == "env_default" and encoder["libraries"] == "sentence-transformers"


def test_repository_without_models_gets_an_empty_bom(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing here\n")
    listing = tmp_path / "list.txt"
    listing.write_text("empty\n")
    out = tmp_path / "out"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "1"]) == EXIT_OK
    assert main(["export", str(out), "--format", "cyclonedx", "--to", str(tmp_path / "boms")]) == EXIT_OK
    (path,) = (tmp_path / "boms").iterdir()
    assert path.name == f"{keys.file_slug(str(empty))}.cdx.json"
    text = path.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    assert json.loads(text).get("components", []) == []


def test_purls_of_other_hubs() -> None:
    assert str(keys.purl("url", "model", "https://download.pytorch.org/models/resnet18-5c106cde.pth")) == (
        "pkg:generic/url/download.pytorch.org/models/resnet18-5c106cde.pth"
        "?download_url=https://download.pytorch.org/models/resnet18-5c106cde.pth")
    assert str(keys.purl("timm", "model", "resnet50")) == "pkg:generic/timm/resnet50"
    assert str(keys.purl("huggingface", "model", "Qwen/Qwen2-7B", "main")) == "pkg:huggingface/Qwen/Qwen2-7B@main"
    assert keys.file_slug("/a/b") != keys.file_slug("/a_b")
