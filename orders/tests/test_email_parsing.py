"""Mail in every charset and state of repair is read, never answered with a 500."""

import base64

import pytest

from orders.email import parsing
from orders.email.parsing import parse_mime, strip_quotes
from orders.models import Attachment, InboundEmail, Order
from orders.tests.mail import message, mime, post_json, post_mime, post_signed, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_secret")]

CHARSETS = [
    ("utf-8", "Não consigo imprimir — ação urgente ✓", "Zé"),
    ("iso-8859-1", "Não consigo imprimir: ação urgente", "Zé"),
    ("windows-1252", "Impressora “quebrada” – ação urgente €", "Zé"),
    ("windows-1251", "Принтер не печатает", "Иван"),
    ("koi8-r", "Принтер не печатает, срочно", "Иван"),
]


def _raw(support: str, *, charset: str, text: str, name: str) -> bytes:
    """A message whose body bytes are in `charset` (quoted-printable) and whose subject is
    RFC 2047 encoded in it, as real clients send them."""
    body = text.encode(charset)
    qp = "".join(chr(byte) if 32 < byte < 127 and byte != 61 else f"={byte:02X}" for byte in body)
    encoded_subject = base64.b64encode(text.encode(charset)).decode()
    encoded_name = base64.b64encode(name.encode(charset)).decode()
    return (
        (
            f"From: =?{charset}?B?{encoded_name}?= "
            f"<ze@client.example>\r\n"
            f"To: {support}\r\n"
            f"Subject: =?{charset}?B?{encoded_subject}?=\r\n"
            f"Message-ID: <{charset}.1@client.example>\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: text/plain; charset="{charset}"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
        ).encode("ascii")
        + qp.encode("ascii")
        + b"\r\n"
    )


@pytest.mark.parametrize(("charset", "text", "name"), CHARSETS, ids=[c[0] for c in CHARSETS])
def test_every_charset_and_encoded_header_is_read(api_client, tenant, charset, text, name):
    raw = _raw(tenant.company.support_email, charset=charset, text=text, name=name)

    result = result_of(post_mime(api_client, raw))

    order = Order.objects.get(pk=result["order"])
    assert (order.title, order.description) == (text, text)
    assert order.requester.name == name
    stored = InboundEmail.objects.get()
    assert (stored.text.strip(), stored.subject) == (text, text)
    assert bytes(stored.raw) == raw


def test_a_wrongly_declared_charset_falls_back_without_failing():
    raw = (
        b"From: a@client.example\r\nTo: s@x.example\r\nSubject: =?x-unknown?Q?caf=E9?=\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\ncaf\xe9 \xe0 la cr\xe8me\r\n"
    )

    parsed = parse_mime(raw)

    assert parsed.text.strip() == "café à la crème"
    assert "caf" in parsed.subject


def test_utf8_bytes_declared_as_ascii_are_read_as_utf8():
    raw = (
        "From: a@client.example\r\nTo: s@x.example\r\nSubject: x\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nação\r\n"
    ).encode()

    assert parse_mime(raw).text.strip() == "ação"


def test_raw_8bit_headers_are_read_as_utf8_or_latin1():
    utf8 = (
        "From: João da Silva <joao@client.example>\r\nTo: s@x.example\r\n"
        "Subject: Impressora não liga\r\n\r\nok\r\n"
    ).encode()
    latin1 = (
        "From: Zoë <zoe@client.example>\r\nTo: s@x.example\r\nSubject: Café\r\n\r\nok\r\n"
    ).encode("latin-1")

    parsed, old_client = parse_mime(utf8), parse_mime(latin1)

    assert (parsed.from_name, parsed.from_address) == ("João da Silva", "joao@client.example")
    assert parsed.subject == "Impressora não liga"
    assert (old_client.from_name, old_client.subject) == ("Zoë", "Café")


def test_an_encoded_name_with_a_comma_stays_one_name_and_folded_headers_unfold():
    raw = (
        b"From: =?utf-8?q?Silva=2C_Jo=C3=A3o?= <joao@client.example>\r\n"
        b"To: s@x.example,\r\n =?utf-8?q?Suporte=2C_TI?= <ti@x.example>\r\n"
        b"Subject: =?utf-8?q?Impressora_n=C3=A3o?=\r\n =?utf-8?q?_liga?=\r\n"
        b"References: <a@client.example>\r\n\t<b@client.example>\r\n\r\nok\r\n"
    )

    parsed = parse_mime(raw)

    assert (parsed.from_name, parsed.from_address) == ("Silva, João", "joao@client.example")
    assert parsed.to == ["s@x.example", "ti@x.example"]
    assert parsed.subject == "Impressora não liga"
    assert parsed.references == ["<a@client.example>", "<b@client.example>"]


def test_multipart_alternative_keeps_both_and_sanitises_the_html(api_client, tenant):
    html = (
        '<p onclick="steal()">Olá <b>equipe</b></p><script>alert(1)</script>'
        '<a href="javascript:alert(2)">x</a><img src=x onerror="alert(3)">'
    )
    raw = mime(
        sender="ana@client.example", to=tenant.company.support_email, text="Olá equipe", html=html
    )

    result_of(post_mime(api_client, raw))

    stored = InboundEmail.objects.get()
    assert stored.text.strip() == "Olá equipe"
    assert stored.html.strip() == html  # kept as received
    for forbidden in ("<script", "onclick", "onerror", "javascript:", "alert(1)"):
        assert forbidden not in stored.html_sanitized
    assert "<b>equipe</b>" in stored.html_sanitized
    assert Order.objects.get().description == "Olá equipe"


def test_an_html_only_message_becomes_text(api_client, tenant):
    raw = mime(
        sender="ana@client.example",
        to=tenant.company.support_email,
        text=None,
        html="<html><head><style>p{}</style></head><body><p>Linha 1</p>"
        "<p>Linha&nbsp;2 &amp; 3<br>fim</p></body></html>",
    )

    result_of(post_mime(api_client, raw))

    assert Order.objects.get().description == "Linha 1\nLinha\xa02 & 3\nfim"


def test_a_forwarded_message_is_kept_as_an_attachment(api_client, tenant):
    inner = mime(sender="boss@client.example", to="ana@client.example", subject="Inner")
    outer = mime(
        sender="ana@client.example",
        to=tenant.company.support_email,
        subject="Fwd: Inner",
        text="See below.",
    )
    from email import message_from_bytes, policy

    message_object = message_from_bytes(outer, policy=policy.default)
    message_object.add_attachment(message_from_bytes(inner, policy=policy.default))

    result = result_of(post_mime(api_client, message_object.as_bytes()))

    assert result["status"] == "created"
    assert Order.objects.get().description == "See below."
    attachment = Attachment.objects.get()
    assert attachment.content_type == "message/rfc822"
    assert b"Subject: Inner" in attachment.file.read()


def test_broken_mime_is_still_read(api_client, tenant):
    raw = (
        f"From: ana@client.example\r\nTo: {tenant.company.support_email}\r\n"
        'Subject: broken\r\nContent-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--never-closed\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    ).encode()

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"


def test_garbage_is_parked_with_its_raw_content_and_answered_200(api_client):
    raw = b"\x00\xff\xfe garbage that is no e-mail \x89PNG"

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "parked"
    parked = InboundEmail.objects.get(pk=result["inbound"])
    assert (parked.status, bytes(parked.raw), parked.reason) == (
        "parked",
        raw,
        "no sender address",
    )


def test_a_parser_failure_parks_the_message(api_client, tenant, monkeypatch):
    def explode(*args, **kwargs):
        raise ValueError("unexpected MIME")

    monkeypatch.setattr(parsing.email, "message_from_bytes", explode)
    raw = mime(sender="ana@client.example", to=tenant.company.support_email)

    result = result_of(post_mime(api_client, raw))

    assert (result["status"], result["reason"]) == ("parked", "ValueError: unexpected MIME")
    assert not Order.objects.exists()


def test_a_fault_while_handling_parks_the_message_instead_of_a_500(api_client, tenant, monkeypatch):
    from orders.email import services

    def explode(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(services, "inbound_batch_write", explode)

    result = result_of(
        post_json(api_client, message("ana@client.example", tenant.company.support_email))
    )

    assert (result["status"], result["reason"]) == ("parked", "RuntimeError: database hiccup")
    assert not Order.objects.exists()
    assert InboundEmail.objects.get().status == "parked"


def test_a_json_message_of_the_wrong_shape_is_parked(api_client, tenant):
    result = result_of(post_json(api_client, {"from": ["not", "a", "string"], "to": 5}))

    assert result["status"] == "parked"
    assert result["reason"].startswith("invalid message:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Support <s@x> wrote:\n> old", "Thanks!"),
        ("Thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Support\n<s@x> wrote:\n> old", "Thanks!"),
        ("Obrigada!\n\nEm seg., 23 de nov. de 2026 às 10:00, Suporte escreveu:\n> x", "Obrigada!"),
        ("Ok.\n\n-----Original Message-----\nFrom: Support\nSent: Monday", "Ok."),
        ("Ok.\n\n-----Mensagem original-----\nDe: Suporte", "Ok."),
        ("Ok.\n\nFrom: Support <s@x>\nSent: Monday\nSubject: y", "Ok."),
        ("Ok.\n\nDe: Suporte <s@x>\nEnviada em: segunda\nAssunto: y", "Ok."),
        ("Fine.\n-- \nAna\nFinance", "Fine."),
        ("> quoted first\nMy answer\n> quoted\nmore", "My answer\nmore"),
        (
            "From: my colleague told me the printer is fine.",
            "From: my colleague told me the printer is fine.",
        ),
    ],
)
def test_quoted_replies_and_signatures_are_stripped(text, expected):
    assert strip_quotes(text) == expected


def test_a_message_that_is_only_a_quote_keeps_its_text():
    parsed = parsing.ParsedEmail(from_address="a@x", text="> only a quote")

    assert parsed.display_text == "> only a quote"


def test_attachments_are_stored_and_too_large_ones_recorded_as_skipped(
    api_client, tenant, settings
):
    settings.INBOUND_EMAIL_ATTACHMENT_MAX_BYTES = 1000
    raw = mime(
        sender="ana@client.example",
        to=tenant.company.support_email,
        attachments=[
            ("erro da impressora.png", "image/png", b"\x89PNG" + b"\x00" * 100),
            ("../../etc/passwd", "text/plain", b"root:x:0:0"),
            ("big.pdf", "application/pdf", b"%PDF" + b"x" * 5000),
        ],
    )

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    png, text, pdf = Attachment.objects.order_by("id")
    assert (png.filename, png.content_type, png.size, png.is_skipped) == (
        "erro da impressora.png",
        "image/png",
        104,
        False,
    )
    assert png.file.read() == b"\x89PNG" + b"\x00" * 100
    folder, order, _random, name = text.file.name.split("/")
    assert (folder, order, name, text.filename) == (
        "attachments",
        str(result["order"]),
        "passwd",
        "passwd",
    )
    assert (pdf.size, pdf.is_skipped, pdf.skip_reason, pdf.file.name) == (
        5004,
        True,
        "larger than 1000 bytes",
        "",
    )
    assert InboundEmail.objects.get().order.pk == result["order"]


def test_json_attachments_are_base64(api_client, tenant):
    payload = message(
        "ana@client.example",
        tenant.company.support_email,
        attachments=[
            {
                "filename": "foto.jpg",
                "content_type": "image/jpeg",
                "content": base64.b64encode(b"\xff\xd8jpeg").decode(),
            }
        ],
    )

    result_of(post_json(api_client, payload))

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.size, attachment.file.read()) == (
        "foto.jpg",
        6,
        b"\xff\xd8jpeg",
    )


# --- dates, NUL bytes and the readable body, as real mail sends them -----------------------

DATES = [
    ("Mon, 02 Mar 2026 10:00:00 -0000", "2026-03-02T10:00:00Z"),  # formatdate(): zone unknown
    ("Mon, 02 Mar 2026 10:00:00", "2026-03-02T10:00:00Z"),  # no zone at all
    ("2026-03-02T10:00:00", "2026-03-02T10:00:00Z"),  # ISO 8601 without an offset
    ("Mon, 02 Mar 2026 07:00:00 -0300", "2026-03-02T10:00:00Z"),
    ("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z"),
]


def _sent_at(inbound_id: int) -> str:
    sent_at = InboundEmail.objects.get(pk=inbound_id).sent_at
    return sent_at.astimezone(parsing.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_date(raw: bytes, date: str) -> bytes:
    head, body = raw.split(b"\n\n", 1)
    lines = [line for line in head.split(b"\n") if not line.startswith(b"Date:")]
    return b"\n".join([*lines, b"Date: " + date.encode()]) + b"\n\n" + body


@pytest.mark.parametrize(("date", "expected"), DATES, ids=[d[0] for d in DATES])
def test_a_raw_message_with_any_date_form_becomes_an_order(api_client, tenant, date, expected):
    raw = _with_date(mime(sender="ana@client.example", to=tenant.company.support_email), date)

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    assert _sent_at(result["inbound"]) == expected


@pytest.mark.parametrize(("date", "expected"), DATES, ids=[d[0] for d in DATES])
def test_a_json_message_with_any_date_form_becomes_an_order(api_client, tenant, date, expected):
    item = message("ana@client.example", tenant.company.support_email, date=date)

    result = result_of(post_json(api_client, item))

    assert result["status"] == "created"
    assert _sent_at(result["inbound"]) == expected


@pytest.mark.parametrize("date", ["<HR>", "Pn, 29 paX 2007 25:61:00 +0000", "31/31/2026"])
def test_an_unreadable_date_falls_back_to_the_time_of_receipt(api_client, tenant, date):
    before = parsing.datetime.now(parsing.UTC)

    result = result_of(
        post_json(
            api_client, message("ana@client.example", tenant.company.support_email, date=date)
        )
    )

    assert result["status"] == "created"
    assert InboundEmail.objects.get(pk=result["inbound"]).sent_at >= before.replace(microsecond=0)


def test_one_odd_message_never_fails_its_batch(api_client, tenant, monkeypatch):
    support = tenant.company.support_email
    real_parse = parsing.parse_date

    def parse_or_explode(value):
        if value == "explode":
            raise AttributeError("module 'django.utils.timezone' has no attribute 'utc'")
        return real_parse(value)

    monkeypatch.setattr(parsing, "parse_date", parse_or_explode)
    batch = [
        message("a@client.example", support, subject="First", date="Mon, 02 Mar 2026 10:00:00"),
        message("b@client.example", support, subject="Second", date="explode"),
        message("c@client.example", support, subject="Third", date="2026-03-02T10:00:00"),
    ]

    response = post_json(api_client, batch)

    assert response.status_code == 200
    statuses = [result["status"] for result in response.json()["results"]]
    assert statuses == ["created", "parked", "created"]
    assert sorted(Order.objects.values_list("title", flat=True)) == ["First", "Third"]


def test_nul_characters_are_stripped_from_raw_headers_and_text(api_client, tenant):
    raw = mime(
        sender="Ana <ana@client.example>",
        to=tenant.company.support_email,
        subject="Impressora",
        text="Não imprime.",
    ).replace(b"Subject: Impressora", b"Subject: Impres\x00sora")
    raw = raw.replace("Não imprime.".encode(), "Não\x00 imprime.".encode())
    assert b"\x00" in raw

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    order = Order.objects.get(pk=result["order"])
    assert (order.title, order.description) == ("Impressora", "Não imprime.")
    assert bytes(InboundEmail.objects.get().raw) == raw  # the original is kept as it came


def test_nul_characters_are_stripped_from_json_fields(api_client, tenant):
    item = message(
        "Ana\x00 <ana@client.example>",
        tenant.company.support_email,
        subject="Nobreak\x00 apitando",
        text="Faz\x00 bip.",
        headers={"X-Mailer": "Relay\x00"},
    )

    result = result_of(post_json(api_client, item))

    assert result["status"] == "created"
    order = Order.objects.get(pk=result["order"])
    assert (order.title, order.description, order.requester.name) == (
        "Nobreak apitando",
        "Faz bip.",
        "Ana",
    )


def test_a_lone_surrogate_in_json_becomes_a_replacement_character(api_client, tenant):
    support = tenant.company.support_email
    body = (
        '{"from": "ana@client.example", "to": "' + support + '",'
        ' "subject": "Tela \\ud800 azul", "text": "Travou."}'
    ).encode()

    result = result_of(post_signed(api_client, body))

    assert result["status"] == "created"
    assert Order.objects.get().title == "Tela \ufffd azul"


def _multipart(
    support: str, parts: str, boundary: str = "b1", declared: str | None = "b1"
) -> bytes:
    boundary_param = f'; boundary="{declared}"' if declared is not None else ""
    return (
        f"From: ana@client.example\r\nTo: {support}\r\nSubject: Odd body\r\n"
        f"Message-ID: <odd.{boundary}.{declared}@client.example>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/mixed{boundary_param}\r\n\r\n"
        + parts.replace("BOUNDARY", boundary)
    ).encode()


TEXT_PART = (
    "--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8{extra}\r\n{disposition}\r\n"
    "A impressora do 2º andar parou.\r\n--BOUNDARY--\r\n"
)


@pytest.mark.parametrize(
    ("extra", "disposition"),
    [
        ("", "Content-Disposition: inline; filename=message.txt\r\n"),
        ("; name=message.txt", ""),
        ("; name=message.txt", "Content-Disposition: inline\r\n"),
    ],
    ids=["inline-with-filename", "content-type-name", "both"],
)
def test_an_inline_text_part_with_a_file_name_is_the_body(api_client, tenant, extra, disposition):
    parts = TEXT_PART.format(extra=extra, disposition=disposition)
    raw = _multipart(tenant.company.support_email, parts)

    result = result_of(post_mime(api_client, raw))

    assert Order.objects.get(pk=result["order"]).description == "A impressora do 2º andar parou."
    assert not Attachment.objects.exists()


def test_a_text_part_sent_as_an_attachment_stays_an_attachment(api_client, tenant):
    parts = (
        "--BOUNDARY\r\nContent-Type: text/plain\r\n\r\nVeja o log.\r\n"
        "--BOUNDARY\r\nContent-Type: text/plain\r\n"
        "Content-Disposition: attachment; filename=log.txt\r\n\r\nerro 42\r\n--BOUNDARY--\r\n"
    )

    result = result_of(post_mime(api_client, _multipart(tenant.company.support_email, parts)))

    assert Order.objects.get(pk=result["order"]).description == "Veja o log."
    assert Attachment.objects.get().filename == "log.txt"


def test_a_forwarded_message_alone_gives_its_text(api_client, tenant):
    inner = mime(
        sender="boss@client.example",
        to="ana@client.example",
        subject="Inner",
        text="O servidor caiu às 3h.",
    )
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    outer = EmailMessage()
    outer["From"], outer["To"] = "ana@client.example", tenant.company.support_email
    outer["Subject"] = "Fwd: Inner"
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))

    result = result_of(post_mime(api_client, outer.as_bytes()))

    assert Order.objects.get(pk=result["order"]).description == "O servidor caiu às 3h."
    assert Attachment.objects.get().content_type == "message/rfc822"


@pytest.mark.parametrize(
    ("boundary", "declared"), [("b1", None), ("b1", "other")], ids=["missing", "wrong"]
)
def test_a_multipart_whose_boundary_is_missing_or_wrong_keeps_its_raw_body(
    api_client, tenant, boundary, declared
):
    parts = TEXT_PART.format(extra="", disposition="")
    raw = _multipart(tenant.company.support_email, parts, boundary=boundary, declared=declared)

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    assert "A impressora do 2º andar parou." in Order.objects.get(pk=result["order"]).description


def test_a_bcc_to_support_is_routed_by_the_mtas_delivered_to(api_client, tenant):
    raw = (
        b"Delivered-To: "
        + tenant.company.support_email.encode()
        + b"\r\n"
        + mime(sender="ana@client.example", to="colleague@client.example")
    )

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    assert Order.objects.get(pk=result["order"]).company == tenant.company


def test_utf8_labelled_as_latin1_is_read_as_utf8():
    raw = (
        "From: ana@client.example\r\nTo: s@x.example\r\nSubject: x\r\n"
        'Content-Type: text/plain; charset="iso-8859-1"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        "Ação DISCOVER® já\r\n"
    ).encode()

    assert parse_mime(raw).text.strip() == "Ação DISCOVER® já"


def test_real_latin1_stays_latin1():
    raw = (
        b"From: ana@client.example\r\nTo: s@x.example\r\nSubject: x\r\n"
        b'Content-Type: text/plain; charset="iso-8859-1"\r\n\r\n' + "Ação já".encode("latin-1")
    )

    assert parse_mime(raw).text.strip() == "Ação já"


def test_an_8bit_header_is_read_in_the_charset_the_body_declares():
    raw = (
        b"From: ana@client.example\r\nTo: s@x.example\r\nSubject: "
        + "Принтер".encode("koi8-r")
        + b'\r\nContent-Type: text/plain; charset="koi8-r"\r\n\r\n'
        + "Не печатает".encode("koi8-r")
    )

    parsed = parse_mime(raw)

    assert (parsed.subject, parsed.text) == ("Принтер", "Не печатает")


def test_a_broken_header_line_above_from_is_skipped_as_mail_clients_do(api_client, tenant):
    raw = (
        "Received: by mx.client.example; Mon, 02 Mar 2026 10:00:00 +0000\r\n"
        "quite Delivered-To: nobody\r\n"
        "From\r\n"
        f"From: Ana <ana@client.example>\r\nTo: {tenant.company.support_email}\r\n"
        "Subject: Monitor piscando\r\n\r\nDesde ontem.\r\n"
    ).encode()

    result = result_of(post_mime(api_client, raw))

    assert result["status"] == "created"
    order = Order.objects.get(pk=result["order"])
    assert (order.requester.email, order.title, order.description) == (
        "ana@client.example",
        "Monitor piscando",
        "Desde ontem.",
    )


def test_a_raw_message_sent_as_octet_stream_is_read_as_mime(api_client, tenant):
    raw = mime(sender="ana@client.example", to=tenant.company.support_email, subject="Bytes")

    result = result_of(post_signed(api_client, raw, content_type="application/octet-stream"))

    assert result["status"] == "created"
    assert Order.objects.get(pk=result["order"]).title == "Bytes"
