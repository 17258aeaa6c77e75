"""Parts of a resource that need no pruning (see ``tracker.fhir.common.prune``)."""


class Clean(dict):
    """A part of a resource known to hold no empty value: :func:`prune` keeps it as it is.

    References, codings and the other small parts the helpers build are made clean, so a bulk
    export prunes each resource's own fields and not, again and again, the same codings.
    """

    __slots__ = ()


def clean(**fields) -> Clean:
    """A :class:`Clean` part of the fields that are set (None and "" are left out)."""
    return Clean({k: v for k, v in fields.items() if v is not None and v != ""})
