"""The ROI model's arithmetic, by hand, and its inputs from a period's history."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from desktop.domain.outcomes import Outcomes, Period
from desktop.domain.roi import RoiError, RoiInputs, from_history, model


def test_the_model_by_hand():
    # 400 calls a month, 80 % answered -> 80 missed; 60 % are leads -> 48 leads; 40 % book
    # -> 19.2 jobs x $350 = $6,720 a month at stake, $80,640 a year. At 95 %: 15 points of
    # 400 calls = 60 calls x 0.6 x 0.4 x 350 = $5,040 recovered a month.
    result = model(RoiInputs(monthly_calls=400, answer_rate=0.80, lead_share=0.60,
                             booking_rate=0.40, average_job_value=350,
                             target_answer_rate=0.95))
    assert result.to_json() == {
        "missed_calls_per_month": 80.0, "missed_leads_per_month": 48.0,
        "revenue_at_stake_per_month": 6720.0, "revenue_at_stake_per_year": 80640.0,
        "recovered_per_month_at_target": 5040.0}


def test_a_target_below_todays_rate_recovers_nothing():
    result = model(RoiInputs(400, 0.97, 0.6, 0.4, 350, target_answer_rate=0.9))
    assert result.recovered_per_month_at_target == 0.0


@pytest.mark.parametrize("inputs, words", [
    (RoiInputs(-1, 0.8, 0.6, 0.4, 350), "monthly calls"),
    (RoiInputs(400, 1.2, 0.6, 0.4, 350), "answer rate must be between"),
    (RoiInputs(400, 0.8, 0.6, 0.4, -5), "average job value"),
])
def test_an_impossible_input_is_named(inputs, words):
    with pytest.raises(RoiError, match=words):
        model(inputs)


def test_inputs_from_a_periods_history():
    period = Period(date(2026, 11, 1), date(2026, 11, 15), ZoneInfo("America/Chicago"))
    # 20 leads, 15 of them from the 50 missed callers (5 came from answered calls); 7
    # leads booked 8 jobs between them.
    history = Outcomes(period, inbound_calls=300, answered=240,
                       missed_by_reason={"missed": 60}, missed_callers=50,
                       callers_to_leads=15, qualified_leads=20, booked_jobs=8,
                       booked_leads=7, booked_revenue=3200.0)
    inputs = from_history(history)
    assert inputs.monthly_calls == 600  # 300 in 15 days
    assert inputs.answer_rate == 0.8 and inputs.lead_share == 0.3
    assert inputs.booking_rate == 0.35 and inputs.average_job_value == 400.0
    assert from_history(Outcomes(period)) is None  # nothing to go on
