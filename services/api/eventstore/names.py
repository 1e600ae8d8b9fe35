"""Stream and group names carry the id of their object after a prefix (`task-7`, `project.3`).

Each app names its own streams and groups (tasks/events.py, workspaces/events.py); these read the
id back, for whoever receives a name: a reaction to an event, the realtime consumer.
"""


def named(prefix: str, object_id: int) -> str:
    return f"{prefix}{object_id}"


def id_in(name: str, prefix: str) -> int | None:
    """The id in a name made by `named(prefix, id)`, or None for any other name."""
    number = name.removeprefix(prefix)
    if number == name or not (number.isascii() and number.isdigit()):
        return None
    return int(number)
