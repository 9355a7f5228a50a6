"""Real-world mail, written by other people's software, through the HTTP API.

Every message of `corpus/` (public test suites of mail parsers, MTAs and helpdesks; see
corpus/README.md) is posted signed to `POST inbound/email` as raw MIME, each to a company
of its own so that no file's outcome depends on another's, with the `Delivered-To` line a
receiving MTA writes on top. What became of it is read back through the API and compared
with `corpus/manifest.json`, written down per file: the outcome and reason, and for an
order or a message a part of its title and text that a person reads there. Whatever the
manifest says, no message may answer 5xx, and no stored text may be empty or mojibake.

After a deliberate change of behaviour, `CORPUS_WRITE_MANIFEST=1 pytest
orders/tests/test_email_corpus.py -p no:xdist` writes the manifest anew from what the
API answers; review its diff before committing it.
"""

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from companies.tests.factories import CompanyFactory
from orders.models import InboundEmail
from orders.tests.mail import post_mime

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = CORPUS / "manifest.json"
SOURCES = sorted(
    path.name for path in CORPUS.iterdir() if path.is_dir() and path.name != "LICENSES"
)
WRITING = os.environ.get("CORPUS_WRITE_MANIFEST") == "1"
# UTF-8 read as Latin-1 or Windows-1252: "Ã©", "â€™", "Ð¿" and the like.
MOJIBAKE_RE = re.compile(
    "[ÃÂÐÑ][\u0080-\u00bf\u2018-\u203a\u20ac]|â€[\u0080-\u00bf\u2018-\u203a\u20ac]"
)
SNIPPET_LENGTH = 60


def corpus_files(source: str) -> list[Path]:
    return sorted((CORPUS / source).glob("*.eml"))


def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}


def snippet(text: str) -> str:
    """The first line a person reads, shortened: what the manifest expects to find."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:SNIPPET_LENGTH]
    return ""


def receive(api_client, raw: bytes, support: str) -> tuple[int, dict]:
    delivered = f"Delivered-To: {support}\r\n".encode()
    response = post_mime(api_client, delivered + raw)
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    return response.status_code, body


def read_back(client, result: dict) -> dict:
    """What a person sees through the API of the order or message the e-mail became."""
    order = client.get(f"/api/v1/orders/{result['order']}")
    assert order.status_code == 200, order.content
    if result["status"] == "created":
        return {"title": order.json()["title"], "text": order.json()["description"]}
    messages = client.get(f"/api/v1/orders/{result['order']}/messages?page_size=100")
    assert messages.status_code == 200, messages.content
    return {"title": order.json()["title"], "text": messages.json()["results"][-1]["body"]}


def outcome_of(api_client, staff_client, path: Path) -> dict:
    company = CompanyFactory()
    code, body = receive(api_client, path.read_bytes(), company.support_email)
    assert code < 500, f"{path.name}: {code}"
    assert code == 200, f"{path.name}: {code} {body}"
    (result,) = body["results"]
    outcome = {"status": result["status"], "reason": result["reason"]}
    if result["status"] in ("created", "joined"):
        seen = read_back(staff_client, result)
        outcome |= {"title": snippet(seen["title"]), "text": snippet(seen["text"])}
        outcome["_full"] = seen
    return outcome


def unreadable(text: str) -> str:
    """Why a text a person reads is not fit to read, or ""."""
    if not text.strip():
        return "empty"
    if match := MOJIBAKE_RE.search(text):
        return f"mojibake {match.group()!r}"
    return ""


@pytest.mark.parametrize("source", SOURCES)
def test_real_world_mail_is_read_or_explicitly_set_aside(
    api_client, staff_client, source, record_property
):
    expected = manifest()
    counts: Counter = Counter()
    problems, written = [], {}
    for path in corpus_files(source):
        key = f"{source}/{path.name}"
        outcome = outcome_of(api_client, staff_client, path)
        counts[outcome["status"]] += 1
        seen = outcome.pop("_full", None)
        if seen is not None:
            for field in ("title", "text"):
                if (why := unreadable(seen[field])) and not expected.get(key, {}).get("odd"):
                    problems.append(f"{key}: {field} {why}: {seen[field][:80]!r}")
        written[key] = outcome
        if not WRITING and outcome != {
            k: v for k, v in expected.get(key, {}).items() if k != "odd"
        }:
            problems.append(f"{key}: got {outcome}, manifest says {expected.get(key)}")

    record_property("corpus_counts", dict(counts))  # summed in conftest's terminal summary
    print(f"corpus {source}: {dict(sorted(counts.items()))}")
    if WRITING:
        _write(written)
    assert not problems, "\n".join(problems)


def _write(outcomes: dict) -> None:
    current = manifest()
    for key, outcome in outcomes.items():
        if odd := current.get(key, {}).get("odd"):
            outcome["odd"] = odd  # a person's note on a file whose text is odd at its source
        current[key] = outcome
    MANIFEST.write_text(
        json.dumps(dict(sorted(current.items())), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


def test_the_manifest_names_every_file_and_no_other():
    on_disk = {f"{source}/{path.name}" for source in SOURCES for path in corpus_files(source)}

    assert len(on_disk) >= 200
    assert set(manifest()) == on_disk


SAMPLE_EVERY = 8  # every 8th file of each source, some 60 messages in all


def corpus_sample() -> list[str]:
    """Every 8th file whose bytes are UTF-8: a form field carries text, not raw 8-bit."""
    return [
        f"{source}/{path.name}"
        for source in SOURCES
        for path in corpus_files(source)[::SAMPLE_EVERY]
        if _is_utf8(path.read_bytes())
    ]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_same_mail_through_mailguns_door_ends_the_same(
    client, staff_client, settings, record_property
):
    from orders.tests.test_email_anymail import BASIC_AUTH, SIGNING_KEY, mailgun_form

    settings.INBOUND_EMAIL_PROVIDERS = ["mailgun"]
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "relay:s3cret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    expected, problems, counts = manifest(), [], Counter()
    for key in corpus_sample():
        company = CompanyFactory()
        form = mailgun_form((CORPUS / key).read_bytes()) | {"recipient": company.support_email}
        response = client.post(
            "/anymail/mailgun/inbound_mime/", form, HTTP_AUTHORIZATION=BASIC_AUTH
        )
        assert response.status_code == 200, f"{key}: {response.status_code}"
        stored = company.inbound_emails.first() or InboundEmail.objects.order_by("-pk").first()
        counts[stored.status] += 1
        if stored.status != expected[key]["status"]:
            problems.append(
                f"{key}: {stored.status} ({stored.reason}), manifest says {expected[key]}"
            )
        elif stored.order_id and expected[key]["text"] not in _text_of(staff_client, stored):
            problems.append(f"{key}: text differs from {expected[key]['text']!r}")
    record_property("corpus_mailgun_counts", dict(counts))
    assert sum(counts.values()) >= 50
    assert not problems, "\n".join(problems)


def _text_of(staff_client, stored) -> str:
    result = {"order": stored.order_id, "status": stored.status}
    return " ".join(read_back(staff_client, result)["text"].split())
