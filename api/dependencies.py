"""Named dependencies that handlers declare (Litestar 3 needs them marked)."""

from __future__ import annotations

from datetime import date
from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.i18n import Language
from people.access import Principal
from people.audit import Origin

DbSession: TypeAlias = NamedDependency[AsyncSession]
"""The request's session (advanced-alchemy commits it when the response is 2xx)."""

RequestLanguage: TypeAlias = NamedDependency[Language]
"""The request's language (nb, nn or en), as dependency `user_language`.

Dependency names must not equal a body field's name: Litestar then reports that field's validation
error as a failed dependency (a 500). Hence `user_language`, not `language`.
"""

Current: TypeAlias = NamedDependency[Principal]
"""The signed-in caller (401 when anonymous), as dependency `current`."""

Where: TypeAlias = NamedDependency[Origin]
"""Where the request came from, for the audit log, as dependency `origin`."""

Today: TypeAlias = NamedDependency[date]
"""The local date in the installation's time zone, as dependency `today`."""
