"""The embedded local stack: test and demo infrastructure, never imported by production code.

``with start_local_stack(models=["centerpoint"]) as stack:`` runs a moto server and the
built-in test models as child processes on free loopback ports, creates every resource of
:data:`model_runner.resources.RESOURCES` and gives the worker's environment in ``stack.env``.
moto is imported only by the moto child process (the ``local`` extra).

Every server binds port 0 itself and announces the port it got (see ``children``), so ports
are chosen at run time without any race between choosing and binding. Each test model runs in
its own process and answers, like a model container, ``GET /ping`` and ``POST /invocations``.
"""

from __future__ import annotations

from model_runner.local.aws import AwsEndpoint
from model_runner.local.models import ModelSpec, start_model_server
from model_runner.local.processes import LocalStackError, ServerProcess
from model_runner.local.stack import LocalStack, start_local_stack

__all__ = [
    "AwsEndpoint",
    "LocalStack",
    "LocalStackError",
    "ModelSpec",
    "ServerProcess",
    "start_local_stack",
    "start_model_server",
]
