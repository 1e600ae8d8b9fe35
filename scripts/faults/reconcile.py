"""After a scenario: every command the load generator saw accepted is in the event store exactly
once and in the read models; refused ones left nothing; streams are whole; the outbox drained;
and, optionally, what the subscribers received.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from load import Load
from stack import PrivateStack, say

EVENT_OF = {
    "create": "TaskCreated",
    "rename": "TaskRenamed",
    "status": "TaskStatusChanged",
    "comment": "TaskCommented",
}


@dataclass
class Reconciliation:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        lines = [f"  {name}: {value}" for name, value in self.counts.items()]
        lines += [f"  PROBLEM: {problem}" for problem in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more problems")
        return lines


def wait_for_outbox(stack: PrivateStack, timeout: float) -> tuple[float, int | None]:
    """Seconds until nothing is pending in the outbox (or the timeout), and what is left."""
    started = time.monotonic()
    backlog = stack.outbox_backlog()
    while (backlog is None or backlog > 0) and time.monotonic() - started < timeout:
        time.sleep(0.5)
        backlog = stack.outbox_backlog()
    return time.monotonic() - started, backlog


def reconcile(stack: PrivateStack, load: Load) -> Reconciliation:
    result = Reconciliation()
    commands = [r for r in load.requests if r.write]
    events = stack.sql(
        "SELECT request_id, id, stream, version, type FROM eventstore_event "
        "WHERE request_id = ANY(%s)",
        [[c.request_id for c in commands]],
    )
    by_request: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in events:
        by_request[row[0]].append(row)

    accepted = [c for c in commands if c.status is not None and c.status < 400]
    refused = [c for c in commands if c.status is not None and 400 <= c.status < 500]
    # A 5xx, like a lost answer, leaves the outcome open: the commit may have happened just
    # before the failure (or its acknowledgement may have been lost). At most once, though.
    unanswered = [c for c in commands if c.status is None or c.status >= 500]
    streams: set[str] = set()
    for command in accepted:
        found = by_request.get(command.request_id, [])
        if len(found) != 1:
            result.problems.append(f"accepted {command.request_id} has {len(found)} events")
            continue
        _, _, stream, version, event_type = found[0]
        streams.add(stream)
        if event_type != EVENT_OF[command.kind]:
            result.problems.append(
                f"{command.request_id}: {event_type}, not {EVENT_OF[command.kind]}"
            )
        if command.task_id is not None and stream != f"task-{command.task_id}":
            result.problems.append(f"{command.request_id} landed in {stream}")
        if command.version is not None and version != command.version:
            result.problems.append(
                f"{command.request_id}: version {version}, answered {command.version}"
            )
    for command in refused:
        if by_request.get(command.request_id):
            result.problems.append(
                f"refused {command.kind} {command.request_id} ({command.status}) left events"
            )
    committed_unanswered = 0
    for command in unanswered:
        found = by_request.get(command.request_id, [])
        if len(found) > 1:
            result.problems.append(f"failed {command.request_id} has {len(found)} events")
        committed_unanswered += len(found)
        streams.update(row[2] for row in found)

    # Streams whole, read models equal to the events.
    task_ids = sorted(int(s.removeprefix("task-")) for s in streams)
    stream_rows = stack.sql(
        "SELECT stream, array_agg(version ORDER BY version), "
        "(array_agg(data->>'title' ORDER BY version) FILTER (WHERE data ? 'title')), "
        "(array_agg(data->>'status' ORDER BY version) FILTER (WHERE data ? 'status')) "
        "FROM eventstore_event WHERE stream = ANY(%s) GROUP BY stream",
        [sorted(streams)],
    )
    tasks = {
        row[0]: row[1:]
        for row in stack.sql(
            "SELECT id, version, title, status FROM tasks_task WHERE id = ANY(%s)", [task_ids]
        )
    }
    for stream, versions, titles, statuses in stream_rows:
        task_id = int(stream.removeprefix("task-"))
        if versions != list(range(1, len(versions) + 1)):
            result.problems.append(f"{stream} versions are not contiguous: {versions[:10]}...")
        row = tasks.get(task_id)
        expected = (versions[-1], titles[-1], statuses[-1])
        if row is None:
            result.problems.append(f"{stream} has no read model row")
        elif tuple(row) != expected:
            result.problems.append(f"task {task_id} read model {row} != events {expected}")
    comment_ids = [c.comment_id for c in accepted if c.comment_id is not None]
    comments = stack.sql("SELECT count(*) FROM tasks_comment WHERE id = ANY(%s)", [comment_ids])
    if comments[0][0] != len(comment_ids):
        result.problems.append(f"{len(comment_ids) - comments[0][0]} accepted comments missing")
    unpublished = stack.sql(
        "SELECT count(*) FROM eventstore_event e LEFT JOIN eventstore_outboxmessage o "
        "ON o.event_id = e.id WHERE e.stream = ANY(%s) AND o.published_at IS NULL",
        [sorted(streams)],
    )[0][0]
    if unpublished:
        result.problems.append(f"{unpublished} events of these tasks never left the outbox")

    result.counts = {
        "commands sent": len(commands),
        "accepted": len(accepted),
        "accepted found exactly once": len(accepted)
        - sum(1 for p in result.problems if p.startswith("accepted")),
        "refused (4xx)": len(refused),
        "refused that left an event": sum(1 for p in result.problems if p.startswith("refused")),
        "failed (5xx or no answer: outcome unknown)": len(unanswered),
        "failed that committed (each exactly once)": committed_unanswered,
        "task streams checked": len(stream_rows),
        "events in them": sum(len(row[1]) for row in stream_rows),
        "read model rows equal to their events": len(stream_rows)
        - sum(1 for p in result.problems if "read model" in p or "no read model" in p),
        "comments accepted and present": comments[0][0],
        "events still in the outbox": unpublished,
    }
    return result


def deliveries(
    stack: PrivateStack, load: Load, *, sockets: list[int] | None = None
) -> dict[str, Any]:
    """What subscribers that never lost their connection received of the project's events:
    every one at least once, and each task's events in order."""
    expected = {
        row[0]: (row[1], row[2])
        for row in stack.sql(
            "SELECT e.id, e.stream, e.version FROM eventstore_event e "
            "JOIN eventstore_outboxmessage o ON o.event_id = e.id WHERE o.group = %s",
            [f"project.{load.project_id}"],
        )
    }
    chosen = (
        sockets
        if sockets is not None
        else [i for i, life in enumerate(load.socket_lives) if not life.disconnects]
    )
    figures: dict[str, Any] = {"project events": len(expected), "steady subscribers": len(chosen)}
    missing = duplicates = out_of_order = 0
    for index in chosen:
        got = [r for r in load.received if r.socket == index]
        ids = [r.event_id for r in got]
        missing += len(set(expected) - set(ids))
        duplicates += len(ids) - len(set(ids))
        last: dict[str, int] = {}
        seen: set[int] = set()
        for r in got:
            if r.event_id in seen:
                continue
            seen.add(r.event_id)
            if r.version <= last.get(r.stream, 0):
                out_of_order += 1
            last[r.stream] = r.version
    figures.update(
        {
            "missing (summed over subscribers)": missing,
            "duplicates received": duplicates,
            "out of order": out_of_order,
        }
    )
    return figures


def report(title: str, figures: dict[str, Any], reconciliation: Reconciliation) -> list[str]:
    lines = [f"== {title}"]
    for name, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        lines.append(f"  {name}: {shown}")
    lines.append("  -- reconciliation")
    lines += reconciliation.lines()
    for line in lines:
        say(line)
    return lines
