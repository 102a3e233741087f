"""`cdk synth` offline: the app command of cdk.json, run as the CDK CLI runs it, with no options."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from cdk_synthesis import CDK_DIR


def test_the_app_command_synthesizes_the_default_deployment(tmp_path: Path) -> None:
    cdk_json = json.loads((CDK_DIR / "cdk.json").read_text())
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps(cdk_json["context"]),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }

    result = subprocess.run(
        shlex.split(cdk_json["app"]),
        cwd=CDK_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "ModelRunner.template.json").read_text())
    (task_policy,) = [
        resource["Properties"]["PolicyDocument"]
        for key, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy" and "TaskRole" in key
    ]
    assert "sts:AssumeRole" not in json.dumps(task_policy)
    assert "sagemaker:" not in json.dumps(task_policy)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [plugin["conclusion"] for plugin in report["pluginReports"]] == ["success"]
