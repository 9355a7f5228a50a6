"""A client generated from our OpenAPI schema works, end to end.

The schema is written with `manage.py spectacular`, a Python client is generated from it
with openapi-python-client (pinned in the dev extras), and then:

- the generator must exit 0 and print no warning about our schema;
- every generated module must import;
- one real journey runs against a live server through the generated code only (its
  `Client`/`AuthenticatedClient`, api functions and model classes; no raw HTTP): sign-up,
  logins, a company registered with its first admin, activated by staff, an agent added,
  orders opened, taken and closed, then listed with a repeated multi-value filter
  (`status=open&status=closed`, as generated clients send lists) one per page.

The client is generated once per module. Nothing in the generated code is patched: a
schema a client cannot be generated from, or used through, fails here.
"""

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from django.core.management import call_command
from validate_docbr import CNPJ

from accounts.tests.factories import PASSWORD, UserFactory

PACKAGE = "mutirao_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
GENERATOR_TIMEOUT_S = 120
HTTP_TIMEOUT_S = 30

# What openapi-python-client prints around its list of problems (cli.handle_errors).
_PROBLEMS_HEADERS = (
    "Warning(s) encountered while generating",
    "Error(s) encountered while generating",
)
_PROBLEMS_FOOTER = "If you believe this was a mistake"
# Problems of the generator's own environment (post-hooks), not of our schema.
_NOT_ABOUT_THE_SCHEMA = re.compile(r"^(Skipping Integration|\S+ failed)\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def generator_problems(output: str) -> list[str]:
    """The warnings (and errors) openapi-python-client printed, one string each:
    "header: detail". Each is printed as its header, its detail and the offending part
    of the document as indented JSON, separated by blank lines."""
    text = _ANSI.sub("", output)
    starts = [text.find(header) for header in _PROBLEMS_HEADERS if header in text]
    if not starts:
        return []
    body = text[min(starts) :].split("\n", 1)[-1]
    if _PROBLEMS_FOOTER in body:
        body = body[: body.index(_PROBLEMS_FOOTER)]
    problems: list[str] = []
    current: list[str] = []
    blank_run = 0
    in_data = False

    def close():
        if current:
            problems.append(": ".join(current))
            current.clear()

    for line in body.splitlines():
        if in_data:  # the offending part of the document; ends with its closing bracket
            if line in ("}", "]"):
                in_data = False
                close()
            continue
        if not line.strip():
            blank_run += 1
            if blank_run >= 2:  # a problem without data ends with two blank lines
                close()
            continue
        blank_run = 0
        if line.startswith(("{", "[")):
            if line.rstrip().endswith(("}", "]")):  # `{}` on one line
                close()
            else:
                in_data = True
            continue
        current.append(line.strip())
    close()
    if not problems and body.strip():
        problems.append(body.strip())
    return problems


@dataclass
class Generated:
    """The generated client package, importable while the module's tests run."""

    root: Path
    schema: Path
    returncode: int
    output: str
    problems: list[str]
    modules: list[str] = field(default_factory=list)
    import_errors: dict[str, str] = field(default_factory=dict)

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{name}")

    def import_all(self) -> None:
        """Import the package and every module under it (once); failures are recorded."""
        if self.modules:
            return

        def walk_error(name):
            self.import_errors.setdefault(name, _first_line(sys.exc_info()[1]))

        try:
            package = importlib.import_module(PACKAGE)
        except Exception as exc:
            self.modules = [PACKAGE]
            self.import_errors[PACKAGE] = _first_line(exc)
            return
        names = [PACKAGE]
        names += [
            info.name
            for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.", onerror=walk_error)
        ]
        self.modules = names
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:
                self.import_errors.setdefault(name, _first_line(exc))


def _first_line(exc: BaseException | None) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text else ""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Generated:
    if not GENERATOR.is_file():
        pytest.fail(
            f"no {GENERATOR}: openapi-python-client is a dev dependency "
            "(pyproject.toml); install the dev extras"
        )
    work = tmp_path_factory.mktemp("generated-client")
    schema = work / "schema.json"
    call_command("spectacular", "--file", str(schema), "--format", "openapi-json")
    config = work / "generator.yml"
    # The default post-hooks run ruff; nothing here may depend on tools on PATH.
    config.write_text("post_hooks: []\n")
    root = work / "client"
    root.mkdir()
    output = root / PACKAGE
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    run = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=GENERATOR_TIMEOUT_S,
        check=False,
    )
    result = Generated(
        root=output,
        schema=schema,
        returncode=run.returncode,
        output=f"{run.stdout}\n{run.stderr}",
        problems=generator_problems(run.stderr),
    )
    sys.path.insert(0, str(root))
    try:
        yield result
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_generator_exits_0_without_warnings_about_the_schema(generated, record_property):
    assert generated.returncode == 0, (
        f"openapi-python-client exited {generated.returncode}:\n{generated.output[-5000:]}"
    )
    about_schema = [p for p in generated.problems if not _NOT_ABOUT_THE_SCHEMA.match(p)]
    record_property("generated_client_warnings", about_schema)
    print(f"generator warnings about the schema: {len(about_schema)}")
    for problem in about_schema:
        print(f"  {problem}")
    assert not about_schema, (
        f"openapi-python-client warned {len(about_schema)} time(s) about our schema:\n"
        + "\n".join(f"- {problem}" for problem in about_schema)
    )


def test_every_generated_module_imports(generated, record_property):
    generated.import_all()
    summary = {
        "modules": len(generated.modules),
        "failed_imports": len(generated.import_errors),
    }
    record_property("generated_client", {**summary, "import_errors": generated.import_errors})
    print(f"generated client: {summary}")
    for name, error in generated.import_errors.items():
        print(f"  {name}: {error}")
    assert len(generated.modules) > 100, f"too few modules generated: {generated.modules}"
    assert not generated.import_errors, (
        f"{len(generated.import_errors)} of {len(generated.modules)} generated modules "
        "fail to import:\n"
        + "\n".join(f"- {name}: {error}" for name, error in generated.import_errors.items())
    )


class Flow:
    """The journey's steps, for the record: which were done, where it stopped and why."""

    def __init__(self):
        self.done: list[str] = []
        self.failed_at: str | None = None
        self.error: str | None = None
        self.outcome: dict = {}

    @contextmanager
    def step(self, name: str):
        try:
            yield
        except BaseException as exc:
            self.failed_at, self.error = name, _first_line(exc)
            raise
        self.done.append(name)

    def as_dict(self) -> dict:
        return {
            "steps_done": self.done,
            "failed_at": self.failed_at,
            "error": self.error,
            "outcome": self.outcome,
        }


def expect(response, status: HTTPStatus, model: type):
    """The parsed model of a generated `sync_detailed` call that must answer `status`."""
    assert response.status_code == status, (
        f"expected {status.value}, got {response.status_code}: {response.content[:1000]!r}"
    )
    assert isinstance(response.parsed, model), (
        f"expected a {model.__name__}, got {response.parsed!r}"
    )
    return response.parsed


def test_a_real_flow_through_the_generated_client(
    generated, live_server, transactional_db, record_property
):
    generated.import_all()
    staff = UserFactory(is_staff=True, is_superuser=True)
    flow = Flow()
    try:
        _run_flow(generated, live_server.url, staff.email, flow)
    finally:
        result = {"modules": len(generated.modules), "flow": flow.as_dict()}
        record_property("generated_client", result)
        print(f"generated client: {result}")


def _run_flow(generated: Generated, base_url: str, staff_email: str, flow: Flow) -> None:
    api = generated.module
    with flow.step("import the generated client and models"):
        client_module = api("client")
        models = api("models")
    timeout = httpx.Timeout(HTTP_TIMEOUT_S)

    def anonymous():
        return client_module.Client(
            base_url=base_url, raise_on_unexpected_status=True, timeout=timeout
        )

    def logged_in(session):
        return client_module.AuthenticatedClient(
            base_url=base_url,
            token=session.access,
            raise_on_unexpected_status=True,
            timeout=timeout,
        )

    def log_in(email: str, password: str):
        login = api("api.auth.auth_login")
        session = expect(
            login.sync_detailed(
                client=anonymous(), body=models.LoginRequest(email=email, password=password)
            ),
            HTTPStatus.OK,
            models.Session,
        )
        assert session.user.email == email
        return logged_in(session), session

    requester_email = "requester@example.com"
    admin_email = "admin@example.com"
    agent_email = "agent@example.com"

    with flow.step("POST auth/register (a requester signs up)"):
        register = api("api.auth.auth_register")
        person = expect(
            register.sync_detailed(
                client=anonymous(),
                body=models.RegisterRequest(
                    email=requester_email, password=PASSWORD, name="Rita Requester"
                ),
            ),
            HTTPStatus.CREATED,
            models.User,
        )
        assert person.email == requester_email

    with flow.step("POST auth/login (the requester)"):
        requester, requester_session = log_in(requester_email, PASSWORD)
        assert requester_session.user.id == person.id

    with flow.step("POST companies (with its first admin, nested)"):
        create_company = api("api.companies.companies_create")
        cnpj = CNPJ().generate()
        company = expect(
            create_company.sync_detailed(
                client=anonymous(),
                body=models.CompanyRegisterRequest(
                    cnpj=cnpj,
                    legal_name="Oficina Mutirão Ltda",
                    admin=models.FirstAdminRequest(
                        email=admin_email, password=PASSWORD, name="Ana Admin"
                    ),
                ),
            ),
            HTTPStatus.CREATED,
            models.Company,
        )
        assert company.is_active is False
        assert re.sub(r"\D", "", company.cnpj) == cnpj
        flow.outcome["company_active_after_register"] = company.is_active

    with flow.step("staff logs in and POST companies/{id}/activate"):
        staff, _ = log_in(staff_email, PASSWORD)
        activate = api("api.companies.companies_activate")
        company = expect(
            activate.sync_detailed(id=company.id, client=staff),
            HTTPStatus.OK,
            models.Company,
        )
        assert company.is_active is True
        flow.outcome["company_active_after_activate"] = company.is_active

    with flow.step("the company admin logs in and POST companies/{id}/members (agent, requester)"):
        admin, _ = log_in(admin_email, PASSWORD)
        add_member = api("api.companies.companies_members_create")
        agent_member = expect(
            add_member.sync_detailed(
                company_id=company.id,
                client=admin,
                body=models.MemberAddRequest(
                    email=agent_email,
                    role=models.MembershipRoleEnum.AGENT,
                    name="Tito Technician",
                    password=PASSWORD,
                ),
            ),
            HTTPStatus.CREATED,
            models.CompanyMember,
        )
        assert agent_member.role == models.MembershipRoleEnum.AGENT
        requester_member = expect(
            add_member.sync_detailed(
                company_id=company.id,
                client=admin,
                body=models.MemberAddRequest(
                    email=requester_email, role=models.MembershipRoleEnum.REQUESTER
                ),
            ),
            HTTPStatus.CREATED,
            models.CompanyMember,
        )
        assert requester_member.user.id == person.id
        assert requester_member.role == models.MembershipRoleEnum.REQUESTER

    with flow.step("the requester POST orders (three of them)"):
        create_order = api("api.orders.orders_create")
        orders = {}
        for key, title in (
            ("to_close", "The printer jams"),
            ("stays_open", "The UPS beeps"),
            ("in_progress", "The notebook will not boot"),
        ):
            order = expect(
                create_order.sync_detailed(
                    client=requester,
                    body=models.OrderCreateRequest(
                        company=company.id,
                        equipment=models.EquipmentEnum.PRINTER,
                        title=title,
                        description="Since this morning.",
                    ),
                ),
                HTTPStatus.CREATED,
                models.Order,
            )
            assert order.status == models.OrderStatusEnum.OPEN
            assert order.requester.id == person.id
            assert order.company.id == company.id
            orders[key] = order

    with flow.step("the agent logs in and POST orders/{id}/take"):
        agent, agent_session = log_in(agent_email, PASSWORD)
        take = api("api.orders.orders_take")
        for key in ("to_close", "in_progress"):
            taken = expect(
                take.sync_detailed(id=orders[key].id, client=agent),
                HTTPStatus.OK,
                models.Order,
            )
            assert taken.status == models.OrderStatusEnum.IN_PROGRESS
            assert taken.assignee is not None
            assert taken.assignee.id == agent_session.user.id
        flow.outcome["status_after_take"] = str(taken.status)

    with flow.step("the agent POST orders/{id}/close with a solution"):
        close = api("api.orders.orders_close")
        solution = "Replaced the pickup roller."
        closed = expect(
            close.sync_detailed(
                id=orders["to_close"].id,
                client=agent,
                body=models.CloseRequest(solution=solution),
            ),
            HTTPStatus.OK,
            models.Order,
        )
        assert closed.status == models.OrderStatusEnum.CLOSED
        assert closed.solution == solution

    with flow.step("GET orders/{id}: the order's final state"):
        retrieve = api("api.orders.orders_retrieve")
        final = expect(
            retrieve.sync_detailed(id=orders["to_close"].id, client=requester),
            HTTPStatus.OK,
            models.Order,
        )
        assert final.status == models.OrderStatusEnum.CLOSED
        assert final.solution == solution
        assert final.closed_at is not None
        assert final.assignee is not None
        assert final.assignee.id == agent_session.user.id
        flow.outcome["final_status"] = str(final.status)

    with flow.step("GET orders?status=open&status=closed&page_size=1, page by page"):
        list_orders = api("api.orders.orders_list")
        status_item = models.OrdersListStatusItem
        wanted = {orders["to_close"].id: "closed", orders["stays_open"].id: "open"}
        seen: dict[int, str] = {}
        counts: list[int] = []
        page = 1
        while True:
            listing = expect(
                list_orders.sync_detailed(
                    client=admin,
                    status=[status_item.OPEN, status_item.CLOSED],
                    page=page,
                    page_size=1,
                ),
                HTTPStatus.OK,
                models.OrderPage,
            )
            counts.append(listing.count)
            assert listing.count == len(wanted), (
                f"status=open&status=closed counted {listing.count} orders, expected "
                f"{len(wanted)} (one open, one closed; the one in progress left out)"
            )
            assert len(listing.results) == 1
            row = listing.results[0]
            assert row.id not in seen, f"order {row.id} on two pages"
            seen[row.id] = str(row.status)
            if not listing.next_:
                break
            page += 1
            assert page <= len(wanted), f"more pages than orders: {listing.next_}"
        assert page == len(wanted)
        assert seen == wanted
        flow.outcome["filtered_list"] = {"pages": page, "counts": counts, "statuses": seen}
