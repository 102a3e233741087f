"""The one stack: the worker's resources, its service, its permissions and its monitoring."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from model_runner.config import load_settings
from model_runner.resources import RESOURCES, ResourceSet
from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.nag_suppressions import suppress_justified_findings
from model_runner_cdk.worker_environment import resource_addresses, worker_environment
from model_runner_cdk.worker_monitoring import WorkerMonitoring
from model_runner_cdk.worker_permissions import grant_worker_access
from model_runner_cdk.worker_resources import WorkerResources
from model_runner_cdk.worker_service import WorkerService


class ModelRunnerStack(Stack):
    """Everything one deployment of the model-runner worker needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: DeploymentConfig,
        resources: ResourceSet = RESOURCES,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.resources = WorkerResources(self, "Resources", resources)
        queues = {**self.resources.queues, **self.resources.dead_letter_queues}
        addresses = resource_addresses(
            resources,
            queue_urls={name: queue.queue_url for name, queue in queues.items()},
            table_names={name: table.table_name for name, table in self.resources.tables.items()},
            topic_arns={name: topic.topic_arn for name, topic in self.resources.topics.items()},
            bucket_names={name: bucket.bucket_name for name, bucket in self.resources.buckets.items()},
        )
        self.environment_variables = worker_environment(
            resources, addresses, self.region, {**config.security_settings(), **config.worker_settings}
        )
        self.worker = WorkerService(
            self,
            "Worker",
            config=config,
            vpc=self._vpc(config),
            environment=self.environment_variables,
            queues=list(self.resources.queues.values()),
        )
        grant_worker_access(self.worker.task_definition.task_role, self.resources, config)
        self.monitoring = WorkerMonitoring(
            self,
            "Monitoring",
            namespace=load_settings(self.environment_variables).metrics_namespace,
            queues=self.resources.queues,
            dead_letter_queues=self.resources.dead_letter_queues,
            service=self.worker.service,
            alarm_topic=self.resources.alarm_topic,
        )
        if config.alarm_email:
            self.resources.alarm_topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._export_addresses(addresses)
        suppress_justified_findings(self, config, self.resources, self.worker)

    def _vpc(self, config: DeploymentConfig) -> ec2.IVpc:
        if config.vpc_id:
            return ec2.Vpc.from_lookup(self, "Vpc", vpc_id=config.vpc_id)
        return ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            restrict_default_security_group=False,
            flow_logs={"FlowLogs": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.REJECT)},
        )

    def _export_addresses(self, addresses: dict[str, str]) -> None:
        """Outputs named after each setting (IMAGE_QUEUE -> ImageQueue), bucket and stream."""
        named = {
            **addresses,
            **{name: bucket.bucket_name for name, bucket in self.resources.buckets.items()},
            **{name: stream.stream_name for name, stream in self.resources.streams.items()},
            "Dashboard": self.monitoring.dashboard.dashboard_name,
            "AlarmTopic": self.resources.alarm_topic.topic_arn,
            "Cluster": self.worker.cluster.cluster_name,
            "Service": self.worker.service.service_name,
            "LogGroup": self.worker.log_group.log_group_name,
        }
        for name, value in named.items():
            CfnOutput(self, output_name(name), value=value)


def output_name(name: str) -> str:
    """A CloudFormation output name from a setting or resource name: IMAGE_QUEUE -> ImageQueue."""
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z0-9]+", name) if word)
