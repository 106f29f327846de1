"""Every table of the domain, imported in one place (for migrations and metadata)."""

from domain.access import AppSecret, ChannelOptOut, ContactDeputy, DashboardUser, StandIn, UserScope, UserSession
from domain.governance import Agreement, Decision, DecisionVote, StageEvidence
from domain.models import Contact, Membership, Network, Organisation, Region
from domain.outbox import OutboxItem
from domain.schools import ONE_ASSIGNMENT_PER_SCHOOL
from domain.stages import AuditEvent, StageRun
from domain.work import (
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
    "DashboardUser",
    "Decision",
    "DecisionVote",
    "Goal",
    "GoalPotential",
    "Membership",
    "Network",
    "Organisation",
    "OutboxItem",
    "Potential",
    "Protocol",
    "ProtocolObjection",
    "Recommendation",
    "Region",
    "StageEvidence",
    "StageRun",
    "StandIn",
    "UserScope",
    "UserSession",
]
