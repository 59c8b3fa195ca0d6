"""Racing the candidate rates, replayed: on the published MNIST protocol run it makes the grid's
six choices for a quarter of the candidates' compute; on made-up histories it can choose
otherwise, and the replay says so."""
import pandas as pd
import pytest
from helpers import ROOT, rectifier

from rectifier.racing import race, replay
from rectifier.runs import collect, load_histories


def history(errors, seconds=10.0):
    return pd.DataFrame({"epoch": range(1, len(errors) + 1), "valid_error_pct": errors,
                         "seconds": [seconds] * len(errors)})


def test_a_candidate_behind_by_more_than_the_lead_stops_from_the_first_epoch():
    raced = race({0.1: history([5, 4, 3, 2, 2, 2]), 0.01: history([9, 8, 7, 6, 5, 4]),
                  0.001: history([5, 4, 3, 2.4, 2.2, 2.1])}, lead=0.5, first_epoch=3)
    assert raced.stopped == {0.01: 3}
    assert raced.chosen == 0.1
    assert (raced.seconds, raced.full_seconds) == (150.0, 180.0)


def test_a_late_bloomer_is_lost_and_the_choice_differs_from_the_grid_s():
    """What racing can get wrong: a rate that starts slow and ends best."""
    slow_start = history([9, 8, 7, 6, 1.0])
    raced = race({0.1: history([3, 2.5, 2.0, 2.0, 2.0]), 0.0001: slow_start}, lead=0.5,
                 first_epoch=2)
    assert raced.stopped == {0.0001: 2} and raced.chosen == 0.1      # the grid's: 0.0001


def test_a_tie_goes_to_the_larger_rate_as_the_grid_s_does():
    assert race({0.01: history([2, 1]), 0.1: history([2, 1])}).chosen == 0.1


PROTOCOL = ROOT / "reports/published/mnist-protocol"


def test_on_the_published_protocol_run_racing_makes_the_grid_s_six_choices_for_a_quarter():
    runs = collect(sorted((PROTOCOL / "runs/results").glob("**/metrics.json")))
    table = replay(runs, load_histories(runs), lead=0.5, first_epoch=5)
    assert len(table) == 6 and (table["grid_choice"] == table["race_choice"]).all()
    assert table["grid_core_hours"].sum() == pytest.approx(17.5, abs=0.05)
    assert table["race_core_hours"].sum() == pytest.approx(4.4, abs=0.05)
    wider = replay(runs, load_histories(runs), lead=1.0, first_epoch=10)
    assert (wider["grid_choice"] == wider["race_choice"]).all()
    assert wider["race_core_hours"].sum() == pytest.approx(5.7, abs=0.05)


def test_the_command_prints_the_replay():
    said = rectifier("race-replay", PROTOCOL, cwd=ROOT).stdout
    assert "chooses the grid's rate in 6 of 6 configurations and spends 4.4 of the " \
        "candidates' 17.5 core-hours" in said


def test_a_rate_that_diverged_may_lead_but_is_never_chosen():
    """Its history stops before the epoch that diverged, so its best looks finite; the grid
    never chooses it (runs.collect reads its validation error as infinite), nor may racing."""
    blew_up = history([5, 3, 2, 1.8, 1.6, 1.5])
    steady = history([6, 5, 4, 3, 2.5, 2.3, 2.1, 2.0, 1.9, 1.8])
    assert race({0.1: blew_up, 0.01: steady}).chosen == 0.1
    raced = race({0.1: blew_up, 0.01: steady}, diverged=frozenset({0.1}))
    assert raced.chosen == 0.01
