from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

STAGES = ("consultation", "preparation", "procedure", "discharge", "follow_up")
ANCHORS = ("consultation", "surgery", "discharge")


class PathwayTemplate(db.Model):
    """One version of a pathway, loaded from a data file. Versions never change once loaded."""

    __tablename__ = "pathway_templates"
    __table_args__ = (
        sa.UniqueConstraint("slug", "version", name="uq_pathway_templates_slug_version"),
        sa.UniqueConstraint("slug", "checksum", name="uq_pathway_templates_slug_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    #: sha256 of the canonical definition, so reloading an unchanged file is a no-op
    checksum: Mapped[str] = mapped_column(sa.String(64))
    #: the whole parsed data file (stages, tasks, milestones, appointments, reminder rules, …)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def stages(self) -> dict[str, dict[str, Any]]:
        return {stage["key"]: stage for stage in self.definition["stages"]}

    def title(self, language: str = "en") -> str:
        names = self.definition.get("name", {})
        return names.get(language) or names.get("en") or self.name

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


#: what a list needs of a journey's template: its name, not its (large) definition; the checksum
#: finds this process's parsed copy of the definition (``memory.fill``) where a row needs it
TEMPLATE_LABEL = (
    PathwayTemplate.slug,
    PathwayTemplate.version,
    PathwayTemplate.name,
    PathwayTemplate.checksum,
)
