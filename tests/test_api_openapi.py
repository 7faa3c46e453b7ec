"""The OpenAPI document: served as kept in the repository, valid, naming every route, and true
of the running application (schemathesis generates requests from it over real HTTP)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from bot.api.app import OPENAPI_FILE, build_api
from tests.apikit import join, make_key, start_api
from tests.harness import OWNER_ID, make_harness

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    harness.user(OWNER_ID, "Olga", "en")
    yield harness
    assert harness.telegram.violations == []


def document() -> dict[str, Any]:
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def routes(web_app) -> set[tuple[str, str]]:
    found = set()
    for resource in web_app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        found |= {(route.method.lower(), path) for route in resource if route.method != "HEAD"}
    return found


async def test_the_served_document_is_the_file_and_names_every_route(harness):
    api = await start_api(harness)
    try:
        response = await api.client.get("/v1/openapi.json")  # no key needed
        assert response.status == 200 and response.content_type == "application/json"
        assert await response.read() == OPENAPI_FILE.read_bytes()
    finally:
        await api.client.close()
    doc = document()
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert routes(build_api(api.ctx)) == documented
    assert all(path.startswith("/v1/") for _, path in documented)
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()  # against the OpenAPI 3.0 meta-schema
    for item in doc["paths"].values():
        for operation in item.values():
            writes = operation.get("requestBody") is not None
            parameters = operation.get("parameters", [])
            headers = {p.get("$ref", "").rsplit("/", 1)[-1] for p in parameters}
            assert writes == ("IdempotencyKey" in headers)
            for status in operation["responses"]:
                if int(status) >= 400:
                    response = operation["responses"][status]
                    if "$ref" in response:
                        name = response["$ref"].rsplit("/", 1)[-1]
                        response = doc["components"]["responses"][name]
                    assert list(response["content"]) == ["application/problem+json"]


def conformance_test(operation, mode: GenerationMode, base_url: str, token: str, seen: set[int]):
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
        seen.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return run


def fuzz(base_url: str, token: str) -> tuple[list[str], dict[str, set[int]]]:
    """Every operation, `EXAMPLES` generated requests each: the failures, as text, and the
    statuses each operation answered."""
    schema = schemathesis.openapi.from_dict(document())
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        seen = statuses.setdefault(operation.label, set())
        for mode in EXAMPLES:
            if mode is GenerationMode.NEGATIVE and operation.label.endswith("openapi.json"):
                continue  # nothing in it to get wrong
            try:
                conformance_test(operation, mode, base_url, token, seen)()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures, statuses


async def test_the_running_api_conforms_to_its_document(harness):
    api = await start_api(harness, api_rate_limit=100_000)
    try:
        await join(harness, harness.user(1, "Анна", "ru"))  # member 1: the documents' example
        token, _ = await make_key(harness)
        base_url = str(api.client.make_url("")).rstrip("/")
        failures, statuses = await asyncio.to_thread(fuzz, base_url, token)
        await api.settle()
    finally:
        await api.client.close()
    assert failures == []
    assert len(statuses) == len(document()["paths"])
    assert all(seen and seen != {401} for seen in statuses.values()), statuses
    assert any(status < 300 for seen in statuses.values() for status in seen)
    assert harness.clock.now() == NOW
