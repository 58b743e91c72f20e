"""Checking the signatures of a PDF: integrity, chain to the configured trust
anchors, validity at signing time (the timestamp's time when there is a
trusted one), revocation where information is available (embedded DSS, or
fetched when allowed), and what changed after each signature.

`verify_pdf` returns a `VerificationReport` (dataclasses; `to_dict()` is
JSON-able, `render_text()` is for people).
"""
import asyncio
import datetime
import io
from dataclasses import asdict, dataclass, field

from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .asyncsafe import callable_anywhere
from .appearances import vietnam_time
from .errors import NotAPdfError
from .normalize import ensure_pdf
from .trust import load_trust_roots

# Every sentence of a report has a message id and parameters (``messages``
# in the report, for the web views to translate) besides its English text
# (the fields, for the `kho` command and logs). The templates use ${name}.
MESSAGES = {
    "NO_CERTIFICATE_CHAIN_FOUND": "no chain to a trusted root: the issuer is not among the trust anchors",
    "OUT_OF_BOUNDS_NO_POE": "the certificate was not valid (expired or not yet valid) at the validation time",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the certificate was not valid (expired or not yet valid) at the validation time",
    "EXPIRED": "the certificate has expired",
    "NOT_YET_VALID": "the certificate was not yet valid",
    "REVOKED": "the certificate is revoked",
    "REVOKED_NO_POE": "the certificate is revoked",
    "REVOKED_CA_NO_POE": "a CA certificate in the chain is revoked",
    "TRY_LATER": "revocation information is not available",
    "CHAIN_CONSTRAINTS_FAILURE": "the chain breaks a constraint (key usage, CA flags)",
    "SIG_CONSTRAINTS_FAILURE": "the signature does not meet the key usage constraints",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "a weak or forbidden algorithm was used",
    "FORMAT_FAILURE": "the signature is malformed",
    "HASH_FAILURE": "the signed data does not match (document altered)",
    "SIG_CRYPTO_FAILURE": "the cryptographic signature is invalid",
    "trust.unknown": "no valid chain to a trusted root",
    "trust.other": "not trusted (${reason})",
    "trust.valid_between": "(certificate valid ${not_before} to ${not_after})",
    "trust.issuer": "(issuer: ${issuer})",
    "revoked_on": "revoked on ${revocation_date} (${reason})",
    "cannot_validate": "cannot be validated: ${detail}",
    "revocation.good": "good (checked against CRL/OCSP)",
    "revocation.no_pointers": "not checked: the certificate names no CRL or OCSP location",
    "revocation.not_fetched": "not checked: no revocation information embedded and fetching is off",
    "revocation.unknown": "unknown: revocation information could not be obtained",
    "revocation.not_checked": "not checked",
    "changes.none": "nothing: the signature covers the whole file",
    "changes.altered": "the signed content itself was altered after signing",
    "changes.byte_range": "the signature does not cover its whole revision (non-standard byte range)",
    "changes.no_analysis": "later revisions exist; their analysis was not possible",
    "changes.disallowed": "the document was changed after signing in a way no signature allows (detail: ${detail})",
    "changes.nothing_shown": "later revisions change nothing that is shown",
    "changes.validation_data": "only validation data / document timestamps were added",
    "changes.form_filling": "later signatures or form filling only (fields: ${fields})",
    "changes.annotations": "annotations were added or changed (fields: ${fields})",
    "changes.content": "the document content was changed after signing",
    "changes.not_allowed": "— not allowed by this signature",
    "changes.unknown": "unknown",
    "checked.timestamp": "${time} (the timestamp's time)",
    "checked.now": "${time} (now)",
    "problem.unsigned": "the document has no signature",
}
_SUBINDIC_TEXT = {k: v for k, v in MESSAGES.items() if k.isupper()}


def message(message_id, **params):
    """One sentence of a report: {"id", "params"} (params are strings)."""
    return {"id": message_id, "params": {k: str(v) for k, v in params.items()}}


def message_text(parts):
    """The English text of a message or a list of messages (joined by a space)."""
    from string import Template
    if isinstance(parts, dict):
        parts = [parts]
    return " ".join(Template(MESSAGES.get(p["id"], p["id"])).safe_substitute(p.get("params") or {})
                    for p in parts)


@dataclass
class SignatureReport:
    """What we know about one signature."""
    field_name: str
    signer: str                      # subject CN of the signing certificate
    signer_subject: str
    issuer: str
    signing_time: str | None         # claimed by the signer (/M), ISO 8601 +07:00
    timestamp_time: str | None       # from a trusted RFC 3161 token, if any
    timestamp_ok: bool | None        # None: no timestamp
    intact: bool                     # the signed bytes are unchanged and the signature verifies
    trusted: bool                    # a valid chain to a trust anchor at the validation time
    chain: list                      # subjects from the signer up to the anchor (empty if none)
    trust_problem: str | None        # why not trusted
    validated_at: str                # the time the chain was checked at
    revocation: str                  # 'good' / 'revoked: …' / 'not checked: …'
    coverage: str                    # ENTIRE_FILE / ENTIRE_REVISION / …
    modification_level: str | None   # NONE / LTA_UPDATES / FORM_FILLING / ANNOTATIONS / OTHER
    changes_after: str               # readable summary of what changed after it
    docmdp_ok: bool | None
    level: str                       # PAdES level reached: B-B, B-T, B-LT
    ok: bool
    changes_ok: bool = False         # what changed after it is allowed by it
    messages: dict = field(default_factory=dict)   # field -> [message()], for translation

    def to_dict(self):
        return asdict(self)


@dataclass
class VerificationReport:
    """All signatures of a document; `ok` when every one is intact, trusted,
    and nothing was changed after it beyond what it allows."""
    signatures: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # document-level problems
    problem_messages: list = field(default_factory=list)   # the same, as message()s

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def to_dict(self):
        return {"ok": self.ok, "problems": list(self.problems),
                "problem_messages": list(self.problem_messages),
                "verdict": verdict_of(self), "signatures": [s.to_dict() for s in self.signatures]}

    def render_text(self) -> str:
        lines = []
        verdict = "VALID — hợp lệ" if self.ok else "NOT VALID — không hợp lệ"
        lines.append(f"Document: {verdict}; {len(self.signatures)} signature(s)")
        for problem in self.problems:
            lines.append(f"  ! {problem}")
        for i, s in enumerate(self.signatures, 1):
            lines.append("")
            lines.append(f"Signature {i}: {s.field_name} — {'OK' if s.ok else 'FAILED'} ({s.level})")
            lines.append(f"  signer:        {s.signer}  (issuer: {s.issuer})")
            lines.append(f"  signing time:  {s.signing_time or 'not stated'} (claimed by the signer)")
            if s.timestamp_time:
                state = "valid" if s.timestamp_ok else "NOT valid"
                lines.append(f"  timestamp:     {s.timestamp_time} ({state})")
            lines.append(f"  integrity:     {'intact' if s.intact else 'BROKEN: the signed bytes were altered'}")
            if s.trusted:
                lines.append(f"  trust:         trusted, chain: {' → '.join(s.chain)}")
            else:
                lines.append(f"  trust:         NOT trusted: {s.trust_problem}")
            lines.append(f"  checked at:    {s.validated_at}")
            lines.append(f"  revocation:    {s.revocation}")
            lines.append(f"  after signing: {s.changes_after}")
        return "\n".join(lines)


@callable_anywhere
def verify_pdf(pdf_bytes: bytes, trust_roots=(), *, allow_fetching=False) -> VerificationReport:
    """Check every signature of `pdf_bytes` against `trust_roots` (paths,
    bytes or certificates). NotAPdfError if it is not a readable PDF.
    `allow_fetching`: fetch CRLs/OCSP over the network when not embedded."""
    ensure_pdf(pdf_bytes)
    roots = load_trust_roots(trust_roots)
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf_bytes)), strict=False)
        sigs = list(reader.embedded_regular_signatures)
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            dss = None
    except (PdfReadError, KeyError, ValueError, TypeError) as exc:
        raise NotAPdfError(f"the PDF cannot be read: {' '.join(str(exc).split())}") from None
    report = VerificationReport()
    if not sigs:
        report.problem_messages.append(message("problem.unsigned"))
        report.problems.append(message_text(report.problem_messages[-1]))
        return report
    return asyncio.run(_verify_all(sigs, roots, dss, allow_fetching, report))


async def _verify_all(sigs, roots, dss, allow_fetching, report):
    for sig in sigs:
        report.signatures.append(await _verify_one(sig, roots, dss, allow_fetching))
    return report


def _context(roots, dss, allow_fetching, moment=None, hard=False):
    kwargs = dict(trust_roots=roots, allow_fetching=allow_fetching,
                  revocation_mode="hard-fail" if hard else "soft-fail")
    if moment is not None:
        kwargs.update(moment=moment, retroactive_revinfo=True)
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


def _has_revinfo_pointers(cert):
    return cert.crl_distribution_points_value is not None or bool(cert.ocsp_urls)


async def _validate(sig, roots, dss, allow_fetching, moment=None):
    cert = sig.signer_cert
    embedded = dss is not None and (dss.crls or dss.ocsps)
    hard = _has_revinfo_pointers(cert) and (allow_fetching or bool(embedded))
    vc = _context(roots, dss, allow_fetching, moment, hard)
    ts_vc = _context(roots, dss, allow_fetching, None, False)
    try:
        status = await async_validate_pdf_signature(sig, vc, ts_validation_context=ts_vc)
    except Exception as exc:  # malformed CMS, unsupported algorithm, …
        return None, hard, [message("cannot_validate", detail=" ".join(str(exc).split()))]
    return status, hard, None


async def _verify_one(sig, roots, dss, allow_fetching):
    cert = sig.signer_cert
    subject = cert.subject.native
    claimed = sig.self_reported_timestamp
    status, hard, error = await _validate(sig, roots, dss, allow_fetching)
    validated_at = None
    tst_time = tst_ok = None
    if status is not None and status.timestamp_validity is not None:
        tsv = status.timestamp_validity
        tst_ok = bool(tsv.intact and tsv.valid and tsv.trusted)
        tst_time = tsv.timestamp
        if tst_ok and not status.trusted and status.intact and status.valid:
            # the chain may have been fine when the timestamp proves it was signed
            again, hard, _ = await _validate(sig, roots, dss, allow_fetching, moment=tst_time)
            if again is not None and again.trusted:
                status = again
                validated_at = [message("checked.timestamp", time=vietnam_time(tst_time))]
    if validated_at is None:
        validated_at = [message("checked.now",
                                time=vietnam_time(datetime.datetime.now(datetime.timezone.utc)))]

    if status is None:
        messages = {"trust_problem": error, "validated_at": validated_at,
                    "revocation": [message("revocation.not_checked")],
                    "changes_after": [message("changes.unknown")]}
        return SignatureReport(
            field_name=sig.field_name, signer=subject.get("common_name", ""),
            signer_subject=cert.subject.human_friendly, issuer=cert.issuer.human_friendly,
            signing_time=_fmt(claimed), timestamp_time=None, timestamp_ok=None,
            intact=False, trusted=False, chain=[], trust_problem=message_text(error),
            validated_at=message_text(validated_at), revocation="not checked", coverage="UNCLEAR",
            modification_level=None, changes_after="unknown", docmdp_ok=None,
            level="none", ok=False, changes_ok=False, messages=messages)

    intact = bool(status.intact and status.valid)
    chain = [c.subject.native.get("common_name", c.subject.human_friendly)
             for c in reversed(list(status.validation_path))] if status.validation_path else []
    trust_problem = None if status.trusted else _trust_problem(status, cert)
    mod_level = status.modification_level
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    changes, changes_ok = _describe_changes(status)
    if not intact:       # the coverage of altered bytes says nothing: the content itself changed
        changes, changes_ok = [message("changes.altered")], False
    level = "B-B"
    if status.timestamp_validity is not None:
        level = "B-T"
        if dss is not None and (dss.crls or dss.ocsps or dss.certs):
            level = "B-LT"
    ok = bool(intact and status.trusted and (tst_ok is not False) and changes_ok
              and status.seed_value_ok)
    revocation = _revocation(status, cert, hard)
    messages = {"trust_problem": trust_problem or [], "validated_at": validated_at,
                "revocation": revocation, "changes_after": changes}
    return SignatureReport(
        field_name=sig.field_name,
        signer=subject.get("common_name", cert.subject.human_friendly),
        signer_subject=cert.subject.human_friendly,
        issuer=cert.issuer.native.get("common_name", cert.issuer.human_friendly),
        signing_time=_fmt(claimed),
        timestamp_time=_fmt(tst_time),
        timestamp_ok=tst_ok,
        intact=intact,
        trusted=bool(status.trusted),
        chain=chain,
        trust_problem=message_text(trust_problem) if trust_problem else None,
        validated_at=message_text(validated_at),
        revocation=message_text(revocation),
        coverage=coverage,
        modification_level=mod_level.name if mod_level is not None else None,
        changes_after=message_text(changes),
        docmdp_ok=status.docmdp_ok,
        level=level,
        ok=ok,
        changes_ok=changes_ok,
        messages=messages,
    )


def _describe_changes(status):
    """([message()], acceptable?) of what happened after the signature."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return [message("changes.none")], True
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return [message("changes.byte_range")], False
    diff = status.diff_result
    if diff is None:
        return [message("changes.no_analysis")], False
    if not isinstance(diff, DiffResult):
        return [message("changes.disallowed", detail=" ".join(str(diff).split()))], False
    level = diff.modification_level
    fields = ", ".join(sorted(diff.changed_form_fields)) or "-"
    if level == ModificationLevel.NONE:
        text = [message("changes.nothing_shown")]
    elif level == ModificationLevel.LTA_UPDATES:
        text = [message("changes.validation_data")]
    elif level == ModificationLevel.FORM_FILLING:
        text = [message("changes.form_filling", fields=fields)]
    elif level == ModificationLevel.ANNOTATIONS:
        text = [message("changes.annotations", fields=fields)]
    else:
        text = [message("changes.content")]
    acceptable = level <= ModificationLevel.FORM_FILLING and status.docmdp_ok is not False
    if not acceptable and level != ModificationLevel.OTHER:
        text.append(message("changes.not_allowed"))
    return text, acceptable


def _trust_problem(status, cert):
    indic = status.trust_problem_indic
    name = getattr(indic, "name", None)
    if not (status.intact and status.valid):
        return [message("HASH_FAILURE" if not status.intact else "SIG_CRYPTO_FAILURE")]
    if status.revoked:
        d = status.revocation_details
        return [message("revoked_on", revocation_date=vietnam_time(d.revocation_date),
                        reason=d.revocation_reason.native)]
    if name in MESSAGES and name.isupper():
        text = [message(name)]
    elif name:
        text = [message("trust.other", reason=name)]
    else:
        text = [message("trust.unknown")]
    validity = cert["tbs_certificate"]["validity"]
    nb, na = validity["not_before"].native, validity["not_after"].native
    if name in ("OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED", "NOT_YET_VALID"):
        text.append(message("trust.valid_between", not_before=vietnam_time(nb), not_after=vietnam_time(na)))
    elif name == "NO_CERTIFICATE_CHAIN_FOUND":
        text.append(message("trust.issuer",
                            issuer=cert.issuer.native.get("common_name", cert.issuer.human_friendly)))
    return text


def _revocation(status, cert, hard):
    if status.revoked:
        d = status.revocation_details
        return [message("revoked_on", revocation_date=vietnam_time(d.revocation_date),
                        reason=d.revocation_reason.native)]
    if not _has_revinfo_pointers(cert):
        return [message("revocation.no_pointers")]
    if not hard:
        return [message("revocation.not_fetched")]
    if status.trusted:
        return [message("revocation.good")]
    return [message("revocation.unknown")]


GENUINE, CHANGED, UNTRUSTED, UNSIGNED = "genuine", "changed", "untrusted", "unsigned"


def verdict_of(report):
    """One plain verdict for a report (a VerificationReport or its dict):
    'genuine' (every signature intact, trusted, nothing disallowed after it),
    'changed' (a signature's bytes were altered, or the document was changed
    after it in a way it does not allow), 'untrusted' (intact and unchanged,
    but a signer is not trusted, revoked, or a timestamp fails), 'unsigned'."""
    if not isinstance(report, dict):
        report = {"ok": report.ok, "signatures": [s.to_dict() for s in report.signatures]}
    signatures = report.get("signatures") or []
    if not signatures:
        return UNSIGNED
    if report.get("ok"):
        return GENUINE
    for s in signatures:
        if not s.get("intact"):
            return CHANGED
        changes_ok = s.get("changes_ok")
        if changes_ok is None:      # a report stored before changes_ok was kept
            changes_ok = s.get("coverage") == "ENTIRE_FILE" or s.get("modification_level") in (
                "NONE", "LTA_UPDATES", "FORM_FILLING")
        if not changes_ok:
            return CHANGED
    return UNTRUSTED


def _fmt(dt):
    return vietnam_time(dt) if dt is not None else None
