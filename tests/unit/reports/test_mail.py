"""SMTP delivery against a real SMTP server on loopback (aiosmtpd): STARTTLS, a login whose
password comes from the environment, readable refusals that never show the password."""

import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult

from hub.config.settings import SmtpSettings
from hub.reports.mail import DeliveryError, SmtpDelivery, describe_period, report_message
from tests.reports_support import smtp_server, tiny_pdf
from tests.support import free_port

JOB = {"title": "Digest", "parameters": {"period": "2026-W48", "period_start": "2026-11-23",
                                         "period_end": "2026-11-30"}}


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"agora" and auth_data.password == b"s3cret-password"
    return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself


@pytest.fixture
def secure_smtp(tls_context):
    controller = smtp_server(free_port(), tls_context=tls_context, require_starttls=True,
                             auth_required=True, authenticator=check_login)
    yield controller
    controller.stop()


def message(tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(tiny_pdf(["hello"]))
    return report_message("Agora <agora@example.org>", "elu-rivemont@example.org", "fr", JOB,
                          None, pdf.read_bytes(), "digest-2026-W48.pdf")


def delivery(port, environ=None, **smtp) -> SmtpDelivery:
    settings = SmtpSettings(host="127.0.0.1", port=port, **smtp)
    return SmtpDelivery(settings, environ or {})


def test_starttls_and_a_login_whose_password_is_read_from_the_environment(tmp_path, secure_smtp):
    sender = delivery(secure_smtp.port, {"AGORA_SMTP_PASSWORD": "s3cret-password"},
                      security="starttls", username="agora", verify_tls=False)
    sender.send(message(tmp_path))
    [received] = secure_smtp.mailbox.messages
    assert received["To"] == "elu-rivemont@example.org"
    assert [n for n, _ in secure_smtp.mailbox.attachments(received)] == ["digest-2026-W48.pdf"]


def test_a_wrong_password_is_refused_in_words_without_the_password(tmp_path, secure_smtp):
    sender = delivery(secure_smtp.port, {"AGORA_SMTP_PASSWORD": "not-it"}, security="starttls",
                      username="agora", verify_tls=False)
    with pytest.raises(DeliveryError, match="refused the login of agora") as info:
        sender.send(message(tmp_path))
    assert "not-it" not in str(info.value)


def test_a_login_without_its_password_variable_names_the_variable(tmp_path, secure_smtp):
    sender = delivery(secure_smtp.port, {}, security="starttls", username="agora",
                      verify_tls=False, password_env="MAIL_SECRET")
    with pytest.raises(DeliveryError, match="MAIL_SECRET is empty"):
        sender.send(message(tmp_path))


def test_an_unverified_certificate_is_refused_by_default(tmp_path, secure_smtp):
    with pytest.raises(DeliveryError, match="SSLCertVerificationError|certificate"):
        delivery(secure_smtp.port, security="starttls").send(message(tmp_path))


def test_starttls_is_required_when_asked_for(tmp_path):
    plain = smtp_server(free_port())
    try:
        with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
            delivery(plain.port, security="starttls").send(message(tmp_path))
        assert not plain.mailbox.messages
    finally:
        plain.stop()


def test_an_unreachable_server_is_a_readable_delivery_error(tmp_path):
    with pytest.raises(DeliveryError, match=r"cannot deliver through 127.0.0.1:\d+"):
        delivery(free_port(), security="none", timeout_seconds=2).send(message(tmp_path))


def test_periods_read_naturally_in_both_languages():
    assert describe_period({"period": "2026-W48"}, "en") == (
        "week 48 of 2026, 23 to 29 November 2026")
    assert describe_period({"period": "2026-W48"}, "fr") == (
        "la semaine 48 de 2026, du 23 au 29 novembre 2026")
    assert describe_period({"period": "2026-11"}, "fr") == "novembre 2026"
    assert describe_period({"period": "2026-11-29"}, "fr") == "le 29 novembre 2026"
