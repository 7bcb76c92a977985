"""The quotas (../quotas.py) applied to requests: who the caller is, and the 429 answer.

base.DatasetsHandler.prepare calls :func:`refused_request` once the caller is authenticated;
the export handler calls :func:`refused_export` before it streams, counts what it sends on
``handler.export_slot`` and calls :func:`release_export` when it finishes or the client goes
away. The application setting ``quotas`` holds the one :class:`~..quotas.Quotas` of the
process; without it nothing is limited.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..quotas import ExportSlot, Refusal

STATUS = 429


def caller_key(user_model: Mapping) -> str:
    """``user:<name>``, or ``service:<name>`` for a service's token (its own allowance)."""
    return f"{user_model.get('kind') or 'user'}:{user_model.get('name')}"


def answer(handler, refusal: Refusal) -> None:
    """429 with Retry-After and the usual JSON error, audited with the quota as reason."""
    handler.audit_action = handler.audit_action or "request"
    handler.audit_fields["reason"] = f"quota:{refusal.quota}"
    handler.set_header("Retry-After", str(refusal.retry_after))
    handler.write_json({"error": refusal.message, "quota": refusal.quota,
                        "retry_after": refusal.retry_after}, status=STATUS)


def refused_request(handler) -> bool:
    """True (and the 429 written) when this request is over the caller's request quota."""
    quotas = handler.settings.get("quotas")
    refusal = quotas and quotas.admit_request(caller_key(handler.user_model))
    if refusal:
        answer(handler, refusal)
    return bool(refusal)


def refused_export(handler) -> bool:
    """Take an export slot (``handler.export_slot``), or write the 429 and return True."""
    quotas = handler.settings.get("quotas")
    if quotas is None:
        return False
    slot = quotas.start_export(caller_key(handler.user_model))
    if isinstance(slot, Refusal):
        answer(handler, slot)
        return True
    handler.export_slot = slot
    return False


def count_sent(handler, count: int) -> None:
    slot: ExportSlot | None = getattr(handler, "export_slot", None)
    if slot is not None:
        slot.sent(count)


def release_export(handler) -> None:
    """Give the slot back (idempotent: on_finish and on_connection_close both call it)."""
    slot: ExportSlot | None = getattr(handler, "export_slot", None)
    if slot is not None:
        slot.release()
