"""Delivery of reports and failure notices by e-mail, in the recipient's language (fr, en).

:class:`Delivery` is what the scheduler calls (``send(message)``, in a thread);
:class:`SmtpDelivery`, the default, talks to ``reports.smtp`` (none / STARTTLS / TLS, a login
whose password is read from the variable ``reports.smtp.password_env`` names, never from the
settings). Another transport subclasses :class:`Delivery` and is named in
``reports.delivery_class``. Messages are built here too: :func:`report_message` (the PDF
attached) and :func:`failure_notice` (to the schedule's owner: what failed, in words; no
traceback, no PDF).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .period import PeriodError, parse_period

TEXTS = {
    "fr": {
        "subject": "{title} — {period}",
        "body": "Bonjour,\n\nVeuillez trouver ci-joint le rapport « {title} » pour {period}, "
                "préparé {rights}.\n\nCe message est envoyé automatiquement par Agora ; les "
                "rapports précédents se retrouvent dans le portail.\n",
        "own_rights": "avec vos droits d'accès aux données",
        "owner_rights": "avec les droits d'accès de {owner}",
        "failed_subject": "Échec du rapport « {title} » ({period})",
        "failed_body": "Bonjour,\n\nLe rapport « {title} » pour {period}, destiné à "
                       "{recipient}, n'a pas pu être produit après {attempts} tentative(s).\n\n"
                       "Cause : {error}\n\nAucun PDF n'a été envoyé pour ce destinataire. "
                       "L'historique du planning le montre (agora report history {schedule}).\n",
    },
    "en": {
        "subject": "{title} — {period}",
        "body": "Hello,\n\nPlease find attached the report “{title}” for {period}, prepared "
                "{rights}.\n\nThis message is sent automatically by Agora; earlier reports "
                "are in the portal.\n",
        "own_rights": "with your own data access rights",
        "owner_rights": "with the data access rights of {owner}",
        "failed_subject": "Report “{title}” failed ({period})",
        "failed_body": "Hello,\n\nThe report “{title}” for {period}, meant for {recipient}, "
                       "could not be produced after {attempts} attempt(s).\n\nCause: {error}\n\n"
                       "No PDF was sent to this recipient. The schedule's history shows it "
                       "(agora report history {schedule}).\n",
    },
}


class DeliveryError(Exception):
    """A message could not be handed over; the text says why, never a secret."""


def texts(language: str) -> dict:
    return TEXTS.get(language, TEXTS["fr"])


def describe_period(parameters: Mapping, language: str) -> str:
    """'la semaine 48 de 2026, du 23 au 29 novembre 2026', from a run's `period` parameter
    (the label itself when it is not one)."""
    label = str(parameters.get("period", ""))
    try:
        period = parse_period(label)
    except PeriodError:
        return label
    words = period.words(language)
    if language != "fr":
        return words
    return {"week": "la " + words, "day": "le " + words}.get(period.kind, words)


def plain_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="agora.invalid")
    message.set_content(body)
    return message


def report_message(sender: str, to: str, language: str, job: dict, owner: str | None,
                   pdf: bytes, attachment_name: str) -> EmailMessage:
    """The PDF (its bytes) for one recipient; `owner` set when it was built with the owner's
    rights."""
    words = texts(language)
    period = describe_period(job.get("parameters", {}), language)
    rights = words["owner_rights"].format(owner=owner) if owner else words["own_rights"]
    message = plain_message(sender, to, words["subject"].format(title=job["title"], period=period),
                       words["body"].format(title=job["title"], period=period, rights=rights))
    message.add_attachment(pdf, maintype="application", subtype="pdf",
                           filename=attachment_name)
    return message


def failure_notice(sender: str, to: str, language: str, run) -> EmailMessage:
    """To the owner: which run failed and why, in words (the run's recorded error)."""
    words = texts(language)
    period = describe_period(run.job.get("parameters", {}), language)
    fields = {"title": run.job["title"], "period": period, "recipient": run.recipient,
              "attempts": run.attempts, "error": run.error or "?", "schedule": run.schedule}
    return plain_message(sender, to, words["failed_subject"].format(**fields),
                    words["failed_body"].format(**fields))


class Delivery:
    """How messages leave Agora. Subclasses implement :meth:`send`; it runs in a thread and
    raises :class:`DeliveryError` with a readable reason."""

    def __init__(self, smtp, environ: Mapping[str, str]):
        self.smtp = smtp
        self.environ = environ

    @property
    def sender(self) -> str:
        return self.smtp.from_address

    @property
    def enabled(self) -> bool:
        """False when nothing can be sent (then runs are archived only)."""
        return True

    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError


class SmtpDelivery(Delivery):
    """SMTP per ``reports.smtp``: one connection per message (reports are few and large)."""

    @property
    def enabled(self) -> bool:
        return bool(self.smtp.host)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.smtp.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                    context=self._tls())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        if s.security == "starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                client.quit()
                raise DeliveryError(f"{s.host}:{s.port} does not offer STARTTLS; set "
                                    "reports.smtp.security to tls (port 465) or none")
            client.starttls(context=self._tls())
        return client

    def _login(self, client: smtplib.SMTP) -> None:
        if self.smtp.username:
            password = self.environ.get(self.smtp.password_env, "")
            if not password:
                raise DeliveryError(f"reports.smtp.username is set but "
                                    f"{self.smtp.password_env} is empty")
            client.login(self.smtp.username, password)

    def send(self, message: EmailMessage) -> None:
        where = f"{self.smtp.host}:{self.smtp.port}"
        try:
            with self._connect() as client:
                self._login(client)
                client.send_message(message)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(f"{where} refused the login of {self.smtp.username}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"{where} refused {', '.join(exc.recipients)}") from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"cannot deliver through {where}: "
                                f"{type(exc).__name__}: {exc}") from None
