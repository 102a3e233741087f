"""CloudWatch alarms (dead letters, failed images) and the dashboard of the worker's metrics."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from model_runner_cdk.worker_metrics import (
    ENDPOINT_DIMENSION,
    ENDPOINT_THROTTLES,
    EXTENSION_FALLBACKS,
    IMAGE_DURATION,
    IMAGES_FAILED,
    IMAGES_PARTIAL,
    IMAGES_SUCCEEDED,
    MODEL_LATENCY,
    QUEUE_AGE,
    REFERENCE_OPERATIONS,
    REGIONS_ADMITTED,
    REGIONS_IN_FLIGHT,
    TILE_FAILURES,
    TILES_PROCESSED,
    ReferenceOperation,
    WorkerMetric,
)

PERIOD = Duration.minutes(5)


class WorkerMonitoring(Construct):
    """Alarms that notify ``alarm_topic`` and one dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: str,
        queues: Mapping[str, sqs.IQueue],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        service: ecs.FargateService,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace = namespace
        notify = actions.SnsAction(alarm_topic)
        self.alarms = [
            self._alarm(
                f"{name}NotEmpty",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                f"Messages are waiting in the dead-letter queue {name}: inspect and redrive them.",
            )
            for name, queue in dead_letter_queues.items()
        ]
        self.alarms.append(
            self._alarm(
                "ImagesFailed",
                self.metric(IMAGES_FAILED),
                "At least one image ended FAILED: read its status row and the worker's logs.",
            )
        )
        for alarm in self.alarms:
            alarm.add_alarm_action(notify)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            self._graph("Images", IMAGES_SUCCEEDED, IMAGES_PARTIAL, IMAGES_FAILED),
            self._graph("Image processing time", IMAGE_DURATION),
            self._graph("Tiles", TILES_PROCESSED, TILE_FAILURES),
            self._graph("Model latency", MODEL_LATENCY),
        )
        self.dashboard.add_widgets(
            _queue_graph("Messages waiting", queues),
            _queue_graph("Dead letters", dead_letter_queues),
            self._graph("Regions in flight", REGIONS_IN_FLIGHT),
            cloudwatch.GraphWidget(
                title="Tasks: CPU and memory",
                left=[service.metric_cpu_utilization(), service.metric_memory_utilization()],
                width=6,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=18),
            self._graph("Extension fallbacks", EXTENSION_FALLBACKS),
        )
        # The reference's metrics, searched as its own dashboards search them.
        self.dashboard.add_widgets(*(self._operation_graph(operation) for operation in REFERENCE_OPERATIONS))
        self.dashboard.add_widgets(
            *(self._per_endpoint(metric) for metric in (REGIONS_ADMITTED, ENDPOINT_THROTTLES, QUEUE_AGE))
        )

    def metric(self, metric: WorkerMetric) -> cloudwatch.Metric:
        """One of the worker's metrics in this deployment's namespace."""
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=metric.name,
            statistic=metric.statistic,
            period=PERIOD,
        )

    def search(self, operation: ReferenceOperation, metric: str, statistic: str) -> cloudwatch.MathExpression:
        """Every series of one of the reference's operation metrics (one per model and format)."""
        dimensions = ", ".join(sorted(operation.dimensions))
        return cloudwatch.MathExpression(
            expression=f"SEARCH('{{{self.namespace}, {dimensions}}} {operation.name} {metric}', "
            f"'{statistic}', {int(PERIOD.to_seconds())})",
            label=f"{operation.name} {metric}",
            period=PERIOD,
        )

    def _operation_graph(self, operation: ReferenceOperation) -> cloudwatch.GraphWidget:
        counts = [
            self.search(operation, metric, "Sum") for metric in operation.metrics if metric != "Duration"
        ]
        durations = [self.search(operation, "Duration", "Average")] if "Duration" in operation.metrics else []
        return cloudwatch.GraphWidget(
            title=operation.name, left=durations or counts, right=counts if durations else [], width=6
        )

    def _alarm(self, name: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )

    def _per_endpoint(self, metric: WorkerMetric) -> cloudwatch.GraphWidget:
        """The scheduler's ``metric``, one line per model endpoint (its ModelEndpoint dimension)."""
        search = cloudwatch.MathExpression(
            expression=f"SEARCH('{{{self.namespace},{ENDPOINT_DIMENSION}}} MetricName=\"{metric.name}\"', "
            f"'{metric.statistic}', {int(PERIOD.to_seconds())})",
            label=metric.name,
            period=PERIOD,
        )
        return cloudwatch.GraphWidget(title=f"{metric.name} per endpoint", left=[search], width=6)

    def _graph(self, title: str, *metrics: WorkerMetric) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=[self.metric(metric) for metric in metrics], width=6)


def _queue_graph(title: str, queues: Mapping[str, sqs.IQueue]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=[
            queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum", label=name
            )
            for name, queue in queues.items()
        ],
        width=6,
    )
