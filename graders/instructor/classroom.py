"""A class as a table: one row per learner, one column per challenge. The report and the board both draw it.

Columns are the catalog's challenges in order, then any challenge a results file names that this catalog does
not know (an instructor's own, or one from another kit version), under its level. Learners who graded
something other than their own work are kept apart (flagged) and never counted.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graders.ground.catalog import level_order, load_catalog
from graders.ground.results import (
    FAILED,
    NOT_TRIED,
    PASSED,
    RESET,
    flag_reason,
    status_of,
)

from .failures import failure_key

OTHER_LEVEL = "other"


@dataclass
class Column:
    slug: str
    level: str
    title: str = ""


@dataclass
class Row:
    learner: str
    cells: dict[str, str]                     # slug -> passed / failed / not tried
    failures: dict[str, str]                  # slug -> first failure text, for failed cells
    flagged: str | None = None                # why this learner is not counted
    extra: dict = field(default_factory=dict)  # the board adds: stuck, posts, last post

    def passed_in(self, slugs) -> int:
        return sum(self.cells.get(slug) == PASSED for slug in slugs)


@dataclass
class Summary:
    slug: str
    passed: int
    failed: int
    tried: int
    failure: str | None = None               # the most common failing check, grouped (failures.py)
    failure_count: int = 0
    failure_example: str | None = None       # one learner's words for it


@dataclass
class Classroom:
    columns: list[Column]
    rows: list[Row]                           # counted learners
    flagged: list[Row]                        # not counted
    summaries: dict[str, Summary]

    @property
    def levels(self) -> list[tuple[str, list[str]]]:
        """[(level, [slug, ...]), ...] in level order, only levels that have columns."""
        grouped: dict[str, list[str]] = {}
        for column in self.columns:
            grouped.setdefault(column.level, []).append(column.slug)
        return sorted(grouped.items(), key=lambda item: level_order(item[0]))

    @property
    def slugs(self) -> list[str]:
        return [column.slug for column in self.columns]


def cell_status(entry: dict | None) -> str:
    """The room sees a reset challenge as not tried: nothing of it has been graded since."""
    status = status_of(entry)
    return NOT_TRIED if status == RESET else status


def build_classroom(results: list[dict], catalog=None) -> Classroom:
    """`results`: validated results files (schema.validate_results), one per learner."""
    catalog = load_catalog() if catalog is None else catalog
    columns = [Column(c.slug, c.level, c.title) for c in catalog]
    known = {column.slug for column in columns}
    for data in results:
        for slug, entry in data["challenges"].items():
            if slug not in known:
                known.add(slug)
                columns.append(Column(slug, entry.get("level") or OTHER_LEVEL))
    # A level's unknown challenges sit after its known ones; levels keep the kit's order.
    order = {column.slug: index for index, column in enumerate(columns)}
    columns.sort(key=lambda column: (level_order(column.level), order[column.slug]))

    rows, flagged = [], []
    for data in sorted(results, key=lambda d: d["learner"].casefold()):
        challenges = data["challenges"]
        row = Row(data["learner"], {c.slug: cell_status(challenges.get(c.slug)) for c in columns},
                  {slug: entry.get("first_failure") or "" for slug, entry in challenges.items()
                   if cell_status(entry) == FAILED},
                  flag_reason(data))
        (flagged if row.flagged else rows).append(row)
    summaries = {column.slug: summarise(column.slug, rows) for column in columns}
    return Classroom(columns, rows, flagged, summaries)


def summarise(slug: str, rows: list[Row]) -> Summary:
    statuses = [row.cells[slug] for row in rows]
    summary = Summary(slug, statuses.count(PASSED), statuses.count(FAILED),
                      statuses.count(PASSED) + statuses.count(FAILED))
    texts = [row.failures.get(slug, "") for row in rows if row.cells[slug] == FAILED]
    if texts:
        keys = Counter(failure_key(text) for text in texts)
        # The most common check; among equals, the one first in alphabetical order, so output is stable.
        summary.failure, summary.failure_count = min(keys.items(), key=lambda item: (-item[1], item[0]))
        summary.failure_example = next(text for text in texts if failure_key(text) == summary.failure)
    return summary
