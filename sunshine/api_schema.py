"""The OpenAPI schema states every answer an operation can give, errors included.

drf-spectacular documents the success answer of each operation; the errors DRF raises on its own (an unknown
id or a page past the end: 404; a malformed filter or body: 400; no permission: 403) would otherwise be
missing, and a client (or schemathesis, tests/project/test_api_schema.py) could not tell them from a bug.
A view with DRF throttles also declares 429; a view that limits requests its own way declares 429 with
``extend_schema(responses={…, 429: …})``.
They are added here from what the view really does, never as a catch-all "default" answer.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

# DRF's error body: {"detail": "…"} for 403/404, {"<field>": ["…"]} (or {"detail": ["…"]}) for 400.
ERROR_BODY = {
    "type": "object",
    "description": "错误说明：detail 为说明文字（或多条说明）；数据校验错误按字段列出说明。",
    "properties": {
        "detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
    "additionalProperties": {},
}

ERROR_DESCRIPTIONS = {
    "400": "请求有误（查询条件或提交的内容不合格），按字段说明原因。",
    "403": "没有权限（未登录、令牌无效或不在你的管辖范围内）。",
    "404": "找不到（编号不存在、未公开，或页码超出范围）。",
    "429": "请求太频繁，请稍后再试。",
}

# Query parameters every paginated list has; a wrong page is a 404 (DRF's PageNumberPagination), not a 400.
PAGING_PARAMETERS = {"page", "page_size"}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for code in self._error_codes(operation):
            operation["responses"].setdefault(
                code,
                {"content": {"application/json": {"schema": ERROR_BODY}}, "description": ERROR_DESCRIPTIONS[code]},
            )
        return operation

    def _error_codes(self, operation):
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        codes = []
        if operation.get("requestBody") or query - PAGING_PARAMETERS:
            codes.append("400")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes.append("403")
        if any(p["in"] == "path" for p in parameters) or query & PAGING_PARAMETERS:
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        return codes
