"""How the OpenAPI schema describes the API's authentication.

Imported by ``crm.api`` so that drf-spectacular knows the token scheme before it builds
the schema; without it the schema would list session authentication only.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token, created and revoked on your profile page: "
                "`Authorization: Bearer <key>`."
            ),
        }
