"""Alarms on dead letters and failed images, the dashboard, and scaling on queue depth."""

from __future__ import annotations

import json
from typing import Any

from cdk_synthesis import Synthesized
from model_runner_cdk.worker_metrics import REFERENCE_OPERATIONS, WORKER_METRICS

from model_runner.config import WorkerSettings
from model_runner.resources import RESOURCES


def _alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def _alarm_topic(synthesized: Synthesized) -> str:
    (topic,) = [key for key in synthesized.of_type("AWS::SNS::Topic") if "AlarmTopic" in key]
    return topic


def test_each_dead_letter_queue_alarms_on_its_first_message(synthesized: Synthesized) -> None:
    alarms = [a for a in _alarms(synthesized) if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"]

    watched = {alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for alarm in alarms}
    assert len(watched) == len(RESOURCES.queues)
    assert all(any(q.dead_letter_name in key for key in watched) for q in RESOURCES.queues)
    for alarm in alarms:
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == [{"Ref": _alarm_topic(synthesized)}]


def test_a_failed_image_raises_an_alarm_in_the_worker_namespace(synthesized: Synthesized) -> None:
    (failed,) = [a for a in _alarms(synthesized) if a.get("MetricName") == "ImagesFailed"]

    assert failed["Namespace"] == WorkerSettings.model_fields["metrics_namespace"].default
    assert failed["Threshold"] == 1
    assert failed["TreatMissingData"] == "notBreaching"
    assert failed["AlarmActions"] == [{"Ref": _alarm_topic(synthesized)}]


def test_the_alarm_topic_mails_the_operator(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": _alarm_topic(synthesized)}},
    )


def test_the_dashboard_shows_every_worker_metric(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    for metric in WORKER_METRICS:
        assert f'\\"{metric.name}\\"' in body, metric.name


def test_the_dashboard_searches_the_reference_metrics_as_its_dashboards_do(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    namespace = WorkerSettings.model_fields["metrics_namespace"].default

    assert namespace == "OSML/ModelRunner"
    # e.g. the reference's "Average Image Processing Time" widget:
    assert f"SEARCH('{{{namespace}, InputFormat, ModelName, Operation}} ImageProcessing Duration'" in body
    for operation in REFERENCE_OPERATIONS:
        dimensions = ", ".join(sorted(operation.dimensions))
        for metric in operation.metrics:
            assert f"{{{namespace}, {dimensions}}} {operation.name} {metric}'" in body, (
                operation.name,
                metric,
            )


def test_the_service_scales_out_on_waiting_messages_and_in_when_idle(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 0, "MaxCapacity": 6}
    )
    policies = {
        key: p["Properties"]["StepScalingPolicyConfiguration"]
        for key, p in synthesized.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").items()
    }
    (out,) = [p for key, p in policies.items() if "ScaleOut" in key]
    (scale_in,) = [p for key, p in policies.items() if "ScaleIn" in key]
    assert all(step["ScalingAdjustment"] > 0 for step in out["StepAdjustments"])
    assert [step["ScalingAdjustment"] for step in scale_in["StepAdjustments"]] == [-6]
    scaling_alarms = [a for a in _alarms(synthesized) if "Metrics" in a]
    queue_metrics = {
        query["MetricStat"]["Metric"]["MetricName"]
        for alarm in scaling_alarms
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }
    assert queue_metrics == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"}
