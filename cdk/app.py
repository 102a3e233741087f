"""The CDK app: ``cdk synth`` / ``cdk deploy`` run this file (see cdk.json and docs/deploy.md)."""

from __future__ import annotations

import os

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks
from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.model_runner_stack import ModelRunnerStack

STACK_NAME = "ModelRunner"


def build_app(app: App) -> ModelRunnerStack:
    """Add the stack, configured from ``app``'s context, and the cdk-nag AwsSolutions checks."""
    config = DeploymentConfig.from_context(app.node.try_get_context)
    environment = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    stack = ModelRunnerStack(
        app, app.node.try_get_context("stackName") or STACK_NAME, config, env=environment
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


def main() -> None:
    app = App()
    build_app(app)
    app.synth()


if __name__ == "__main__":
    main()
