"""Synthesis of the CDK app the way `cdk synth` runs it: cdk.json's context, cdk-nag's checks."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CDK_DIR = Path(__file__).resolve().parents[2] / "cdk"
if str(CDK_DIR) not in sys.path:
    sys.path.insert(0, str(CDK_DIR))

import app as cdk_app  # noqa: E402
from aws_cdk import App  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402


@dataclass(frozen=True)
class Synthesized:
    """The synthesized stack: its template, as assertions and as JSON, and cdk-nag's report."""

    template: Template
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    validation_report: dict[str, Any]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The template's resources of one CloudFormation type, by logical id."""
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    """Synthesize the app with cdk.json's context updated by ``context`` into ``outdir``.

    Raises:
        RuntimeError: a finding of cdk-nag that is not acknowledged (synthesis fails validation).
    """
    defaults = json.loads((CDK_DIR / "cdk.json").read_text())["context"]
    app = App(context={**defaults, **context}, outdir=str(outdir))
    stack = cdk_app.build_app(app)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return Synthesized(
        template=Template.from_json(template),
        resources=template["Resources"],
        outputs=template.get("Outputs", {}),
        validation_report=json.loads((outdir / "validation-report.json").read_text()),
    )
