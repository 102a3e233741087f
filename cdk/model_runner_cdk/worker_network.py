"""The worker task's security group: outbound HTTPS only, plus the model hosts the deployment names.

AWS service endpoints (SQS, DynamoDB, S3, SNS, STS, SageMaker, Kinesis, CloudWatch, ECR) have no
fixed addresses, so HTTPS (443) is open to any IPv4 address; the worker's own code calls only those
endpoints and the allow-listed models (MODEL_ENDPOINT_ALLOWLIST). Any other port is open only to
what the deployment names: each ``modelEgress`` entry (``CIDR:port``), and each allow-list entry that
is an IP address with a port. Security groups do not filter the VPC's DNS resolver nor the task
metadata and credentials endpoints, so no rule is needed for them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from model_runner_cdk.deployment_config import DeploymentConfig

HTTPS = 443


def worker_security_group(
    scope: Construct, construct_id: str, vpc: ec2.IVpc, config: DeploymentConfig
) -> ec2.SecurityGroup:
    """A security group that lets the task out on HTTPS and to the deployment's model hosts only."""
    group = ec2.SecurityGroup(
        scope,
        construct_id,
        vpc=vpc,
        allow_all_outbound=False,
        description="model-runner worker: HTTPS to AWS endpoints and allow-listed model hosts",
    )
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS), "HTTPS to AWS service endpoints")
    for network, port in model_destinations(config):
        peer = ec2.Peer.ipv4(str(network)) if network.version == 4 else ec2.Peer.ipv6(str(network))
        group.add_egress_rule(peer, ec2.Port.tcp(port), f"model endpoint {network}:{port}")
    return group


def model_destinations(
    config: DeploymentConfig,
) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]]:
    """(network, port) of every model destination that needs its own rule (IPv4 HTTPS is open
    already), without repeats."""
    found: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]] = []
    for network, port in (*_egress_entries(config), *_literal_model_hosts(config)):
        covered = port == HTTPS and network.version == 4
        if not covered and (network, port) not in found:
            found.append((network, port))
    return found


def _egress_entries(
    config: DeploymentConfig,
) -> Iterator[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]]:
    for entry in config.model_egress:
        network, _, port = entry.rpartition(":")
        try:
            yield ipaddress.ip_network(network.strip("[]")), _port(port)
        except ValueError:
            raise ValueError(f"modelEgress {entry!r}: expected CIDR:port, such as 10.0.0.0/16:8080") from None


def _literal_model_hosts(
    config: DeploymentConfig,
) -> Iterator[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]]:
    """Allow-list entries naming an IP address: their /32 (or /128) on their port."""
    for entry in config.model_endpoint_allowlist:
        parts = urlsplit(entry if "://" in entry else f"//{entry}")
        try:
            address = ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            continue  # a host name: its addresses are not known here (see modelEgress)
        port = parts.port or (80 if parts.scheme == "http" else HTTPS)
        yield ipaddress.ip_network(address), port


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(text)
    return port
