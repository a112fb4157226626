"""Named dependencies that handlers declare (Litestar 3 needs them marked)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.i18n import Language

DbSession: TypeAlias = NamedDependency[AsyncSession]
"""The request's session (advanced-alchemy commits it when the response is 2xx)."""

RequestLanguage: TypeAlias = NamedDependency[Language]
"""The request's language (nb, nn or en), as dependency `user_language`.

Dependency names must not equal a body field's name: Litestar then reports that field's validation
error as a failed dependency (a 500). Hence `user_language`, not `language`.
"""
