"""What ``grader collect`` prints when it is done: the counts of every outcome, each item that
needs the instructor's eye (rejected, unattributed, bounced, replaced, relayed) and where the
lists are."""

from __future__ import annotations

from grader.intake.index import BOUNCES, Summary


def summary_lines(summary: Summary) -> list[str]:
    counts = ", ".join(
        f"{count} {outcome}"
        for outcome, count in summary.outcomes().items()
        if count or outcome != BOUNCES  # rare: named only when there are some
    )
    copies, differing = len(summary.duplicates), len(summary.same_id)
    lines = [
        f"Read {summary.items} item(s): {counts}."
        + (f" {copies} more were identical copies of these, counted once." if copies else "")
        + (
            f" {differing} shared a Message-ID with another but differ: each read on its own."
            if differing
            else ""
        )
    ]
    if copies or differing:
        lines.append(f"Copies and messages sharing a Message-ID, by name: {summary.copies_csv}")
    lines += [
        f"  rejected {source}{f' ({student})' if student else ''}: {reason}"
        for source, student, reason in summary.rejected
    ]
    lines += [
        f"  could not be read, the rest collected: {source} ({student}): {file_and_why}"
        for source, student, file_and_why in summary.unreadable
    ]
    lines += [f"  regrade request {source}: {outcome}" for source, _, outcome in summary.requests]
    lines += [f"  unattributed {row[0]} from {row[1]}: {row[4]}" for row in summary.unattributed]
    lines += [f"  bounce {row[0]}: {row[4]}" for row in summary.bounces]
    lines += [
        f"  no hand-in {source} from {sender} at {date}: {subject!r}"
        for source, sender, date, subject, _, _ in summary.no_handin
    ]
    if summary.fetched or summary.fetch_failed:
        lines.append(
            f"Fetched {summary.fetched} notebook(s) behind Colab links; "
            f"{summary.fetch_failed} could not be fetched (see the notes in index.csv)."
        )
    lines.append(
        f"{summary.students} student(s), {summary.late} late, "
        + (f"{summary.grace} within the grace period, " if summary.grace else "")
        + f"{summary.incomplete} with "
        f"something missing, {summary.earlier} earlier version(s) kept, "
        f"{summary.sent_nothing} on the roster sent nothing. "
        f"Summary: {summary.index_csv}"
    )
    if summary.by_component:
        lines.append("By component: " + "; ".join(summary.by_component) + ".")
    if summary.rejected or summary.unreadable:
        lines.append(f"Rejected, and files that could not be read: {summary.rejected_csv}")
    if summary.unattributed or summary.skipped or summary.bounces:
        lines.append(f"Not submissions or not attributed: {summary.unattributed_csv}")
    if summary.no_handin:
        lines.append(f"Mail with no file and no link: {summary.no_handin_csv}")
    if summary.replaced:
        lines.append(
            f"Replaced earlier hand-ins ({summary.replaced_csv}; `grader watch` tells each "
            "student at the roster's address):"
        )
        lines += [
            f"  {student}: {what} of {old} ({at}) replaced by {source}"
            + (f"; FLAGGED: {flag}" if flag else "")
            for student, source, what, old, at, flag in summary.replaced
        ]
    if summary.relayed:
        lines.append(f"Relayed by staff, to confirm ({summary.relayed_csv}):")
        lines += [
            f"  {student}: {subject!r} from {staff} ({source})"
            for source, staff, _, subject, student in summary.relayed
        ]
    if summary.merged_pdf:
        lines.append(f"All submissions in one PDF: {summary.merged_pdf}")
    return lines
