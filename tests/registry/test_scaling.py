"""The scaling-law fit: known laws recovered, effective compute within its interval, ill-posed fits fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalegate.errors import FitError, InputError
from scalegate.registry.scaling import aggregate_loss, fit_scaling_law

LAWS = [
    {"E": 1.7, "A": 400.0, "alpha": 0.15},
    {"E": 2.1, "A": 80.0, "alpha": 0.09},
    {"E": 1.2, "A": 200.0, "alpha": 0.12},
]


def noisy_points(
    law: dict[str, float], seed: int, noise: float = 0.003, n: int = 14
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    compute = np.logspace(18, 24, n)
    loss = (law["E"] + law["A"] * compute ** (-law["alpha"])) * np.exp(rng.normal(0.0, noise, n))
    return compute, loss


@pytest.mark.parametrize("law", LAWS)
def test_exact_points_recover_the_law(law: dict[str, float]) -> None:
    compute = np.logspace(18, 24, 8)
    fitted = fit_scaling_law(compute, law["E"] + law["A"] * compute ** (-law["alpha"]))
    assert pytest.approx(law["E"], rel=1e-6) == fitted.E
    assert pytest.approx(law["A"], rel=1e-5) == fitted.A
    assert fitted.alpha == pytest.approx(law["alpha"], rel=1e-6)
    assert fitted.rmse_log < 1e-9


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_points_recover_the_law_within_tolerance(law: dict[str, float], seed: int) -> None:
    fitted = fit_scaling_law(*noisy_points(law, seed))
    se = fitted.standard_errors()
    assert fitted.alpha == pytest.approx(law["alpha"], rel=0.1)
    assert pytest.approx(law["E"], rel=0.03) == fitted.E
    assert pytest.approx(law["A"], rel=0.6) == fitted.A  # A trades off against alpha over six decades
    assert abs(fitted.alpha - law["alpha"]) < 4 * se["alpha"] + 1e-12
    assert abs(fitted.E - law["E"]) < 4 * se["E"] + 1e-12


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("true_compute", [3e19, 2e21, 7e23])
def test_effective_compute_falls_in_its_interval(law: dict[str, float], true_compute: float) -> None:
    fitted = fit_scaling_law(*noisy_points(law, seed=7))
    loss = law["E"] + law["A"] * true_compute ** (-law["alpha"])
    estimate = fitted.effective_compute(loss, seed=11)
    assert estimate.method == "scaling_law"
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low <= estimate.value <= estimate.high
    assert estimate.low <= true_compute <= estimate.high
    assert estimate.value == pytest.approx(true_compute, rel=0.35)
    assert estimate.high / estimate.low < 10  # an interval, not "anything"


def test_interval_is_reproducible_with_the_seed() -> None:
    fitted = fit_scaling_law(*noisy_points(LAWS[0], seed=5))
    first = fitted.effective_compute(2.0, seed=3)
    assert fitted.effective_compute(2.0, seed=3) == first


def test_extrapolation_beyond_the_reference_points_is_flagged() -> None:
    fitted = fit_scaling_law(*noisy_points(LAWS[0], seed=5))
    far = fitted.effective_compute(LAWS[0]["E"] + LAWS[0]["A"] * 1e27 ** (-LAWS[0]["alpha"]), seed=1)
    near = fitted.effective_compute(LAWS[0]["E"] + LAWS[0]["A"] * 1e21 ** (-LAWS[0]["alpha"]), seed=1)
    assert far.extrapolated and "extrapolated" in far.note
    assert not near.extrapolated


def test_loss_near_the_irreducible_term_has_an_unbounded_upper_end() -> None:
    fitted = fit_scaling_law(*noisy_points(LAWS[0], seed=5, noise=0.01))
    estimate = fitted.effective_compute(fitted.E * 1.0005, seed=1)
    assert estimate.high is None
    assert estimate.low is not None and estimate.low <= estimate.value


def test_too_few_points_are_refused() -> None:
    with pytest.raises(FitError, match="at least 4 reference points at distinct compute; got 3"):
        fit_scaling_law([1e20, 1e21, 1e22], [2.5, 2.2, 2.0])


def test_repeated_compute_does_not_count_as_more_points() -> None:
    with pytest.raises(FitError, match="got 2"):
        fit_scaling_law([1e20, 1e20, 1e21, 1e21], [2.5, 2.51, 2.2, 2.21])


def test_loss_that_does_not_fall_with_compute_is_refused() -> None:
    compute = np.logspace(18, 24, 8)
    with pytest.raises(FitError, match="not a positive power law"):
        fit_scaling_law(compute, 1.7 + 0.1 * np.log10(compute))


@pytest.mark.parametrize(("compute", "loss"), [(-1.0, 2.0), (1e20, 0.0), (1e20, math.nan), (math.inf, 2.0)])
def test_non_positive_or_non_finite_points_are_refused(compute: float, loss: float) -> None:
    with pytest.raises(FitError, match=r"reference point 2 .* must have positive finite values"):
        fit_scaling_law([1e19, compute, 1e21, 1e22, 1e23], [2.6, loss, 2.2, 2.0, 1.9])


def test_checkpoint_loss_below_the_irreducible_term_is_refused() -> None:
    compute = np.logspace(18, 24, 8)
    fitted = fit_scaling_law(compute, 1.7 + 400 * compute**-0.15)
    with pytest.raises(FitError, match=r"loss 1\.6 is at or below the fitted irreducible loss E=1\.7"):
        fitted.effective_compute(1.6)


def test_weighted_aggregate_loss() -> None:
    assert aggregate_loss({"code": 2.0, "bio": 3.0}, {"code": 3.0, "bio": 1.0}) == pytest.approx(2.25)
    assert aggregate_loss({"code": 2.0, "bio": 3.0}) == pytest.approx(2.5)
    assert aggregate_loss({"code": 2.0, "bio": 3.0, "web": 9.0}, {"code": 1.0, "bio": 1.0}) == pytest.approx(
        2.5
    )
    with pytest.raises(InputError, match="missing for weighted dataset"):
        aggregate_loss({"code": 2.0}, {"code": 1.0, "bio": 1.0})
    with pytest.raises(InputError, match="not all zero"):
        aggregate_loss({"code": 2.0}, {"code": 0.0})


@pytest.mark.parametrize("loss", [1.7000001, 1e5])
def test_effective_compute_outside_the_recordable_range_is_refused(loss: float) -> None:
    law = fit_scaling_law(
        [10.0**e for e in range(18, 25)], [1.7 + 400.0 * 10.0 ** (-0.15 * e) for e in range(18, 25)]
    )
    with pytest.raises(FitError, match="outside the 1-1e\\+40 FLOP a record may hold"):
        law.effective_compute(loss)
