"""Fixtures of the production-path tests: a local S3 server (moto in server mode), Redis."""

import socket
import uuid
from collections.abc import Iterator
from contextlib import closing

import pytest

from tests.checks.conftest import (  # noqa: F401 (fixtures)
    frozen_clock,
    make_incident,
    service,
)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and a free port, for the session; its endpoint URL."""
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def evidence_bucket(s3_server, settings) -> Iterator[str]:
    """A fresh private bucket, with the evidence settings pointed at it."""
    import boto3

    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=bucket)
    settings.EVIDENCE_S3_BUCKET = bucket
    settings.EVIDENCE_S3_ENDPOINT_URL = s3_server
    settings.EVIDENCE_S3_REGION = "us-east-1"
    settings.EVIDENCE_S3_ACCESS_KEY_ID = "testing"
    settings.EVIDENCE_S3_SECRET_ACCESS_KEY = "testing"
    settings.EVIDENCE_S3_PREFIX = "evidence"
    yield bucket
    listing = client.list_objects_v2(Bucket=bucket)
    for item in listing.get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def bucket_keys(s3_server: str, bucket: str) -> set[str]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
