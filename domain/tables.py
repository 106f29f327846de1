"""Every table of the domain, imported in one place (for migrations and metadata)."""

from verbund.domain.access import (
    AppSecret,
    ChannelOptOut,
    ContactDeputy,
    DashboardUser,
    LoginThrottle,
    StageDeputy,
    StandIn,
    UserScope,
    UserSession,
)
from verbund.domain.data_versions import DataVersion
from verbund.domain.directory import ContactEvent, Invitation
from verbund.domain.ferien import SchoolHolidayPeriod
from verbund.domain.forecast_cache import ForecastEntry
from verbund.domain.governance import Agreement, Decision, DecisionVote, StageEvidence
from verbund.domain.leases import ScheduleLease
from verbund.domain.models import Contact, Membership, Network, NotImportedSchool, Organisation, Region
from verbund.domain.outbox import OutboxItem
from verbund.domain.schools import ONE_ASSIGNMENT_PER_SCHOOL
from verbund.domain.stages import AuditEvent, PendingTrigger, StageRun
from verbund.domain.work import (
    AnalysisEntry,
    Attendance,
    Consultation,
    Goal,
    GoalPotential,
    Potential,
    Protocol,
    ProtocolObjection,
    Recommendation,
)

__all__ = [
    "ONE_ASSIGNMENT_PER_SCHOOL",
    "Agreement",
    "AnalysisEntry",
    "AppSecret",
    "Attendance",
    "AuditEvent",
    "ChannelOptOut",
    "Consultation",
    "Contact",
    "ContactDeputy",
    "ContactEvent",
    "DashboardUser",
    "DataVersion",
    "Decision",
    "DecisionVote",
    "ForecastEntry",
    "Goal",
    "GoalPotential",
    "Invitation",
    "LoginThrottle",
    "Membership",
    "Network",
    "NotImportedSchool",
    "Organisation",
    "OutboxItem",
    "PendingTrigger",
    "Potential",
    "Protocol",
    "ProtocolObjection",
    "Recommendation",
    "Region",
    "ScheduleLease",
    "SchoolHolidayPeriod",
    "StageDeputy",
    "StageEvidence",
    "StageRun",
    "StandIn",
    "UserScope",
    "UserSession",
]
