"""An observer of lifecycle events, registered like the handlers."""

from model_runner.events import JobCompleted
from osml_extensions.registry import register_observer

COMPLETED_JOBS: list[str] = []


@register_observer("sample_job_log", description="remembers completed jobs")
class JobLog:
    def __init__(self, config):
        self.config = config

    def on_event(self, event):
        if isinstance(event, JobCompleted):
            COMPLETED_JOBS.append(event.job_id)
