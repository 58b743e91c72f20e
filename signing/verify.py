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

_SUBINDIC_TEXT = {
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
}


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

    def to_dict(self):
        return asdict(self)


@dataclass
class VerificationReport:
    """All signatures of a document; `ok` when every one is intact, trusted,
    and nothing was changed after it beyond what it allows."""
    signatures: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # document-level problems

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def to_dict(self):
        return {"ok": self.ok, "problems": list(self.problems),
                "signatures": [s.to_dict() for s in self.signatures]}

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
        report.problems.append("the document has no signature")
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
        return None, hard, f"cannot be validated: {' '.join(str(exc).split())}"
    return status, hard, None


async def _verify_one(sig, roots, dss, allow_fetching):
    cert = sig.signer_cert
    subject = cert.subject.native
    claimed = sig.self_reported_timestamp
    status, hard, error = await _validate(sig, roots, dss, allow_fetching)
    validated_at = "now"
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
                validated_at = f"{vietnam_time(tst_time)} (the timestamp's time)"
    if validated_at == "now":
        validated_at = f"{vietnam_time(datetime.datetime.now(datetime.timezone.utc))} (now)"

    if status is None:
        return SignatureReport(
            field_name=sig.field_name, signer=subject.get("common_name", ""),
            signer_subject=cert.subject.human_friendly, issuer=cert.issuer.human_friendly,
            signing_time=_fmt(claimed), timestamp_time=None, timestamp_ok=None,
            intact=False, trusted=False, chain=[], trust_problem=error,
            validated_at=validated_at, revocation="not checked", coverage="UNCLEAR",
            modification_level=None, changes_after="unknown", docmdp_ok=None,
            level="none", ok=False)

    intact = bool(status.intact and status.valid)
    chain = [c.subject.native.get("common_name", c.subject.human_friendly)
             for c in reversed(list(status.validation_path))] if status.validation_path else []
    trust_problem = None if status.trusted else _trust_problem(status, cert)
    mod_level = status.modification_level
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    changes, changes_ok = _describe_changes(status)
    level = "B-B"
    if status.timestamp_validity is not None:
        level = "B-T"
        if dss is not None and (dss.crls or dss.ocsps or dss.certs):
            level = "B-LT"
    ok = bool(intact and status.trusted and (tst_ok is not False) and changes_ok
              and status.seed_value_ok)
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
        trust_problem=trust_problem,
        validated_at=validated_at,
        revocation=_revocation(status, cert, hard),
        coverage=coverage,
        modification_level=mod_level.name if mod_level is not None else None,
        changes_after=changes,
        docmdp_ok=status.docmdp_ok,
        level=level,
        ok=ok,
    )


def _describe_changes(status):
    """(readable summary, acceptable?) of what happened after the signature."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "nothing: the signature covers the whole file", True
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return "the signature does not cover its whole revision (non-standard byte range)", False
    diff = status.diff_result
    if diff is None:
        return "later revisions exist; their analysis was not possible", False
    if not isinstance(diff, DiffResult):
        detail = " ".join(str(diff).split())
        return ("the document was changed after signing in a way no signature allows "
                f"(detail: {detail})"), False
    level = diff.modification_level
    fields = ", ".join(sorted(diff.changed_form_fields)) or "none"
    if level == ModificationLevel.NONE:
        text = "later revisions change nothing that is shown"
    elif level == ModificationLevel.LTA_UPDATES:
        text = "only validation data / document timestamps were added"
    elif level == ModificationLevel.FORM_FILLING:
        text = f"later signatures or form filling only (fields: {fields})"
    elif level == ModificationLevel.ANNOTATIONS:
        text = f"annotations were added or changed (fields: {fields})"
    else:
        text = "the document content was changed after signing"
    acceptable = level <= ModificationLevel.FORM_FILLING and status.docmdp_ok is not False
    if not acceptable and level != ModificationLevel.OTHER:
        text += " — not allowed by this signature"
    return text, acceptable


def _trust_problem(status, cert):
    indic = status.trust_problem_indic
    name = getattr(indic, "name", None)
    if not (status.intact and status.valid):
        return _SUBINDIC_TEXT["HASH_FAILURE"] if not status.intact else _SUBINDIC_TEXT["SIG_CRYPTO_FAILURE"]
    if status.revoked:
        d = status.revocation_details
        return f"revoked on {vietnam_time(d.revocation_date)} ({d.revocation_reason.native})"
    text = _SUBINDIC_TEXT.get(name, name or "no valid chain to a trusted root")
    validity = cert["tbs_certificate"]["validity"]
    nb, na = validity["not_before"].native, validity["not_after"].native
    if name in ("OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED", "NOT_YET_VALID"):
        text += f" (certificate valid {vietnam_time(nb)} to {vietnam_time(na)})"
    elif name == "NO_CERTIFICATE_CHAIN_FOUND":
        text += f" (issuer: {cert.issuer.native.get('common_name', cert.issuer.human_friendly)})"
    return text


def _revocation(status, cert, hard):
    if status.revoked:
        d = status.revocation_details
        return f"revoked on {vietnam_time(d.revocation_date)} ({d.revocation_reason.native})"
    if not _has_revinfo_pointers(cert):
        return "not checked: the certificate names no CRL or OCSP location"
    if not hard:
        return "not checked: no revocation information embedded and fetching is off"
    if status.trusted:
        return "good (checked against CRL/OCSP)"
    return "unknown: revocation information could not be obtained"


def _fmt(dt):
    return vietnam_time(dt) if dt is not None else None
