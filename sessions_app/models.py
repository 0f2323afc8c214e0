"""Research sessions and their draft files (seed 004)."""

from django.core.validators import RegexValidator
from django.db import models

from core.fields import ForeignKey
from core.models import OwnedModel, OwnedQuerySet, TimestampedModel
from core.validators import WHITESPACE


class ResearchStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ResearchStage(models.TextChoices):
    INITIAL_RESEARCH = "1_initial_research", "1. Initial research"
    PLANNING = "2_planning", "2. Planning"
    PARALLEL_RESEARCH = "3_parallel_research", "3. Parallel research"
    WRITING = "4_writing", "4. Writing"


class ResearchSession(OwnedModel):
    Status = ResearchStatus
    Stage = ResearchStage

    title = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status, default=Status.IN_PROGRESS, db_default=Status.IN_PROGRESS)
    stage = models.CharField(max_length=30, choices=Stage, default=Stage.INITIAL_RESEARCH, db_default=Stage.INITIAL_RESEARCH)

    class Meta(OwnedModel.Meta):
        db_table = "research_sessions"
        ordering = ["-created_at"]
        indexes = [
            # The seed indexes user_id alone; led by user_id, this one also serves "my newest first".
            models.Index(fields=["user", "-created_at"], name="idx_research_sessions_user_id"),
            models.Index(models.F("created_at").desc(), name="idx_research_sessions_created_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ResearchStatus.values), name="research_sessions_status_check"),
            models.CheckConstraint(condition=models.Q(stage__in=ResearchStage.values), name="research_sessions_stage_check"),
        ]

    def __str__(self):
        return self.title


# No path separators, and something besides dots ("." and ".." name directories) and whitespace.
FILE_NAME_PATTERN = rf"^[^\x00/\\]*[^\x00/\\.{WHITESPACE}][^\x00/\\]*$"
file_name_validator = RegexValidator(FILE_NAME_PATTERN, "A file name needs more than dots, and no path separators.")


class DraftFile(TimestampedModel):
    """A file of a research session; owned through its session."""

    session = ForeignKey(ResearchSession, db_on_delete="CASCADE", related_name="draft_files", db_index=False)
    file_name = models.CharField(max_length=255, validators=[file_name_validator])
    content = models.TextField(blank=True, default="")

    owner_path = "session__user"
    objects = OwnedQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        db_table = "draft_files"
        ordering = ["file_name"]
        indexes = [models.Index(fields=["session"], name="idx_draft_files_session_id")]
        constraints = [
            models.UniqueConstraint(fields=["session", "file_name"], name="draft_files_session_file_name_key"),
        ]

    def __str__(self):
        return self.file_name
