"""Drawing questions at random, repeatably: the keyed seeds and the per-outcome draw
shared by attempts (``api.drawn_questions``) and entry checks (``entry_check``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from django.utils.crypto import salted_hmac


def attempt_seed(salt: str, *parts: object) -> int:
    """A keyed hash (the site's secret key) of ``parts``: who, which assessment, which
    attempt (the one about to be made), which published revision… Nothing is stored: the
    same page shown again gives the same seed until an attempt is recorded, and the next
    attempt another. Without the secret key nobody can work it out in advance."""
    message = ":".join(str(part) for part in parts)
    digest = salted_hmac(f"aula.assessments.{salt}", message, algorithm="sha256").digest()
    return int.from_bytes(digest, "big")


def sample_unseen_first(
    positions: Sequence[int], count: int, rng: random.Random, previous: AbstractSet[int]
) -> set[int]:
    """``count`` of ``positions`` at random, taken first from those not in ``previous``;
    of those, only as many as are missing. Without ``previous``: a plain sample."""
    unseen = [position for position in positions if position not in previous]
    if count <= len(unseen):
        return set(rng.sample(unseen, count))
    seen = [position for position in positions if position in previous]
    return set(unseen) | set(rng.sample(seen, count - len(unseen)))


def draw_by_outcome(
    groups: dict[int | None, list[int]],
    drawn: int,
    rng: random.Random,
    *,
    previous: AbstractSet[int] = frozenset(),
) -> set[int]:
    """``drawn`` question positions, shared equally among the outcome ``groups`` (positions
    by outcome, the untagged ones one more group) as far as each group's questions allow;
    what is left over (the division's remainder, and the share of groups too small) goes
    one question at a time to groups picked at random that still have questions, first to
    those that still have questions not in ``previous`` (the positions of the learner's
    attempt before). Each group takes those first too (``sample_unseen_first``): as few
    questions of the attempt before as the equal shares allow."""
    sizes = [len(positions) for positions in groups.values()]
    unseen = [sum(1 for p in positions if p not in previous) for positions in groups.values()]
    share = drawn // len(sizes)
    counts = [min(share, size) for size in sizes]
    left = drawn - sum(counts)
    while left > 0:
        open_groups = [index for index, size in enumerate(sizes) if counts[index] < size]
        fresh = [index for index in open_groups if counts[index] < unseen[index]]
        candidates = fresh or open_groups
        for index in rng.sample(candidates, min(left, len(candidates))):
            counts[index] += 1
            left -= 1
    chosen: set[int] = set()
    for positions, count in zip(groups.values(), counts, strict=True):
        chosen.update(sample_unseen_first(positions, count, rng, previous))
    return chosen
