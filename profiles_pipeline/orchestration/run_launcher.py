"""Dagster's default run launcher, plus a health check so run monitoring frees killed runs.

The default launcher cannot tell whether a run's process is alive, so Dagster's run monitoring
leaves a killed run STARTED for ever. This one answers from the process id the run recorded
(`run_health`): a dead process makes monitoring mark the run failed and free its pool slot.
`dagster.yaml` names it.
"""

from __future__ import annotations

from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher

from profiles_pipeline.orchestration.run_health import worker_alive


class ProfilesRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        record = self._instance.get_run_record_by_id(run.run_id) if self._instance else None
        alive = worker_alive(run, record.start_time if record else None)
        if alive is False:
            return CheckRunHealthResult(WorkerStatus.FAILED, "the run's process is gone (killed)")
        # Not recorded yet (a run starting) or on another host: monitoring fails any status but
        # RUNNING, so say RUNNING; a run that never records its process is failed after
        # `run_health.SILENT_START_SECONDS`.
        return CheckRunHealthResult(WorkerStatus.RUNNING, "" if alive else "its process is not known here")
