"""The benchmark corpus: real code nobody here wrote, from pinned PyPI wheels.

Each pinned wheel is downloaded with `pip download --no-deps --only-binary=:all:`,
its `.py` files (and `.ipynb`, `.sh`, `.yaml`, `.yml`, if any) are unpacked into
a folder of their own, and that folder becomes a git repository with one
commit (fixed author and dates, so the commit ids are reproducible). A list
file per size names the repositories, one relative path a line, in the format
`python -m miner mine --repos` reads.

Layout under `benchmarks/.cache/` (git-ignored, reused when present):

    wheels/                    the downloaded wheels
    repos/<name>-<version>/    one git repository per wheel
    list-small.txt, list-full.txt
    manifest.json              what was built, and which pins failed to download

    python -m benchmarks.corpus [--size small|full] [--retry-failed]

A pin whose download fails (no wheel for this platform, an sdist-only release,
a version the registry no longer serves) is skipped and recorded; it is tried
again only with `--retry-failed`.
"""
from __future__ import annotations

import argparse
import json
import posixpath
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import git

# --- the pins: edit here, and only here, to change the corpus ----------------

# Libraries whose own code defines or wraps the loading APIs.
CORE: tuple[tuple[str, str], ...] = (
    ("transformers", "5.23.0"),
    ("diffusers", "0.42.1"),
    ("peft", "0.21.2"),
    ("sentence-transformers", "6.2.0"),
    ("timm", "1.0.31"),
    ("accelerate", "1.15.0"),
    ("optimum", "2.3.0"),
    ("setfit", "1.2.0"),
    ("open-clip-torch", "3.3.0"),
    ("huggingface-hub", "2.4.0"),
)
# Smaller packages that call them.
CALLERS: tuple[tuple[str, str], ...] = (
    ("span-marker", "1.8.1"),
    ("gliner", "0.2.29"),
    ("bertopic", "0.17.4"),
    ("flair", "0.15.1"),
    ("langchain-huggingface", "1.2.3"),
    ("llama-index-embeddings-huggingface", "0.8.0"),
    ("faster-whisper", "1.2.1"),
    ("ultralytics", "8.4.190"),
    ("keras-hub", "0.32.0"),
    ("kagglehub", "1.0.3"),
    ("modelscope", "1.40.2"),
    ("paddlenlp", "2.8.1"),
    ("FlagEmbedding", "1.4.2"),
    ("InstructorEmbedding", "1.0.1"),
    ("lm-eval", "0.4.13"),
    ("trl", "1.16.0"),
    ("evaluate", "0.4.6"),
    ("datasets", "5.2.0"),
    ("gradio-client", "2.7.2"),
    ("txtai", "9.14.0"),
    ("haystack-ai", "3.4.1"),
    ("autogluon-multimodal", "1.6.3"),
    ("mteb", "2.26.24"),
    ("rerankers", "0.10.0"),
    ("ctransformers", "0.2.27"),
    ("auto-gptq", "0.7.1"),
    ("spacy-transformers", "1.4.0"),
    ("stanza", "1.15.0"),
    ("simpletransformers", "0.70.8"),
    ("transformers-interpret", "0.10.0"),
    ("colbert-ai", "0.2.22"),
    ("ragatouille", "0.0.9.post2"),
    ("speechbrain", "1.1.2"),
    ("whisperx", "3.8.6"),
    ("keybert", "0.9.0"),
    ("sahi", "0.12.8"),
    ("easyocr", "1.7.2"),
    ("litgpt", "0.5.13"),
    ("openai-whisper", "20250625"),
    ("unsloth", "2026.10.9"),
    ("unsloth_zoo", "2026.10.9"),
)
# The small size: a handful of packages, for a second memory figure.
SMALL_NAMES: tuple[str, ...] = ("peft", "setfit", "span-marker", "gliner", "rerankers", "keybert")

SIZES = ("small", "full")
SUFFIXES = (".py", ".ipynb", ".sh", ".yaml", ".yml")
CACHE = Path(__file__).resolve().parent / ".cache"
ACTOR = git.Actor("ptm-miner benchmark", "bench@localhost")
_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
_PIP_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class Pin:
    name: str
    version: str

    @property
    def folder(self) -> str:
        return f"{_normalize(self.name)}-{self.version}"

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(slots=True)
class Built:
    """One corpus repository as built."""

    pin: str
    folder: str
    wheel: str
    commit: str
    files: int
    bytes: int


@dataclass(slots=True)
class Manifest:
    built: dict[str, Built] = field(default_factory=dict)  # by folder
    failed: dict[str, str] = field(default_factory=dict)  # pin -> reason

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls({k: Built(**v) for k, v in raw.get("built", {}).items()}, dict(raw.get("failed", {})))
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        raw = {"built": {k: asdict(v) for k, v in sorted(self.built.items())}, "failed": dict(sorted(self.failed.items()))}
        path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Corpus:
    """A built corpus of one size: its list file and repositories."""

    size: str
    list_file: Path
    repos: tuple[Path, ...]
    skipped: dict[str, str]  # pin -> why it is not in the corpus


def pins(size: str) -> tuple[Pin, ...]:
    """The pins of a size, in a fixed order."""
    every = tuple(Pin(n, v) for n, v in CORE + CALLERS)
    if size == "full":
        return every
    if size == "small":
        wanted = {_normalize(n) for n in SMALL_NAMES}
        return tuple(p for p in every if _normalize(p.name) in wanted)
    raise ValueError(f"unknown size {size!r}; expected one of {SIZES}")


def build(size: str = "full", *, cache: Path = CACHE, retry_failed: bool = False,
          log=print) -> Corpus:
    """The corpus of `size`, building what the cache lacks."""
    for sub in ("wheels", "repos"):
        (cache / sub).mkdir(parents=True, exist_ok=True)
    manifest_path = cache / "manifest.json"
    manifest = Manifest.load(manifest_path)
    repos: list[Path] = []
    skipped: dict[str, str] = {}
    for pin in pins(size):
        if pin.spec in manifest.failed and not retry_failed:
            skipped[pin.spec] = manifest.failed[pin.spec]
            continue
        try:
            repos.append(_ensure_repo(pin, cache, manifest, log))
            manifest.failed.pop(pin.spec, None)
        except BuildError as exc:
            manifest.failed[pin.spec] = str(exc)
            skipped[pin.spec] = str(exc)
            log(f"skipped {pin.spec}: {exc}")
        manifest.save(manifest_path)
    list_file = cache / f"list-{size}.txt"
    _write_list(list_file, repos, size)
    return Corpus(size, list_file, tuple(repos), skipped)


class BuildError(Exception):
    """A pin that cannot be turned into a corpus repository."""


def _ensure_repo(pin: Pin, cache: Path, manifest: Manifest, log) -> Path:
    dest = cache / "repos" / pin.folder
    built = manifest.built.get(pin.folder)
    if built is not None and _restore(dest, built.commit):
        return dest
    wheel = _download(pin, cache / "wheels", log)
    if dest.exists():
        shutil.rmtree(dest)
    files, size = _unpack(wheel, dest)
    if files == 0:
        shutil.rmtree(dest, ignore_errors=True)
        raise BuildError(f"{wheel.name} has no {'/'.join(SUFFIXES)} files")
    commit = _commit(dest, f"{pin.spec} from {wheel.name}")
    manifest.built[pin.folder] = Built(pin.spec, pin.folder, wheel.name, commit, files, size)
    log(f"built {pin.folder}: {files} files, {size / 1e6:.1f} MB")
    return dest


def _restore(dest: Path, commit: str) -> bool:
    """True if `dest` is the repository built at `commit`, put back there if a
    benchmark left a later commit on top (the one-file change)."""
    try:
        repo = git.Repo(dest)
        if repo.head.commit.hexsha != commit:
            repo.head.reset(commit, index=True, working_tree=True)
        return repo.head.commit.hexsha == commit
    except (git.GitError, ValueError, OSError):
        return False


def _download(pin: Pin, wheels: Path, log) -> Path:
    found = _find_wheel(pin, wheels)
    if found is not None:
        return found
    log(f"downloading {pin.spec}")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--timeout", "30", "--retries", "1", "-d", str(wheels), pin.spec]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BuildError(f"pip download timed out after {_PIP_TIMEOUT_S}s") from None
    found = _find_wheel(pin, wheels)
    if proc.returncode != 0 or found is None:
        lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        raise BuildError(lines[-1].strip()[:300] if lines else f"pip exited {proc.returncode}")
    return found


def _find_wheel(pin: Pin, wheels: Path) -> Path | None:
    stem = _normalize(pin.name).replace("-", "_")
    for path in sorted(wheels.glob("*.whl")):
        name, _, rest = path.name.partition("-")
        version = rest.split("-", 1)[0]
        if _normalize(name).replace("-", "_") == stem and version == pin.version:
            return path
    return None


def _unpack(wheel: Path, dest: Path) -> tuple[int, int]:
    """Unpack the wanted files of a wheel into `dest`; (files, bytes)."""
    files = size = 0
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or not name.lower().endswith(SUFFIXES) or ".dist-info/" in name:
                continue
            clean = posixpath.normpath(name)
            if clean.startswith(("/", "../")) or clean == ".." or ".git" in clean.split("/"):
                continue
            target = dest / clean
            target.parent.mkdir(parents=True, exist_ok=True)
            data = zf.read(info)
            target.write_bytes(data)
            files += 1
            size += len(data)
    return files, size


def _commit(dest: Path, message: str) -> str:
    repo = git.Repo.init(dest, initial_branch="main")
    repo.git.add("--all")
    commit = repo.index.commit(message, author=ACTOR, committer=ACTOR, author_date=_DATE, commit_date=_DATE)
    return commit.hexsha


def _write_list(path: Path, repos: list[Path], size: str) -> None:
    lines = [f"# ptm-miner benchmark corpus ({size}): {len(repos)} repositories built from PyPI wheels"]
    lines += [f"./{repo.relative_to(path.parent).as_posix()}" for repo in repos]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--retry-failed", action="store_true", help="try pins that failed before again")
    args = parser.parse_args(argv)
    corpus = build(args.size, retry_failed=args.retry_failed)
    print(f"{corpus.size}: {len(corpus.repos)} repositories, list {corpus.list_file}")
    for spec, reason in corpus.skipped.items():
        print(f"  skipped {spec}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
