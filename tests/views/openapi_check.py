"""Validate WebTest requests and responses against the app's OpenAPI document."""
import io

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from views.api.openapi import SPEC

_openapi = OpenAPI.from_dict(SPEC)


def validate(response, request=True):
    """Raise if the request or the response of a WebTest call breaks the spec
    (request=False: the request is outside it on purpose; only the answer is checked)."""
    environ = dict(response.request.environ)
    body = response.request.body or b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["PATH_INFO"] = environ["PATH_INFO"].rstrip("/") or "/"
    wreq = WerkzeugRequest(environ)
    oreq = WerkzeugOpenAPIRequest(wreq)
    if request:
        _openapi.validate_request(oreq)
    wresp = WerkzeugResponse(response.body, status=response.status_int,
                             headers=[(k, v) for k, v in response.headers.items()
                                      if k.lower() != "content-length"])
    _openapi.validate_response(oreq, WerkzeugOpenAPIResponse(wresp))
    return response
