"""Import from the case system (fagsystem): the municipality administrator uploads its CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery

from api.dependencies import Current, DbSession, RequestLanguage, Today, Where
from api.problems import Problem
from api.schemas.imports import ImportReportRead
from casesystem.rules import UnreadableFileError, read_file
from casesystem.service import import_rows

# A case system's export of a municipality's people and decisions: thousands of rows of ~150 bytes each.
IMPORT_MAX_BYTES = 8 * 1024 * 1024


async def _multipart_only(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not multipart/form-data (Litestar's form parser would call it malformed, 400)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise Problem("unsupported_media_type")


@dataclass
class ImportUpload:
    """The form: the export as the file `file` (a bare `UploadFile` body answered 500 to a form without a file)."""

    file: UploadFile


class ImportController(Controller):
    """`/api/v1/imports`."""

    path = "/api/v1/imports"
    tags = ["imports"]  # noqa: RUF012 - Litestar's declared attribute type

    @post(
        "/",
        summary="Import people, proxy links and decisions from the case system's CSV export (municipality admins)",
        status_code=200,
        request_max_body_size=IMPORT_MAX_BYTES,
        before_request=_multipart_only,
    )
    async def import_file(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        today: Today,
        state: State,
        user_language: RequestLanguage,
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        *,
        dry_run: FromQuery[bool] = False,
        skip_refused: FromQuery[bool] = False,
    ) -> ImportReportRead:
        """The file as README's "Importing from the case system" describes; UTF-8 (a BOM or not) or Windows-1252.

        All or nothing: when a row is refused, nothing is stored and the answer is a 422 `import_refused` whose
        `rows` is the report, unless `skip_refused`. A dry run answers 200 with the report and stores nothing.
        """
        try:
            read = read_file(await data.file.read())
        except UnreadableFileError as exc:
            raise Problem(exc.code, extra=exc.fields) from exc
        savepoint = await db_session.begin_nested()
        report = await import_rows(db_session, current, origin, read, key=state.settings.national_id_key,
                                   today=today, dry_run=dry_run, skip_refused=skip_refused)  # fmt: skip
        answer = ImportReportRead.of(report, user_language)
        if report.keep:
            await savepoint.commit()
            return answer
        await savepoint.rollback()
        if dry_run:
            return answer
        raise Problem("import_refused", extra={"rows": msgspec.to_builtins(answer.rows)})
