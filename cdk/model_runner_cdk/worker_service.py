"""The ECS Fargate service running the worker image, scaled on the depth of its queues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.worker_network import worker_security_group

CONTAINER_NAME = "worker"
WAITING = "ApproximateNumberOfMessagesVisible"
IN_FLIGHT = "ApproximateNumberOfMessagesNotVisible"
STOP_TIMEOUT = Duration.seconds(120)
"""Time between SIGTERM and SIGKILL: the worker stops polling and releases its messages."""

SCALE_OUT_STEPS = ((1, 1), (20, 2), (100, 4))
"""(messages waiting, tasks added): one more task as soon as a message waits, more for a backlog."""

SCALE_IN_IDLE_PERIODS = 5
"""Minutes with no message waiting or in flight before the service shrinks to its minimum."""


class WorkerService(Construct):
    """Cluster, task definition, service and autoscaling of the worker."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        vpc: ec2.IVpc,
        environment: Mapping[str, str],
        queues: Sequence[sqs.IQueue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=config.task_cpu,
            memory_limit_mib=config.task_memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.task_definition.add_volume(name="tmp")
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        container = self.task_definition.add_container(
            CONTAINER_NAME,
            container_name=CONTAINER_NAME,
            image=ecs.ContainerImage.from_asset(str(config.image_directory)),
            command=["model-runner", "worker"],
            environment=dict(environment),
            logging=ecs.LogDriver.aws_logs(stream_prefix="model-runner", log_group=self.log_group),
            health_check=ecs.HealthCheck(
                command=["CMD", "model-runner", "health"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(10),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            readonly_root_filesystem=True,
            stop_timeout=STOP_TIMEOUT,
        )
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=config.min_tasks,
            assign_public_ip=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[worker_security_group(self, "TaskSecurityGroup", vpc, config)],
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        self._scale_on_queue_depth(config, queues)

    def _scale_on_queue_depth(self, config: DeploymentConfig, queues: Sequence[sqs.IQueue]) -> None:
        scaling = self.service.auto_scale_task_count(
            min_capacity=config.min_tasks, max_capacity=config.max_tasks
        )
        scaling.scale_on_metric(
            "ScaleOutOnWaitingMessages",
            metric=_total(queues, WAITING),
            scaling_steps=[
                autoscaling.ScalingInterval(upper=0, change=0),
                *(autoscaling.ScalingInterval(lower=lower, change=added) for lower, added in SCALE_OUT_STEPS),
            ],
            adjustment_type=autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            evaluation_periods=1,
            cooldown=Duration.seconds(120),
        )
        scaling.scale_on_metric(
            "ScaleInWhenIdle",
            metric=_total(queues, WAITING, IN_FLIGHT),
            scaling_steps=[
                autoscaling.ScalingInterval(upper=0, change=-config.max_tasks),
                autoscaling.ScalingInterval(lower=1, change=0),
            ],
            adjustment_type=autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            evaluation_periods=SCALE_IN_IDLE_PERIODS,
            cooldown=Duration.seconds(300),
        )


def _total(queues: Sequence[sqs.IQueue], *metric_names: str) -> cloudwatch.MathExpression:
    """The per-minute sum over ``queues`` of the named SQS metrics (each queue's maximum)."""
    metrics: dict[str, cloudwatch.IMetric] = {
        f"m{index}": queue.metric(name, period=Duration.minutes(1), statistic="Maximum")
        for index, (queue, name) in enumerate((q, n) for q in queues for n in metric_names)
    }
    return cloudwatch.MathExpression(
        expression=" + ".join(metrics),
        using_metrics=metrics,
        label=" + ".join(metric_names),
        period=Duration.minutes(1),
    )
