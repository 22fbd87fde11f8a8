"""Label sets shared between training and serving."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabelSet:
    names: tuple[str, ...]

    @classmethod
    def from_pretrained(cls, path: str | Path) -> "LabelSet":
        """Read `labels.json` saved next to a fine-tuned model (not a hub download)."""
        data = json.loads((Path(path) / "labels.json").read_text())
        return cls(tuple(data["names"]))

    def save_pretrained(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "labels.json").write_text(json.dumps({"names": list(self.names)}))

    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))


def emotions() -> LabelSet:
    """The six-emotion label set shipped with the package."""
    return LabelSet.from_pretrained(Path(__file__).parent / "resources" / "emotions")  # ok
