"""`tjenesteshop token create`: the operator's way to issue an integration token."""

from __future__ import annotations

import uuid

import click
from sqlalchemy import select

from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from people.audit import Origin
from people.tables import Municipality
from people.tokens import create_token


async def create_token_cli(
    settings: Settings, name: str, role: str, department_id: uuid.UUID | None, municipality_number: str | None
) -> tuple[str, str]:
    """Create the token in one transaction; return its secret and a summary line."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine).begin() as session:
            query = select(Municipality)
            if municipality_number:
                query = query.where(Municipality.number == municipality_number)
            municipalities = (await session.scalars(query.limit(2))).all()
            if len(municipalities) != 1:
                msg = "name the municipality with --municipality (kommunenummer)"
                raise click.UsageError(msg if municipalities else "no such municipality")
            municipality = municipalities[0]
            token, secret = await create_token(
                session,
                None,
                Origin(),
                municipality_id=municipality.id,
                name=name,
                role=role,
                department_id=department_id,
            )
            summary = f"token «{token.name}» ({token.role}) for {municipality.name}; the secret is shown only now:"
            return secret, summary
    finally:
        await engine.dispose()
