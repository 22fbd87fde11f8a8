"""The evaluator is built from one mixin per concern (docs/resolution.md,
"Where the rules live"); a rule defined in two of them would silently shadow
the other (the first in the method order wins), so each name has one home."""
from __future__ import annotations

from miner.resolve.evaluate import Evaluator


def test_each_rule_of_the_evaluator_is_defined_in_one_module_only() -> None:
    homes: dict[str, list[str]] = {}
    for cls in Evaluator.__mro__[:-1]:
        for name, value in vars(cls).items():
            if callable(value) and not name.startswith("__"):
                homes.setdefault(name, []).append(cls.__module__)
    assert len(Evaluator.__mro__) == 7  # Evaluator, its five mixins, object
    assert {name: where for name, where in homes.items() if len(where) > 1} == {}
    assert len(homes) > 80  # every rule was seen (a mixin's methods are plain functions)
