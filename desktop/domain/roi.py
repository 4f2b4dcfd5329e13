"""The owner's ROI model: what unanswered calls cost the shop, in the owner's own numbers.

    missed calls / month        = monthly calls x (1 - answer rate)
    missed leads / month        = missed calls x share of missed callers that are real leads
    revenue at stake / month    = missed leads x booking rate x average job value
    recovered at a target rate  = monthly calls x (target - answer rate) x lead share
                                  x booking rate x average job value

Inputs are typed by the owner or filled from the shop's own history (`from_history`).
Rates are fractions (0.85 = 85 %). Pure arithmetic, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.domain.outcomes import Outcomes


class RoiError(ValueError):
    """An input that cannot be; the message names it."""


@dataclass(frozen=True)
class RoiInputs:
    monthly_calls: float
    answer_rate: float
    lead_share: float        # of missed callers, how many are real leads
    booking_rate: float      # of leads, how many book a job
    average_job_value: float
    target_answer_rate: float = 0.95

    def check(self) -> RoiInputs:
        if self.monthly_calls < 0:
            raise RoiError("monthly calls cannot be negative")
        for name in ("answer_rate", "lead_share", "booking_rate", "target_answer_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise RoiError(f"{name.replace('_', ' ')} must be between 0 % and 100 %, "
                               f"not {value:.0%}")
        if self.average_job_value < 0:
            raise RoiError("average job value cannot be negative")
        return self


@dataclass(frozen=True)
class RoiResult:
    missed_calls_per_month: float
    missed_leads_per_month: float
    revenue_at_stake_per_month: float
    revenue_at_stake_per_year: float
    recovered_per_month_at_target: float

    def to_json(self) -> dict:
        return {k: round(v, 2) for k, v in self.__dict__.items()}


def model(inputs: RoiInputs) -> RoiResult:
    i = inputs.check()
    missed_calls = i.monthly_calls * (1 - i.answer_rate)
    missed_leads = missed_calls * i.lead_share
    at_stake = missed_leads * i.booking_rate * i.average_job_value
    gain = max(i.target_answer_rate - i.answer_rate, 0.0)
    recovered = i.monthly_calls * gain * i.lead_share * i.booking_rate * i.average_job_value
    return RoiResult(missed_calls, missed_leads, at_stake, at_stake * 12, recovered)


def from_history(outcomes: Outcomes, target: float = 0.95) -> RoiInputs | None:
    """The inputs as the shop's own period says them, scaled to a 30-day month; None when
    the period has no calls to go on. The lead share is the missed callers who became a
    lead (a lead from an answered call is not a missed one); the booking rate, the leads
    that booked a job; the job value, booked revenue per booked job."""
    days = len(outcomes.period.days)
    if not outcomes.inbound_calls or not days:
        return None
    lead_share = outcomes.callers_to_leads / outcomes.missed_callers \
        if outcomes.missed_callers else 0.0
    return RoiInputs(
        monthly_calls=outcomes.inbound_calls * 30 / days,
        answer_rate=outcomes.answer_rate or 0.0,
        lead_share=lead_share,
        booking_rate=outcomes.booking_rate or 0.0,
        average_job_value=(outcomes.booked_revenue / outcomes.booked_jobs
                           if outcomes.booked_jobs else 0.0),
        target_answer_rate=target)
