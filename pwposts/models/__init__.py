"""Every model, imported here so that Alembic and create_all see them all."""

from .accounts import ApiToken, LoginAttempt, User  # noqa: F401
from .attendance_sheet import AttendanceSheetVersion  # noqa: F401
from .audit import AuditCheckpoint, AuditEntry  # noqa: F401
from .contracts import Assessment, Contract, InsurancePolicy  # noqa: F401
from .documents import ContractDocument  # noqa: F401
from .exits import ContractExit, FollowupService, PersonColour  # noqa: F401
from .hiring import Application, Notice, Objection, Publicity  # noqa: F401
from .oversight import Disposition, Flag, FlagNote, Rectification  # noqa: F401
from .pay import AttendanceDay, AttendanceRecord, Payment, PaymentObjection, PayrollRun  # noqa: F401
from .people import Cadre, EmploymentRecord, Household, Person, PersonCategory, Region, Relation  # noqa: F401
from .policy import CountySetting, Fund, FundCategory, Holiday, PostCategory, Standard  # noqa: F401
from .posts import Post  # noqa: F401
from .registry import ExternalPostRecord, ImportBatch  # noqa: F401
