"""Schemathesis over /api/v1/openapi.json, in process against the WSGI app.

Every operation of the document gets generated requests (valid and not), sent
with the bearer token of one of several accounts (or none), over the reuse
world (tests/reuse_world.py): path parameters name its real warehouse,
papers, dossiers, consents and reuse request three times in four, so that the
requests reach the views and not only the 404 of an unknown id. Checks: no
5xx (not_a_server_error), and every answer is one the document describes
(status code, content type, JSON schema).

The number of examples is bounded (KHO_SCHEMATHESIS_EXAMPLES, default 25 per
operation) and the run is deterministic (derandomized), so `make test` stays
within about two minutes and fails the same way each time; set
KHO_SCHEMATHESIS_RANDOM=1 (and more examples) for a deeper, random run.
KHO_SCHEMATHESIS_PATHS=REGEX runs only the operations whose path matches
(e.g. '^/(records|requests)' for the records management routes)."""
import os
import re

import pytest
import schemathesis
import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from repository.db import app_root

from ..conftest import copy_template
from .matrix_reuse_api import prepare

# ~35 s on one core: `make test` runs it, `make test-fast` leaves it out
pytestmark = [pytest.mark.slow]

EXAMPLES = int(os.environ.get("KHO_SCHEMATHESIS_EXAMPLES", "25"))
RANDOM = os.environ.get("KHO_SCHEMATHESIS_RANDOM") == "1"
PATHS = re.compile(os.environ.get("KHO_SCHEMATHESIS_PATHS", ""))
ROLES = ("canbo2", "canbo", "congdan", "congdan2", "luutru", "xuly2", "quantri", None)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CATALOGUE_CODES = ("GKS", "CCCD", "1.004227", "2.001417", "000.15.16.H10", "permanent", "10y")


@pytest.fixture(scope="module")
def api_world(reuse_template, tmp_path_factory):
    """The app over a copy of the reuse world, a token per account, and the names
    of the world's objects by path parameter."""
    from views import main
    from views.startup import shutdown
    template, world = reuse_template
    settings = copy_template(template, tmp_path_factory.mktemp("schemathesis"))
    app = main({}, **settings)
    tm = transaction.TransactionManager()
    conn = app.registry._zodb_databases[""].open(tm)
    with tm:
        root = app_root(conn)
        pending = prepare(root, world)
        records = _records_names(root, world)
        tokens = {u: root.accounts.issue_token(u) for u in ROLES if u}
    conn.close()
    known = {
        "subject_id": [world.owner],
        "document_id": [world.id_card, world.birth],
        "dossier": [world.second, world.first],
        "consent_id": [world.consent_online, world.consent_desk],
        "request_id": [pending["request"]],
        "token": [pending["token"]],
        "name": ["grant", "narrow-1", "withdrawal"],
        "catalogue_code": list(CATALOGUE_CODES),
        **records,
    }
    yield app, tokens, known
    shutdown(app.registry)


def _records_names(root, world):
    """A pending deletion request of the owner and a legal hold (the records routes' ids)."""
    from repository import retention, rights
    users = root.accounts.users
    request = rights.file_request(root, users["congdan"], "delete", f"paper:{world.owner}/{world.birth}")
    hold = retention.place_hold(root, f"dossier:{world.first}", users["luutru"], "Thanh tra")
    return {"rights_request": [request.id], "hold": [hold.id]}


def _known_name(path, parameter, known):
    if parameter == "code":
        return known["catalogue_code"] if path.startswith("/catalogues/") else known["dossier"]
    return known.get(parameter)


def _cases(operation):
    """Generated requests for one operation: fitting the document, or (a third
    of the time) breaking it, which the API must refuse with a 4xx it declares."""
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:       # nothing in this operation can be made invalid
        pass
    return st.one_of(*modes) if len(modes) > 1 else modes[0]


def test_the_api_answers_as_its_document_says(api_world):
    app, tokens, known = api_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations, statuses = [], 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not PATHS.search(operation.path):
            continue
        operations += 1

        @given(case=_cases(operation), data=st.data())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case, data):
            for parameter in list(case.path_parameters or {}):
                names = _known_name(case.operation.path, parameter, known)
                if names and data.draw(st.integers(0, 3), label=f"real {parameter}"):    # 3 times in 4
                    case.path_parameters[parameter] = data.draw(st.sampled_from(names), label=parameter)
            role = data.draw(st.sampled_from(ROLES), label="account")
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:   # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}:\n{exc}")     # one per operation; go on with the others
    print(f"schemathesis: {operations} operations, statuses {dict(sorted(statuses.items()))}")
    assert operations > (30 if not PATHS.pattern else 0)
    assert not failures, f"{len(failures)} operation(s) answered outside the document:\n\n" + \
        "\n\n".join(failures)
