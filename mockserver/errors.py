"""The business outcomes that are not a success, one exception type each.

They are mapped to the API's envelope in one place (`envelope.error_body`), as Connexion maps
its problems in one exception middleware.
"""

from __future__ import annotations


class BusinessError(Exception):
    """An outcome with a business code, an HTTP status and the documentation's message."""

    code: int = 5000
    http_status: int = 500
    message: str = "Service hiccuped, please try again later."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class InvalidParameter(BusinessError):
    code, http_status = 4005, 400

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        super().__init__(f"Invalid parameter: {parameter} {reason}")


class UnknownAnnotationRequest(BusinessError):
    code, http_status, message = 53003, 404, "Annotation request has not exists."


class ServiceHiccup(BusinessError):
    code, http_status, message = 5000, 500, "Service hiccuped, please try again later."


class WrongSignature(BusinessError):
    code, http_status, message = 401, 401, "Wrong signature."


class AuthenticationFailed(BusinessError):
    code, http_status, message = 402, 401, "Authentication failed."


class SignatureExpired(BusinessError):
    code, http_status, message = 403, 401, "Signature expired."


# Business codes a client may force with `Prefer: code=...`, also reachable by HTTP status.
FORCEABLE: dict[int, type[BusinessError]] = {
    53003: UnknownAnnotationRequest,
    404: UnknownAnnotationRequest,
    5000: ServiceHiccup,
    500: ServiceHiccup,
    401: WrongSignature,
    402: AuthenticationFailed,
    403: SignatureExpired,
}
