"""The township approves a month or sends a record back; overviews per village for lists and
dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from ...domain.errors import DomainError, NotFound
from ...domain.formats import beijing, month_bounds, month_heading, parse_month
from ...models.contracts import Assessment, Contract
from ...models.pay import AttendanceRecord, Payment, PayrollRun
from ...models.people import Region
from ...models.posts import Post
from .. import audit
from .. import settings as county_settings
from ..clock_binding import now_of
from ..permissions import require, scope_regions
from .entry import _describe, _int_or_none, _record_snapshot
from .holders import covering_contracts

# ---------------------------------------------------------------- approving, sending back


def load_region(session: Session, actor, region_id: Any, action: str) -> Region:
    require(actor, action)  # a role without the right hears 403, whatever the region
    try:
        rid = int(region_id)
    except (TypeError, ValueError):
        raise NotFound("乡镇或村") from None
    region = session.get(Region, rid)
    if region is None:
        raise NotFound("乡镇或村")
    require(actor, action, region, what="乡镇或村")
    return region


def villages_under(session: Session, region: Region) -> list[int]:
    if region.level == "village":
        return [region.id]
    return list(
        session.scalars(
            select(Region.id).where(
                Region.level == "village",
                Region.code.like(region.code[: 9 if region.level == "township" else 6] + "%"),
            )
        )
    )


def approve_month(
    session: Session, actor, township_or_village: Any, month: Any, today: date
) -> list[AttendanceRecord]:
    """The township approves every entered (draft) record of
    its villages — or of one village — for an ended month."""
    region = load_region(session, actor, township_or_village, "approve_attendance")
    if region.level == "county":
        raise DomainError("approve_scope", "考勤按乡镇（或村）审核：请选择一个乡镇")
    month = parse_month(month, "考勤月份")
    last = month_bounds(month)[1]
    if last >= today:
        raise DomainError(
            "month_not_ended",
            f"{month_heading(month)}尚未结束（月末为{last.isoformat()}），月份结束后才能审核考勤",
        )
    village_ids = villages_under(session, region)
    records = (
        session.scalars(
            select(AttendanceRecord)
            .join(Contract, AttendanceRecord.contract_id == Contract.id)
            .join(Post, Contract.post_id == Post.id)
            .where(
                Post.village_id.in_(village_ids),
                AttendanceRecord.month == month,
                AttendanceRecord.status == "draft",
            )
            .options(joinedload(AttendanceRecord.contract).joinedload(Contract.person))
            .order_by(AttendanceRecord.id)
        )
        .unique()
        .all()
    )
    if not records:
        raise DomainError(
            "nothing_to_approve",
            f"{region.name}{month_heading(month)}没有待审核的考勤（未录入，或已全部审核）",
        )
    own = [
        r for r in records if r.entered_by_id is not None and r.entered_by_id == getattr(actor, "id", None)
    ]
    if own and four_eyes(session, region, today):
        who = getattr(actor, "display_name", "")
        raise DomainError(
            "attendance_four_eyes",
            f"录入人不能审核自己录入的考勤：{region.name}{month_heading(month)}待审核的考勤中有{len(own)}条由您（{who}）"
            f"录入或最后修改（{'、'.join(r.contract.person.name for r in own[:5])}"
            f"{'等' if len(own) > 5 else ''}），"
            "须由另一名乡镇经办人或县级管理员审核；本次未审核任何记录（县级设置“考勤录入与审核须为不同人员”）",
            details=[
                f"{r.contract.person.name}（合同{r.contract.code}）：由{who}于{beijing(r.entered_at)}录入"
                for r in own
            ],
        )
    now = now_of(session)
    for rec in records:
        rec.status, rec.approved_by_id, rec.approved_at = "approved", getattr(actor, "id", None), now
    session.flush()
    for rec in records:
        audit.record(
            session,
            actor,
            "approve_attendance",
            "attendance_record",
            rec.id,
            before={"status": "draft"},
            after={"status": "approved", **_record_snapshot(rec)},
            summary=f"审核考勤：{rec.contract.person.name}（合同{rec.contract.code}）{month_heading(month)} "
            f"{_describe(_record_snapshot(rec))}",
        )
    return list(records)


def four_eyes(session: Session, region: Region, today: date) -> bool:
    """County setting attendance_four_eyes (on by default): whoever entered a record may not approve it."""
    county = county_settings.county_of(session, region)
    return county_settings.setting(session, county.id, "attendance_four_eyes", today) == "on"


def month_paid(session: Session, contract_id: int, month: str) -> bool:
    """A regular payment for the contract-month is paid, or sits in an approved payroll run."""
    hit = session.scalar(
        select(Payment.id)
        .outerjoin(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            Payment.contract_id == contract_id,
            Payment.month == month,
            Payment.kind == "regular",
            (Payment.status == "paid") | (PayrollRun.status == "approved"),
        )
        .limit(1)
    )
    return hit is not None


def reopen_record(session: Session, actor, record_id: Any, reason: str, today: date) -> AttendanceRecord:
    """Send an approved record back to draft before payment; a locked (paid) one never."""
    rec = session.get(AttendanceRecord, _int_or_none(record_id) or 0)
    if rec is None:
        raise NotFound("考勤记录")
    require(actor, "approve_attendance", rec.contract.post, what="考勤记录")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", "请填写退回原因（至少2个字），以便录入人员更正")
    name = rec.contract.person.name
    if rec.status == "locked":
        raise DomainError(
            "attendance_locked",
            f"{name}{month_heading(rec.month)}的考勤已发放锁定，不能退回；如有差错请办理补发或扣回",
        )
    if rec.status != "approved":
        raise DomainError(
            "attendance_not_approved", f"{name}{month_heading(rec.month)}的考勤尚未审核，可直接修改，无需退回"
        )
    if month_paid(session, rec.contract_id, rec.month):
        raise DomainError(
            "attendance_in_payroll",
            f"{name}{month_heading(rec.month)}的补贴已审批发放，考勤不能退回；如有差错请办理补发或扣回",
        )
    before = {"status": rec.status, "approved_by_id": rec.approved_by_id}
    rec.status, rec.approved_by_id, rec.approved_at = "draft", None, None
    session.flush()
    audit.record(
        session,
        actor,
        "reopen_attendance",
        "attendance_record",
        rec.id,
        before=before,
        after={"status": "draft", "reason": reason},
        summary=f"退回考勤：{name}（合同{rec.contract.code}）{month_heading(rec.month)}，原因：{reason}",
    )
    return rec


# ---------------------------------------------------------------- overviews


@dataclass
class VillageSummary:
    village: Region
    holders: int = 0
    draft: int = 0
    approved: int = 0
    locked: int = 0
    graded: int = 0

    @property
    def entered(self) -> int:
        return self.draft + self.approved + self.locked

    @property
    def missing(self) -> int:
        return max(self.holders - self.entered, 0)


def month_overview(
    session: Session, actor, month: str, *, township_id: int | None = None
) -> list[VillageSummary]:
    """Per village in the actor's scope: holders, entered
    (by status), missing, graded — a few grouped queries."""
    require(actor, "view_attendance")
    vq = scope_regions(actor, select(Region).where(Region.level == "village"), Region.id)
    if township_id:
        vq = vq.where(Region.parent_id == township_id)
    villages = session.scalars(vq.options(joinedload(Region.parent)).order_by(Region.code)).all()
    out = {v.id: VillageSummary(v) for v in villages}
    if not out:
        return []
    ids = list(out)
    holders = covering_contracts(month).where(Post.village_id.in_(ids))
    for vid, n in session.execute(
        holders.with_only_columns(Post.village_id, func.count(Contract.id)).group_by(Post.village_id)
    ):
        out[vid].holders = n
    covered_ids = holders.with_only_columns(Contract.id)
    for vid, status, n in session.execute(
        select(Post.village_id, AttendanceRecord.status, func.count(AttendanceRecord.id))
        .join(Contract, AttendanceRecord.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(AttendanceRecord.month == month, Post.village_id.in_(ids), Contract.id.in_(covered_ids))
        .group_by(Post.village_id, AttendanceRecord.status)
    ):
        setattr(out[vid], status, n)
    for vid, n in session.execute(
        select(Post.village_id, func.count(Assessment.id))
        .join(Contract, Assessment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(
            Assessment.period == month,
            Assessment.kind == "monthly",
            Post.village_id.in_(ids),
            Contract.id.in_(covered_ids),
        )
        .group_by(Post.village_id)
    ):
        out[vid].graded = n
    return list(out.values())


def count_drafts(session: Session, actor) -> int:
    """Entered records waiting for the township's approval, in the actor's scope."""
    q = (
        select(func.count(AttendanceRecord.id))
        .join(Contract, AttendanceRecord.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(AttendanceRecord.status == "draft")
    )
    return session.scalar(scope_regions(actor, q, Post.village_id)) or 0


def count_missing(session: Session, actor, month: str) -> int:
    """Holders of `month` in the actor's scope with no attendance record."""
    q = (
        covering_contracts(month)
        .with_only_columns(func.count(Contract.id))
        .outerjoin(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, AttendanceRecord.month == month),
        )
        .where(AttendanceRecord.id.is_(None))
    )
    return session.scalar(scope_regions(actor, q, Post.village_id)) or 0
