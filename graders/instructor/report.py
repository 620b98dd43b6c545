"""A class report in three shapes: a terminal table, a CSV a spreadsheet opens as it is, and one HTML page.

All three draw the same Classroom (classroom.py). The CSV is also what the live board exports. The terminal
table prints every learner-supplied string (names, failure texts, targets, notes) through terminal_text: a
results file can hold escape sequences, and a report must never clear, retitle or hide the instructor's screen.
"""
from __future__ import annotations

import csv
import datetime
import io
import sys
import unicodedata
from html import escape

from graders.ground.console import MARKS, can_encode, terminal_text

from .classroom import FAILED, NOT_TRIED, PASSED, Classroom, Row
from .collect import Collected

SYMBOLS = {status: MARKS[status][0] for status in (PASSED, FAILED, NOT_TRIED)}
ASCII_SYMBOLS = {status: MARKS[status][1] for status in (PASSED, FAILED, NOT_TRIED)}
NAME_WIDTH = 22


def display_width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def fit(text: str, width: int) -> str:
    """The text cut to `width` terminal columns (with … when cut), then padded to exactly that width."""
    if display_width(text) > width:
        while text and display_width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - display_width(text))


# --- the terminal table -------------------------------------------------------------------------------------------

def shown_failure(summary) -> str:
    """Failures are grouped by their check (failures.failure_key takes the learners' values out), but an
    instructor reads one learner's real first line, not the grouping key with its N and TIME."""
    return (summary.failure_example or summary.failure or "").strip().splitlines()[0]


def render_table(room: Classroom, collected: Collected | None = None, encoding: str | None = None) -> str:
    encoding = encoding if encoding is not None else sys.stdout.encoding
    symbols = SYMBOLS if can_encode("".join(SYMBOLS.values()) + "…│", encoding) else ASCII_SYMBOLS
    bar = "│" if symbols is SYMBOLS else "|"
    levels = room.levels
    number = {slug: index + 1 for index, slug in enumerate(slug for _, slugs in levels for slug in slugs)}
    lines = [f"Class report: {len(room.rows)} learner{'s' * (len(room.rows) != 1)}"
             + (f" ({len(room.flagged)} more flagged, not counted)" if room.flagged else "")
             + f", {len(room.columns)} challenges"]
    if collected is not None:
        lines[0] += f", from {collected.files} file{'s' * (collected.files != 1)}"
    lines.append("")

    # Header: level names over their columns, then the column numbers written downwards (tens, then units).
    widths = {level: max(len(slugs) + len(f" {len(slugs)}/{len(slugs)}"), len(level)) for level, slugs in levels}
    head = " " * NAME_WIDTH + "".join(f" {bar} " + fit(level, widths[level]) for level, _ in levels) + f" {bar} total"
    lines.append(head.rstrip())
    for digit in (0, 1):
        cells = []
        for level, slugs in levels:
            text = "".join(f"{number[s]:>2}"[digit] for s in slugs)
            cells.append(f" {bar} " + text.ljust(widths[level]))
        lines.append((" " * NAME_WIDTH + "".join(cells) + f" {bar}").rstrip())
    for row in room.rows:
        lines.append(table_row(row, levels, widths, symbols, bar))
    if not room.rows:
        lines.append("(no learners to show)")
    lines.append("")
    lines.append(f"{symbols[PASSED]} passed   {symbols[FAILED]} failed   {symbols[NOT_TRIED]} not tried")
    lines.append("")
    learners = len(room.rows)
    lines.append(f"Per challenge: passed (of {learners}), and the most common first failure, grouped by the check:")
    for column in room.columns:
        summary = room.summaries[column.slug]
        line = f"{number[column.slug]:>3} {fit(column.slug, 20)} {summary.passed:>3}/{learners} passed"
        if summary.failure:
            failure = fit(terminal_text(shown_failure(summary)), 90).rstrip()
            line += f"   {summary.failure_count} of {summary.failed} failing: {failure}"
        lines.append(line)
    if room.flagged:
        lines.append("")
        lines.append("Flagged, not counted (they graded something other than their own work):")
        lines += [f"  {terminal_text(row.learner)}: {terminal_text(row.flagged)}" for row in room.flagged]
    if collected is not None and collected.notes:
        lines.append("")
        lines.append("Files skipped, merged or read with care (one line each):")
        lines += [f"  {terminal_text(note)}" for note in collected.notes]
    # Every learner-supplied string was cleaned where it was put in; this last pass keeps it so for any added.
    return "\n".join(terminal_text(line) for line in lines) + "\n"


def table_row(row: Row, levels, widths, symbols, bar) -> str:
    parts = [fit(terminal_text(row.learner), NAME_WIDTH - 1) + " "]
    total = 0
    for level, slugs in levels:
        passed = row.passed_in(slugs)
        total += passed
        cells = "".join(symbols[row.cells[s]] for s in slugs) + f" {passed:>{len(str(len(slugs)))}}/{len(slugs)}"
        parts.append(f" {bar} " + cells.ljust(widths[level]))
    count = sum(len(slugs) for _, slugs in levels)
    parts.append(f" {bar} {total:>{len(str(count))}}/{count}")
    return "".join(parts)


# --- CSV ----------------------------------------------------------------------------------------------------------

def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: a name starting with = + - @ would otherwise run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(room: Classroom) -> str:
    """The class as CSV: one row per learner (flagged ones too, marked as not counted), one column per challenge.

    Counts are plain numbers (a spreadsheet would read "3/4" as a date); headers say what they are out of."""
    levels = room.levels
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["learner", "counted", f"passed (of {len(room.columns)})"]
                    + [f"{level} passed (of {len(slugs)})" for level, slugs in levels]
                    + [column.slug for column in room.columns])
    for row in room.rows + room.flagged:
        counted = "yes" if not row.flagged else f"no: {row.flagged}"
        writer.writerow([spreadsheet_safe(row.learner), counted, row.passed_in(room.slugs)]
                        + [row.passed_in(slugs) for _, slugs in levels]
                        + [row.cells[column.slug] for column in room.columns])
    return out.getvalue()


def csv_bytes(room: Classroom) -> bytes:
    # UTF-8 with a byte order mark: Excel reads names such as "Zoë" or "李雷" right only with it.
    return csv_text(room).encode("utf-8-sig")


# --- HTML ---------------------------------------------------------------------------------------------------------

STYLE = """
:root { --passed: #0b7a2b; --failed: #c4141c; --none: #e4e4e4; --ink: #111; }
* { box-sizing: border-box; }
body { font: 20px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       background: #fff; margin: 1.2rem 1.6rem; }
h1 { font-size: 2rem; margin: 0 0 .2rem; } h2 { font-size: 1.5rem; margin: 2rem 0 .6rem; }
.meta { color: #333; margin: 0 0 1rem; }
table { border-collapse: collapse; }
table.heat th, table.heat td { border: 2px solid #fff; }
table.heat th.name { text-align: left; padding: 0 .8rem 0 0; white-space: nowrap; max-width: 16em;
                     overflow: hidden; text-overflow: ellipsis; font-weight: 600; }
table.heat th.level { font-size: .9rem; text-transform: uppercase; letter-spacing: .05em; text-align: left;
                      border-bottom: 3px solid var(--ink); padding: .2rem .3rem; }
table.heat th.slug { vertical-align: bottom; padding: .3rem 0; font-weight: 500; font-size: .85rem; }
table.heat th.slug span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
table.heat td.cell { width: 2.1rem; height: 2.1rem; text-align: center; font-weight: 700; color: #fff; }
td.passed { background: var(--passed); } td.failed { background: var(--failed); }
td.not-tried { background: var(--none); color: #777 !important; }
td.total, td.level-total { padding: 0 .6rem; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.level-total { color: #333; font-size: .85rem; }
tfoot td { font-size: .8rem; text-align: center; font-variant-numeric: tabular-nums; padding-top: .3rem; }
table.summary td, table.summary th { text-align: left; padding: .35rem .8rem .35rem 0; vertical-align: top;
                                     border-bottom: 1px solid #ccc; }
table.summary td.count { font-variant-numeric: tabular-nums; white-space: nowrap; }
.failure { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
.legend span { display: inline-block; padding: 0 .5rem; margin-right: .5rem; color: #fff; font-weight: 700; }
ul.notes li { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; }
"""


def per_level(levels, cell, gap: str) -> list[str]:
    """One cell per challenge, level by level, and a `gap` cell after each level (where its total goes)."""
    cells = []
    for _level, slugs in levels:
        cells += [cell(slug) for slug in slugs] + [gap]
    return cells


def render_html(room: Classroom, collected: Collected | None = None, now: datetime.datetime | None = None) -> str:
    """One self-contained page: inline style, no script, no network. Every learner-given text is escaped."""
    now = now or datetime.datetime.now().astimezone()
    e = escape
    levels = room.levels
    marks = SYMBOLS
    learners = len(room.rows)
    out = ['<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           f'<title>Class report: {learners} learners</title>\n<style>{STYLE}</style>\n</head>\n<body>\n',
           '<h1>Class report</h1>\n',
           f'<p class="meta">{learners} learner{"s" * (learners != 1)}'
           + (f", {len(room.flagged)} flagged and not counted" if room.flagged else "")
           + f", {len(room.columns)} challenges. Made {e(now.strftime('%Y-%m-%d %H:%M'))}.</p>\n",
           '<p class="legend"><span style="background:var(--passed)">✓ passed</span>'
           '<span style="background:var(--failed)">✗ failed</span>'
           '<span style="background:var(--none);color:#555">· not tried</span></p>\n',
           '<table class="heat">\n<thead>\n<tr><th></th>']
    for level, slugs in levels:
        out.append(f'<th class="level" colspan="{len(slugs) + 1}">{e(level)}</th>')
    out.append('<th></th></tr>\n<tr><th class="name">learner</th>')
    out += per_level(levels, lambda slug: f'<th class="slug" title="{e(slug)}"><span>{e(slug)}</span></th>',
                     '<th></th>')
    out.append('<th class="name">total</th></tr>\n</thead>\n<tbody>\n')
    for row in room.rows:
        out.append(f'<tr><th class="name" title="{e(row.learner)}">{e(row.learner)}</th>')
        for _level, slugs in levels:
            for slug in slugs:
                status = row.cells[slug]
                tip = f"{row.learner}, {slug}: {status}"
                if status == FAILED and row.failures.get(slug):
                    tip += f" - {row.failures[slug]}"
                out.append(f'<td class="cell {status.replace(" ", "-")}" title="{e(tip)}">{marks[status]}</td>')
            out.append(f'<td class="level-total">{row.passed_in(slugs)}/{len(slugs)}</td>')
        out.append(f'<td class="total">{row.passed_in(room.slugs)}/{len(room.columns)}</td></tr>\n')
    out.append('</tbody>\n<tfoot><tr><td class="name">passed</td>')
    out += per_level(levels, lambda slug: f'<td title="{e(slug)}">{room.summaries[slug].passed}</td>', '<td></td>')
    out.append('<td></td></tr></tfoot>\n</table>\n')

    out.append(f'<h2>Per challenge</h2>\n<table class="summary">\n<tr><th>challenge</th><th>level</th>'
               f'<th>passed (of {learners})</th><th>most common first failure, grouped by the check</th></tr>\n')
    for column in room.columns:
        summary = room.summaries[column.slug]
        failure = (f'<span class="count">{summary.failure_count} of {summary.failed} failing:</span> '
                   f'<span class="failure">{e(shown_failure(summary))}</span>' if summary.failure else "")
        title = f'<br><small>{e(column.title)}</small>' if column.title else ""
        out.append(f'<tr><td><b>{e(column.slug)}</b>{title}</td><td>{e(column.level)}</td>'
                   f'<td class="count">{summary.passed}</td><td>{failure}</td></tr>\n')
    out.append('</table>\n')
    if room.flagged:
        out.append('<h2>Flagged, not counted</h2>\n<p>They graded something other than their own work.</p>\n<ul>\n')
        out += [f'<li><b>{e(row.learner)}</b>: {e(row.flagged)}</li>\n' for row in room.flagged]
        out.append('</ul>\n')
    if collected is not None and collected.notes:
        out.append('<h2>Files skipped, merged or read with care</h2>\n<ul class="notes">\n')
        out += [f'<li>{e(note)}</li>\n' for note in collected.notes]
        out.append('</ul>\n')
    out.append('</body>\n</html>\n')
    return "".join(out)
