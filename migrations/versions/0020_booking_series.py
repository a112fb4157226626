"""Recurring visits (faste avtaler): series, refused occurrences, bookings' series, departments' share.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

`booking_series` holds each series' pattern, `series_failure` each occurrence the worker could not book (why, and
the nearest free times), `booking.series_id` which series booked a visit, and the department decides whether
series are allowed and what share of a cell's capacity they may hold. `book_series_visits` (booking/sql/) books
a set of occurrences through `book_visit`; the statement below is its source file as it was at this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOOK_SERIES_VISITS = """
CREATE FUNCTION public.book_series_visits(
    p_municipality uuid, p_department uuid, p_share integer, p_reach integer, p_visits jsonb
) RETURNS TABLE (visit_id uuid, booking_id uuid, refusal text)
LANGUAGE plpgsql
SET lock_timeout = '2s'
AS $$
DECLARE
    v jsonb;
    v_id uuid;
    v_booked uuid;
    v_over boolean;
BEGIN
    FOR v IN SELECT value FROM jsonb_array_elements(p_visits) LOOP
        v_id := (v->>'id')::uuid;
        BEGIN
            SELECT b.id INTO v_booked
              FROM book_visit(v_id, p_municipality, (v->>'recipient')::uuid, p_department, (v->>'service')::uuid,
                              (v->>'allocation')::uuid, (v->>'period_start')::date, (v->>'period_end')::date,
                              (v->>'granted')::integer, (v->>'starts')::timestamptz, (v->>'ends')::timestamptz,
                              (v->>'span_start')::timestamptz, (v->>'span_end')::timestamptz,
                              (v->>'minutes')::integer, (v->>'units')::integer, (v->>'cells')::integer,
                              v->>'acted_by', (v->>'actor')::uuid, NULL, v->>'key', 'series') AS b;
            IF v_booked = v_id THEN  -- booked now, not found under its key from an earlier run
                UPDATE booking SET series_id = (v->>'series')::uuid
                 WHERE municipality_id = p_municipality AND id = v_id;
                SELECT coalesce(bool_or(h.units * 100 > p_share * c.capacity), false) INTO v_over
                  FROM capacity_cell c
                  CROSS JOIN LATERAL (
                      SELECT coalesce(sum(s.staff_units), 0) AS units FROM booking s
                       WHERE s.municipality_id = p_municipality AND s.department_id = p_department
                         AND s.series_id IS NOT NULL AND s.status = 'booked'
                         -- p_reach: the longest visit with its buffers the department's services allow, in
                         -- minutes; the bounds keep the scan of ix_booking_series_held to the span
                         AND s.starts_at > c.starts_at - make_interval(mins => p_reach)
                         AND s.starts_at < c.ends_at + make_interval(mins => p_reach)
                         AND s.span_start < c.ends_at AND s.span_end > c.starts_at
                  ) AS h
                 WHERE c.municipality_id = p_municipality AND c.department_id = p_department
                   AND c.starts_at > (v->>'span_start')::timestamptz - interval '1 hour'
                   AND c.starts_at < (v->>'span_end')::timestamptz
                   AND c.ends_at > (v->>'span_start')::timestamptz;
                IF v_over THEN
                    RAISE EXCEPTION USING ERRCODE = 'TJ409', MESSAGE = 'series_share_full', DETAIL = '{}';
                END IF;
                INSERT INTO booking_event (municipality_id, booking_id, kind, details)
                VALUES (p_municipality, v_id, 'created', '{}');
                IF v->>'actor' IS NOT NULL THEN
                    INSERT INTO audit_entry (municipality_id, actor_person_id, subject_person_id, action, object_type,
                                             object_id, outcome)
                    VALUES (p_municipality, (v->>'actor')::uuid, (v->>'recipient')::uuid, 'booking.create', 'booking',
                            CAST(v_id AS text), 'ok');
                END IF;
            END IF;
            visit_id := v_id; booking_id := v_booked; refusal := NULL;
        EXCEPTION WHEN SQLSTATE 'TJ409' OR lock_not_available OR deadlock_detected THEN
            visit_id := v_id; booking_id := NULL;
            refusal := CASE WHEN SQLSTATE = 'TJ409' THEN SQLERRM ELSE 'busy' END;
        END;
        RETURN NEXT;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "booking_series",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=False),
        sa.Column("weekdays", sa.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("every_weeks", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("acted_by", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("booked_through", sa.Date(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "acted_by IN ('recipient', 'proxy', 'staff', 'admin', 'integration')",
            name=op.f("ck_booking_series_acted_by_known"),
        ),
        sa.CheckConstraint(
            "cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]",
            name=op.f("ck_booking_series_weekdays_known"),
        ),
        sa.CheckConstraint("every_weeks IN (1, 2)", name=op.f("ck_booking_series_every_weeks_known")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_booking_series_minutes_positive")),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_booking_series_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_booking_series_created_by_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_booking_series_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_booking_series_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_booking_series_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_booking_series_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_series")),
    )
    op.create_index(
        "ix_booking_series_active",
        "booking_series",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(op.f("ix_booking_series_municipality_id"), "booking_series", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_booking_series_recipient_id"), "booking_series", ["recipient_id"], unique=False)
    op.create_table(
        "series_failure",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("series_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("nearest", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_series_failure_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["booking_series.id"],
            name=op.f("fk_series_failure_series_id_booking_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_failure")),
        sa.UniqueConstraint("municipality_id", "series_id", "starts_at", name="uq_series_failure_occurrence"),
    )
    op.create_index(op.f("ix_series_failure_municipality_id"), "series_failure", ["municipality_id"], unique=False)
    op.create_index(
        "ix_series_failure_unsent",
        "series_failure",
        ["id"],
        unique=False,
        postgresql_where=sa.text("notified_at IS NULL"),
    )
    op.add_column("booking", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_booking_series_held",
        "booking",
        ["department_id", "starts_at"],
        unique=False,
        postgresql_where=sa.text("series_id IS NOT NULL AND status = 'booked'"),
    )
    op.create_foreign_key(
        op.f("fk_booking_series_id_booking_series"),
        "booking",
        "booking_series",
        ["series_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("department", sa.Column("series_allowed", sa.Boolean(), server_default="true", nullable=False))
    op.add_column(
        "department", sa.Column("series_share_percent", sa.SmallInteger(), server_default="50", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_department_series_share_range"), "department", "series_share_percent BETWEEN 0 AND 100"
    )
    op.execute(BOOK_SERIES_VISITS)


def downgrade() -> None:
    op.execute("DROP FUNCTION book_series_visits(uuid, uuid, integer, integer, jsonb)")
    op.drop_constraint(op.f("ck_department_series_share_range"), "department", type_="check")
    op.drop_column("department", "series_share_percent")
    op.drop_column("department", "series_allowed")
    op.drop_constraint(op.f("fk_booking_series_id_booking_series"), "booking", type_="foreignkey")
    op.drop_index(
        "ix_booking_series_held",
        table_name="booking",
        postgresql_where=sa.text("series_id IS NOT NULL AND status = 'booked'"),
    )
    op.drop_column("booking", "series_id")
    op.drop_index(
        "ix_series_failure_unsent", table_name="series_failure", postgresql_where=sa.text("notified_at IS NULL")
    )
    op.drop_index(op.f("ix_series_failure_municipality_id"), table_name="series_failure")
    op.drop_table("series_failure")
    op.drop_index(op.f("ix_booking_series_recipient_id"), table_name="booking_series")
    op.drop_index(op.f("ix_booking_series_municipality_id"), table_name="booking_series")
    op.drop_index("ix_booking_series_active", table_name="booking_series", postgresql_where=sa.text("ended_at IS NULL"))
    op.drop_table("booking_series")
