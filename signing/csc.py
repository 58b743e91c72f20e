"""Remote signing through a Cloud Signature Consortium (CSC API v1) service:
the officer's key is kept by a licensed provider; Kho sends the hash, the
officer authorizes it (PIN and/or OTP, passed through, never stored), and
Kho embeds the signature. Built on pyhanko's CSC signer.

    CscService(url, credential_id, access_token=None, api_ver="v1")
    csc_sign_pdf(pdf, service, pin=…, otp=…, profile=…, tsa_url=…, accept=None)
        accept(certificate_der) is called with the credential's certificate
        before anything is signed; it raises to refuse (e.g. not the
        account's registered certificate).
    csc_certificate(service) -> DER of the credential's certificate
"""
import asyncio
from dataclasses import dataclass

from .asyncsafe import callable_anywhere
from .errors import SigningError, TimestampError
from .sign import build_pdf_signer
from .tsa import UrlTimeStamper


class RemoteSigningError(SigningError):
    """The remote signing service refused or could not be reached.

    `code` is stable, for the application to say in its reader's language:
    invalid_pin, invalid_otp (the officer's authorization was wrong),
    authorization_refused (refused for another reason), service_unauthorized
    (the service did not accept Kho's access token), no_credential,
    unreachable, failed. `detail` is the service's own words (or the
    transport's), if any: shown apart, never as the sentence."""

    def __init__(self, code, detail=None):
        self.code, self.detail = code, detail
        super().__init__(f"{_SENTENCES.get(code, code)}" + (f": {detail}" if detail else ""))


_SENTENCES = {       # str() of the error, for logs and the command line
    "invalid_pin": "the signing service did not accept the PIN",
    "invalid_otp": "the signing service did not accept the one-time code (OTP)",
    "authorization_refused": "the signing service refused the authorization",
    "service_unauthorized": "the signing service did not accept Kho's access token",
    "no_credential": "the signing service has no usable credential",
    "unreachable": "the signing service is unreachable",
    "failed": "remote signing failed",
}


def authorization_error(status, error, description):
    """The RemoteSigningError for a refused credentials/authorize (CSC error
    codes and descriptions, as services write them)."""
    error = (error or "").strip().lower()
    text = " ".join(str(description or "").split())
    words = text.lower()
    if error == "invalid_pin" or ("pin" in words.split() and "invalid" in words):
        return RemoteSigningError("invalid_pin", text or None)
    if error == "invalid_otp" or ("otp" in words.split() and "invalid" in words):
        return RemoteSigningError("invalid_otp", text or None)
    if error == "invalid_token" or status == 401:
        return RemoteSigningError("service_unauthorized", text or error or None)
    return RemoteSigningError("authorization_refused", text or error or str(status))


@dataclass(frozen=True)
class CscService:
    url: str                     # base URL: the part before /csc/v1/…
    credential_id: str
    access_token: str = None     # the service's OAuth2 bearer token for Kho, if it needs one
    api_ver: str = "v1"

    def session_info(self):
        from pyhanko.sign.signers.csc_signer import CSCServiceSessionInfo
        return CSCServiceSessionInfo(self.url.rstrip("/"), self.credential_id,
                                     oauth_token=self.access_token, api_ver=self.api_ver)


def _auth_manager_class():
    import aiohttp
    from pyhanko.sign.signers.csc_signer import CSCAuthorizationManager

    class PinOtpAuthorization(CSCAuthorizationManager):
        """credentials/authorize with the officer's PIN/OTP, the hashes bound
        when the service asks for it (SCAL 2)."""

        def __init__(self, session_info, credential_info, http, pin, otp):
            super().__init__(session_info, credential_info)
            self.http, self.pin, self.otp = http, pin, otp
            self.error = None

        async def authorize_signature(self, hash_b64s):
            body = self.format_csc_auth_request(
                pin=self.pin or None, otp=self.otp or None,
                hash_b64s=hash_b64s if self.credential_info.hash_pinning_required else None,
                num_signatures=len(hash_b64s), description="Kho")
            url = self.csc_session_info.endpoint_url("credentials/authorize")
            try:
                async with self.http.post(url, json=body, headers=self.auth_headers,
                                          timeout=aiohttp.ClientTimeout(total=60)) as resp:
                    data = await resp.json(content_type=None)
                    if resp.status >= 400:
                        data = data if isinstance(data, dict) else {}
                        self.error = authorization_error(resp.status, data.get("error"),
                                                         data.get("error_description"))
                        raise self.error
            except aiohttp.ClientError as exc:
                self.error = RemoteSigningError("unreachable", _one_line(exc))
                raise self.error from None
            return self.parse_csc_auth_response(data)

    return PinOtpAuthorization


async def _credential(http, service):
    import aiohttp
    from pyhanko.sign.signers.csc_signer import fetch_certs_in_csc_credential
    from pyhanko.sign.general import SigningError as PyhankoSigningError
    try:
        return await fetch_certs_in_csc_credential(http, service.session_info())
    except (PyhankoSigningError, aiohttp.ClientError) as exc:
        cause = exc.__cause__ or exc
        if isinstance(cause, aiohttp.ClientConnectionError):
            raise RemoteSigningError("unreachable", _one_line(cause)) from None
        raise RemoteSigningError("no_credential", f"{service.credential_id!r}: {_one_line(cause)}") from None


@callable_anywhere
def csc_certificate(service: CscService) -> bytes:
    """DER of the certificate of the service's credential."""
    import aiohttp

    async def run():
        async with aiohttp.ClientSession() as http:
            return (await _credential(http, service)).signing_cert.dump()
    return asyncio.run(run())


@callable_anywhere
def csc_sign_pdf(pdf_bytes, service: CscService, *, pin=None, otp=None, profile="digitized",
                 name=None, tsa_url=None, timestamper=None, accept=None, copy_kind=None,
                 agency=None) -> bytes:
    """Sign with the service's credential, authorized by the officer's PIN/OTP."""
    import aiohttp
    from pyhanko.sign.general import SigningError as PyhankoSigningError
    from pyhanko.sign.signers.csc_signer import CSCSigner
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    if tsa_url and timestamper is None:
        timestamper = UrlTimeStamper(tsa_url)

    async def run():
        async with aiohttp.ClientSession() as http:
            info = await _credential(http, service)
            if accept is not None:
                accept(info.signing_cert.dump())
            auth = _auth_manager_class()(service.session_info(), info, http, pin, otp)
            signer = CSCSigner(http, auth, est_raw_signature_size=512)
            writer, pdf_signer = build_pdf_signer(pdf_bytes, signer, profile, name=name,
                                                  timestamper=timestamper, copy_kind=copy_kind,
                                                  agency=agency)
            try:
                out = await pdf_signer.async_sign_pdf(writer)
            except (TimestampRequestError, TimestampError) as exc:
                raise TimestampError(_one_line(exc)) from None
            except PyhankoSigningError as exc:
                if auth.error is not None:
                    raise auth.error from None
                raise RemoteSigningError("failed", _one_line(exc.__cause__ or exc)) from None
            return out.getvalue()

    return asyncio.run(run())


def _one_line(exc) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())
