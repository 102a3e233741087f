"""cdk-nag's AwsSolutions rules pass; every accepted finding carries its reason."""

from __future__ import annotations

from cdk_synthesis import Synthesized


def test_aws_solutions_checks_ran_and_found_no_violation(synthesized: Synthesized) -> None:
    (report,) = synthesized.validation_report["pluginReports"]

    assert report["pluginName"] == "AwsSolutions"
    assert report["conclusion"] == "success"
    assert report["violations"] == []


def test_every_suppression_is_justified(synthesized: Synthesized) -> None:
    (report,) = synthesized.validation_report["pluginReports"]
    suppressed = report["suppressedViolations"]

    assert suppressed, "expected the documented suppressions (ECS2, IAM5) to be reported"
    for finding in suppressed:
        assert len(finding["reason"]) > 40, finding["ruleName"]
    assert {finding["ruleName"].split("[")[0] for finding in suppressed} == {
        "AwsSolutions-ECS2",
        "AwsSolutions-IAM5",
    }
