"""The REST handlers of ``/mlops-jupyter/api/``: thin faces over the core.

Each handler reads the :class:`~mlops_jupyter.server.services.Services` from the web
application's settings; errors map to HTTP in one place (:mod:`.base`).
"""

from __future__ import annotations

from .base import BaseHandler
from .determinism import DeterminismHandler
from .drift import DriftCheckHandler, DriftChecksHandler
from .jobs import JobHandler, JobsHandler, ReproduceHandler, SweepHandler, SweepsHandler
from .models import (
    ApprovalsHandler,
    ApproveHandler,
    LineageHandler,
    ModelAliasHandler,
    ModelApprovalsHandler,
    ModelGateHandler,
    ModelGatesHandler,
    ModelHandler,
    ModelHistoryHandler,
    ModelPolicyHandler,
    ModelPromoteHandler,
    ModelRollbackHandler,
    ModelsHandler,
    ModelVersionFileHandler,
    ModelVersionHandler,
    ModelVersionsHandler,
    RejectHandler,
)
from .runs import (
    ArtifactHandler,
    CompareHandler,
    ExperimentsHandler,
    MetricSeriesHandler,
    RunBlobHandler,
    RunHandler,
    RunMetricsHandler,
    RunsHandler,
    StatusHandler,
)
from .triggers import MonitorRunHandler, TriggerHandler, TriggersHandler, TriggerStateHandler

__all__ = ["ROUTES", "URL_PREFIX", "BaseHandler"]

#: Where the routes live, under the server's base URL.
URL_PREFIX = "mlops-jupyter/api"

ROUTES: list[tuple[str, type[BaseHandler]]] = [
    ("status", StatusHandler),
    ("runs", RunsHandler),
    (r"runs/(?P<run_id>[^/]+)", RunHandler),
    (r"runs/(?P<run_id>[^/]+)/blobs/(?P<kind>[^/]+)", RunBlobHandler),
    (r"runs/(?P<run_id>[^/]+)/artifacts/(?P<ref>[^/]+)", ArtifactHandler),
    (r"runs/(?P<run_id>[^/]+)/metrics", RunMetricsHandler),
    # Metric keys may hold "/" (sent as %2F or as is) or spaces.
    (r"runs/(?P<run_id>[^/]+)/metrics/(?P<key>.+)", MetricSeriesHandler),
    (r"runs/(?P<run_id>[^/]+)/reproduce", ReproduceHandler),
    (r"runs/(?P<run_id>[^/]+)/determinism", DeterminismHandler),
    ("jobs", JobsHandler),
    (r"jobs/(?P<job_id>[^/]+)", JobHandler),
    ("sweeps", SweepsHandler),
    (r"sweeps/(?P<sweep_id>[^/]+)", SweepHandler),
    ("compare", CompareHandler),
    ("experiments", ExperimentsHandler),
    ("models", ModelsHandler),
    (r"models/(?P<name>[^/]+)", ModelHandler),
    (r"models/(?P<name>[^/]+)/versions", ModelVersionsHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ModelVersionHandler),
    (
        r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/files/(?P<index>[^/]+)",
        ModelVersionFileHandler,
    ),
    (r"models/(?P<name>[^/]+)/aliases/(?P<alias>[^/]+)", ModelAliasHandler),
    (r"models/(?P<name>[^/]+)/aliases/(?P<alias>[^/]+)/rollback", ModelRollbackHandler),
    (r"models/(?P<name>[^/]+)/history", ModelHistoryHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/gate", ModelGateHandler),
    (r"models/(?P<name>[^/]+)/gates", ModelGatesHandler),
    (r"models/(?P<name>[^/]+)/approvals", ModelApprovalsHandler),
    (r"models/(?P<name>[^/]+)/promote", ModelPromoteHandler),
    (r"models/(?P<name>[^/]+)/policy", ModelPolicyHandler),
    ("approvals", ApprovalsHandler),
    (r"approvals/(?P<request_id>[^/]+)/approve", ApproveHandler),
    (r"approvals/(?P<request_id>[^/]+)/reject", RejectHandler),
    ("lineage", LineageHandler),
    ("drift/checks", DriftChecksHandler),
    (r"drift/checks/(?P<check_id>[^/]+)", DriftCheckHandler),
    ("triggers", TriggersHandler),
    (r"triggers/(?P<name>[^/]+)", TriggerHandler),
    (r"triggers/(?P<name>[^/]+)/enabled", TriggerStateHandler),
    ("monitor/run", MonitorRunHandler),
]
