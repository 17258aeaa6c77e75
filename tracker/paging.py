"""Pages of a list that cost the same however long the list grows.

``db.paginate`` counts every matching row on every page view: at a hundred thousand patients
(or millions of reminders) that count is most of the page's time. Here the count stops at
``cap`` ("10,000+ patients"), and so do the pages one can jump to; narrowing the search or the
filters is the way further. The page object answers what ``templates/_macros/ui.html``'s
``pagination`` macro asks of Flask-SQLAlchemy's.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import ceil
from typing import Any

import sqlalchemy as sa

from tracker.db import db
from tracker.inputs import page_number

COUNT_CAP = 1_000


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    #: matching rows, counted up to ``cap``
    total: int
    #: True when there are more than ``total``
    capped: bool

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Page numbers with ``None`` for a gap, as Flask-SQLAlchemy's ``Pagination`` gives."""
        last = 0
        for num in range(1, self.pages + 1):
            near = self.page - left_current <= num <= self.page + right_current
            if num <= left_edge or near or num > self.pages - right_edge:
                if last + 1 != num:
                    yield None
                yield num
                last = num


def requested_page() -> int:
    return page_number()


def bounded_count(query: sa.Select, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` gives, counting at most ``cap`` (and whether there are more)."""
    limited = query.order_by(None).limit(cap + 1).subquery()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(limited))
    return min(found, cap), found > cap


def paginate(
    query: sa.Select,
    *,
    per_page: int,
    page: int | None = None,
    cap: int = COUNT_CAP,
    fetch: Callable[[sa.Select], list] | None = None,
) -> Page:
    """One page of ``query`` and a count bounded by ``cap``: two statements, always."""
    total, capped = bounded_count(query, cap)
    pages = max(1, ceil(total / per_page))
    page = min(page or requested_page(), pages)
    window = query.limit(per_page).offset((page - 1) * per_page)
    items = fetch(window) if fetch else list(db.session.scalars(window))
    return Page(items=items, page=page, per_page=per_page, total=total, capped=capped)


def paginate_segments(
    segments: list[sa.Select], *, per_page: int, page: int | None = None, cap: int = COUNT_CAP
) -> Page:
    """A page of a list made of consecutive segments, each a query in its own index order.

    One ``ORDER BY`` over the whole list (say, patients with a surgery date first, then everyone
    else by name) would sort every row; two segments read only what the page shows. Every
    segment is counted and read on every page (an empty read when the page is elsewhere), so
    the number of statements is the same on every page.
    """
    counts = [bounded_count(query, cap) for query in segments]
    total = min(sum(n for n, _ in counts), cap)
    capped = any(more for _, more in counts) or sum(n for n, _ in counts) > cap
    pages = max(1, ceil(total / per_page))
    page = min(page or requested_page(), pages)
    start, items = (page - 1) * per_page, []
    for query, (count, _) in zip(segments, counts, strict=True):
        offset = min(start, count)
        take = min(per_page - len(items), max(count - offset, 0))
        items.extend(db.session.scalars(query.limit(take).offset(offset)))
        start -= offset
    return Page(items=items, page=page, per_page=per_page, total=total, capped=capped)
