"""Where each record of an annotation request sits: an interleaved log with random access.

The log runs in rounds. In every round each task still going acts once, and a few new tasks
start (a cohort). Cohorts repeat with a period of `PERIOD` rounds: cohort `a` has the tasks, and
their lengths, of pattern `a % PERIOD`. So a task started in round `a` with `L` steps has its
step `s` in round `a + s`, rounds are in time order, and every task's steps are in order.

Once the longest task of the pattern could have started (`ramp` rounds in), a round's size
depends only on the round number modulo the period, so the start of any round is a table look-up
plus whole periods: a position maps to its round by one bisection over `ramp + PERIOD` starts,
and to its task and step through the round's members, which repeat, relative to the round,
every period (so they are found once per plan and round residue), whatever the position. Within
a round the tasks are in a shuffled order, so the first
page of a log mixes the first steps of a few tasks rather than listing one kind of record.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate
from math import gcd, log

from mockserver.rng import Rng, derive, mix

PERIOD = 32
MAX_STEPS = 48
# Tasks starting per round: often one, often none, sometimes two. Few new tasks per round keep
# the first page varied: its rounds hold the first steps of several tasks, not one kind.
_COHORT_SIZES = ((0, 0.35), (1, 0.5), (2, 0.15))


# The record at one position: (task, its step, the task's number of steps). A plain tuple: one
# is made per record served.
Slot = tuple[int, int, int]
# A round's tasks relative to the round: (how many rounds ago the task started, its index in its
# cohort, its number of steps), in the round's order before shuffling.
Members = tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """The rounds of one annotation request's log (see the module's docstring)."""

    # Lengths of the tasks of each cohort of the period, longest first.
    cohorts: tuple[tuple[int, ...], ...]
    # Tasks started before each cohort of the period (PERIOD + 1 entries).
    task_starts: tuple[int, ...]
    # First position of rounds 0 .. ramp + PERIOD.
    round_starts: tuple[int, ...]
    ramp: int
    key: int

    @property
    def depth(self) -> int:
        """The longest task's number of steps."""
        return self.ramp + 1

    def round_at(self, position: int) -> tuple[int, int, int]:
        """(round, its first position, its size) of the round holding a position."""
        starts, ramp = self.round_starts, self.ramp
        steady = starts[ramp]
        periods, within = 0, position
        if position >= steady:
            periods, within = divmod(position - steady, starts[-1] - steady)
            within += steady
        index = bisect.bisect_right(starts, within) - 1
        first = starts[index] + periods * (starts[-1] - steady)
        return index + periods * PERIOD, first, starts[index + 1] - starts[index]

    def members(self, round_number: int) -> Members:
        """The tasks acting in a round, oldest cohort first; the same for rounds a period apart
        once the ramp is over, so those are computed once per plan (see `_steady_members`)."""
        if round_number >= self.ramp:
            residue = self.ramp + (round_number - self.ramp) % PERIOD
            return _steady_members(self, residue)
        return _members(self.cohorts, round_number, self.ramp)

    def _task(self, cohort: int, index: int) -> int:
        return (cohort // PERIOD) * self.task_starts[-1] + self.task_starts[cohort % PERIOD] + index

    def order(self, round_number: int, size: int) -> tuple[int, int]:
        """A permutation of a round, i -> (i * stride + shift) mod size, stride prime to size."""
        spread = mix(self.key ^ mix(round_number))
        stride = 1 + (spread >> 32) % size
        while gcd(stride, size) != 1:
            stride += 1
        return stride, spread % size

    def locate(self, position: int) -> Slot:
        """The task and step of the record at a 0-based position."""
        round_number, first, size = self.round_at(position)
        stride, shift = self.order(round_number, size)
        ago, index, length = self.members(round_number)[
            ((position - first) * stride + shift) % size
        ]
        return self._task(round_number - ago, index), ago, length

    def slots(self, start: int, stop: int) -> list[Slot]:
        """The slots of positions [start, stop), each round's members found once."""
        out: list[Slot] = []
        position = start
        while position < stop:
            round_number, first, size = self.round_at(position)
            stride, shift = self.order(round_number, size)
            members = self.members(round_number)
            end = min(stop, first + size)
            for offset in range(position - first, end - first):
                ago, index, length = members[(offset * stride + shift) % size]
                out.append((self._task(round_number - ago, index), ago, length))
            position = end
        return out


def _members(cohorts: tuple[tuple[int, ...], ...], round_number: int, ramp: int) -> Members:
    found = []
    for cohort in range(max(0, round_number - ramp), round_number + 1):
        ago = round_number - cohort
        for index, length in enumerate(cohorts[cohort % PERIOD]):
            if length <= ago:
                break
            found.append((ago, index, length))
    return tuple(found)


# Steady rounds' members by (layout key, round residue): bounded, since plans come and go.
_STEADY: OrderedDict[tuple[int, int], Members] = OrderedDict()
_STEADY_SIZE = 4096


def _steady_members(layout: Layout, residue: int) -> Members:
    key = (layout.key, residue)
    found = _STEADY.get(key)
    if found is None:
        found = _STEADY[key] = _members(layout.cohorts, residue, layout.ramp)
        if len(_STEADY) > _STEADY_SIZE:
            _STEADY.popitem(last=False)
    return found


def _task_length(rng: Rng, decay: float) -> int:
    """Steps of one task: geometric, most tasks short, a few long."""
    return min(MAX_STEPS, 1 + int(log(1.0 - rng.uniform()) / log(decay)))


def make_layout(rng: Rng, decay: float) -> Layout:
    """The rounds of a log whose tasks' lengths decay geometrically by `decay`."""
    cohorts = []
    for index in range(PERIOD):
        size = rng.weighted(_COHORT_SIZES)
        # The log starts with a task, so the first round is never empty.
        size = 1 if index == 0 else size
        cohorts.append(tuple(sorted((_task_length(rng, decay) for _ in range(size)), reverse=True)))
    ramp = max(lengths[0] for lengths in cohorts if lengths) - 1
    rounds = ramp + PERIOD
    # Each task adds one record to each round it spans: a difference array over the rounds.
    change = [0] * (rounds + 1)
    for cohort in range(rounds):
        for length in cohorts[cohort % PERIOD]:
            change[cohort] += 1
            change[min(rounds, cohort + length)] -= 1
    sizes = list(accumulate(change[:rounds]))
    return Layout(
        cohorts=tuple(cohorts),
        task_starts=tuple(accumulate((len(lengths) for lengths in cohorts), initial=0)),
        round_starts=tuple(accumulate(sizes, initial=0)),
        ramp=ramp,
        # The key names the steady rounds' cached members, so it covers the cohorts themselves.
        key=derive(rng.next(), repr(cohorts)),
    )
