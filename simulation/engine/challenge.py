"""Bueno de Mesquita's expected-utility ("challenge") group decision model, as numpy arrays.

Formulation: Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model", Journal of Theoretical Politics 23(4), 510-531, *as their own program computes it*. That
program is not public; its behaviour is known from J. Velev's Python replication
(github.com/jmckib/bdm-scholz-expected-utility-model, commit 55f63e9, "Perfect replication of
bdm-scholz results up to 10 rounds"; its comments say where Scholz's program departs from the
paper), whose output on the paper's example (BDM 1994's EC car emission standards, Scholz et al.
Table 1) is published as `Example.log` in github.com/dmasad/bdm-scholz-expected-utility-model
(commit d7c7bba). `tests/test_challenge.py` reproduces that log. Section numbers are those of
Scholz et al. as D. Masad's replication (github.com/dmasad/BDM_DecisionModel_Replication) cites
them; the article itself was not at hand.

One round, per issue (Appendix, steps 2-11):
  1. every r_i = 1; votes, probabilities of success P_ij, expected utilities E(U_ij) (sections 2-4);
  2. security: actor i's danger is the sum of the others' E(U_ji) against it, scaled between the
     most and least endangered actor into R_i in [-1, 1], and r_i = (1 - R_i/3)/(1 + R_i/3)
     (section 5: r_i in [0.5, 2], above 1 risk-averse);
  3. votes, P_ij and E(U) again with these r_i; each actor i reads every dyad from its own point of
     view, E^i(U_ij) and E^i(U_ji), both with r_i (section 6), classifies it as confrontation,
     compromise or capitulation and accepts its best offer; all actors move at once.

How this differs from the other published formulations:
  - BDM (1985, 1994, 1997) gives the equations only in part; Scholz et al. fill the gaps. The
    `(1 - Q)` improvement/deterioration term (U_b, U_w with T) is BDM's and is kept here, although
    Scholz et al. and the reference use Q = 1, where it vanishes.
  - Scholz's program, unlike the paper's P_ij = sum(positive votes) / sum(|votes|) of the dyad
    (as both replications read it), divides the positive votes for i against j by the absolute
    votes summed over *all* ordered pairs of positions (so the P_ij are small), and a voter k
    weighs distances with its own current r_k. Both are kept: they are what reproduces the
    published numbers. (With the dyad's own denominator nearly every actor loses a confrontation
    in round 1 of the example and all sit at 7 after round 3.)
  - Risk: BDM (1985) compares an actor's danger at its possible positions; Scholz et al. compare
    the danger across actors. The latter is used.
  - Scholz's program ranks offers confrontation > compromise > capitulation and, among
    compromises, takes the one with the *lowest* weighted position, a rule that favours the low
    end of the scale; the paper says an actor takes the offer that moves it least.
    `ChallengeParameters.offer_rule` picks "least_move" (default: the paper's text, symmetric in
    the scale) or "reference" (the program; reproduces all ten published rounds; "least_move"
    agrees on rounds 1-3 and departs in round 4). Both keep the ranking of the types.
  - The reference tests capitulation with `eu_ji < abs(eu_ji)`, never true; the condition
    (E^i(U_ji) > 0 > E^i(U_ij) and E^i(U_ji) < |E^i(U_ij)|) is coded as the paper states it. In the
    example no capitulation arises, so the published rounds are unaffected.
  - Additions for this project: an actor with salience 0 makes no offers (with Q = 1 the
    equations already ensure it; with Q < 1 they would not); ties between equally good offers go
    to the stronger offer, then to the one nearer the median, then to the lower position, so
    results never depend on the order of actors; positions within 1e-9 of the scale count as
    one; the weighted median of an exact even split is the midpoint.
  - KTAB (KAPSARC's toolkit) models bargaining as "probabilistic Condorcet elections" over
    proposals in a multi-dimensional spatial model of politics (SMP), not as BDM's dyadic
    challenges; it is not followed here.

Positions are on any common scale (the project uses 0-100); utilities use |x_max - x_min|, fixed
per issue at the spread of the starting positions unless `position_range` says otherwise.
Arrays: positions and saliences (n, k) for n actors and k issues, capability (n,); dyad arrays
are (n, n, k) with the receiver / perceiver i first and the other actor j second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

NONE, CONFRONTATION, COMPROMISE, CAPITULATION = 0, 1, 2, 3
# positions closer than this share of |x_max - x_min| count as one: no offers between them, since
# E^i(U_ij) and E^i(U_ji) there differ only by rounding and would decide the offer type at random
SAME_POSITION = 1e-9
# offers whose choice criteria differ by less than this (times |x_max - x_min| for positions)
# are tied: they differ only by rounding
TIE = 1e-9
_FAR = 1e300  # added to the key of offers out of the running (finite: inf * 0 would be nan)


@dataclass(frozen=True)
class ChallengeParameters:
    """The challenge model's behavioural parameters, with the defaults of Scholz et al.'s runs."""

    q: float = 1.0  # Q: i's belief that, unchallenged, j keeps the status quo (section 2.2)
    t: float = 1.0  # T: i's belief that a change it did not force is an improvement (section 2.2)
    risk: bool = True  # r_i from the security levels (section 5); False keeps every r_i = 1
    offer_rule: Literal["least_move", "reference"] = "least_move"
    position_range: float | None = None  # |x_max - x_min|; None: spread of starting positions

    def __post_init__(self) -> None:
        """Reject values outside the model's domain, so a bad scenario fails early."""
        if not 0.0 <= self.q <= 1.0 or not 0.0 <= self.t <= 1.0:
            raise ValueError(f"q and t are probabilities, got q={self.q}, t={self.t}")
        if self.offer_rule not in ("least_move", "reference"):
            raise ValueError(f"offer_rule must be 'least_move' or 'reference': {self.offer_rule}")
        if self.position_range is not None and not self.position_range > 0:
            raise ValueError(f"position_range must be positive, got {self.position_range}")


class ChallengeOffers(NamedTuple):
    """What one round decided, for traces and tests."""

    kind: np.ndarray  # (n, n, k) int8: offer j makes to i (NONE / CONFRONTATION / ...)
    offered: np.ndarray  # (n, n, k): the position i would take on j's offer (x_i if none)
    accepted: np.ndarray  # (n, k) int8: kind of the offer i accepted, NONE if it stayed
    partner: np.ndarray  # (n, k) int: actor whose offer i accepted, -1 if none
    eu_challenge: np.ndarray  # (n, n, k): E^i(U_ij), i's expected utility of challenging j
    eu_challenged: np.ndarray  # (n, n, k): E^i(U_ji), j's utility of challenging i, as i sees it
    risk: np.ndarray  # (n, k): the r_i of the round
    median: np.ndarray  # (k,): weighted median at the start of the round


class ChallengeTrajectory(NamedTuple):
    """Several rounds: the forecast and the positions after each round (row 0: the start)."""

    medians: np.ndarray  # (rounds + 1, k)
    means: np.ndarray  # (rounds + 1, k)
    positions: np.ndarray  # (rounds + 1, n, k)


def _weights(saliences: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """Capability x salience, the weight of each actor's vote on each issue (section 3.2)."""
    return capability[:, None] * saliences


def weighted_median(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The forecast (k,): the weighted median position, the Condorcet winner of linear votes."""
    # section 3.2; an exact even split gives the midpoint of the two middle positions, weights
    # all zero the plain median
    order = np.argsort(positions, axis=0, kind="stable")
    xs = np.take_along_axis(positions, order, axis=0)
    cum = np.cumsum(np.take_along_axis(weights, order, axis=0), axis=0)
    total = cum[-1]
    half, tol = 0.5 * total, 1e-12 * np.maximum(total, 1e-300)
    lo = np.argmax(cum >= half - tol, axis=0)
    above = cum > half + tol
    hi = np.where(above.any(axis=0), np.argmax(above, axis=0), lo)
    cols = np.arange(positions.shape[1])
    median = 0.5 * (xs[lo, cols] + xs[hi, cols])
    return np.where(total > 0, median, np.median(positions, axis=0))


def weighted_mean(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The capability x salience weighted mean position per issue (k,), BDM's second summary."""
    total = weights.sum(axis=0)
    mean = (weights * positions).sum(axis=0) / np.where(total > 0, total, 1.0)
    return np.where(total > 0, mean, positions.mean(axis=0))


def forecast(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted median and weighted mean per issue, the model's outcome forecast."""
    weights = _weights(saliences, capability)
    return weighted_median(positions, weights), weighted_mean(positions, weights)


def starting_range(positions: np.ndarray, params: ChallengeParameters) -> np.ndarray:
    """|x_max - x_min| per issue (k,): the scale of every utility, fixed from the start."""
    if params.position_range is not None:
        return np.full(positions.shape[1], float(params.position_range))
    spread = positions.max(axis=0) - positions.min(axis=0)
    return np.where(spread > 0, spread, 1.0)


class _Votes:
    """Per-round geometry of the votes, shared by both passes (r = 1, then the r_i)."""

    def __init__(self, positions: np.ndarray, weights: np.ndarray, scale: np.ndarray) -> None:
        """Sort the voters and find, per dyad, those below the midpoint of x_i and x_j."""
        # in one dimension the voters nearer x_i than x_j are those on x_i's side of the midpoint
        n, k = positions.shape
        self.n, self.k = n, k
        order = np.argsort(positions, axis=0, kind="stable")
        xs = np.take_along_axis(positions, order, axis=0)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n)[:, None], axis=0)
        self.order = order
        self.sorted_weights = np.take_along_axis(weights, order, axis=0)
        # distance of the voter of rank v to target j, on the utility scale: (v, j, k)
        self.voter_distance = np.abs(xs[:, None, :] - positions[None, :, :]) / scale
        # voters below the midpoint of x_i and x_j; searched in sorted order (sorted queries
        # are several times faster), then read back for actors; a loop over issues, not dyads
        counts = np.empty((k, n, n), dtype=np.intp)
        for issue in range(k):
            ordered = xs[:, issue]
            counts[issue] = np.searchsorted(ordered, 0.5 * (ordered[:, None] + ordered[None, :]))
        below = counts[np.arange(k), rank[:, None, :], rank[None, :, :]]
        # voters exactly at a midpoint vote 0 either way, so either side of the search is right;
        # flat index into the prefix sums G[v, j, k] of shape (n + 1, n, k)
        below *= n * k
        below += (np.arange(n)[:, None] * k + np.arange(k))[None, :, :]
        self.flat = below
        self.left = positions[:, None, :] < positions[None, :, :]

    def support(self, exponents: np.ndarray | None) -> np.ndarray:
        """Votes for x_i over x_j (n, n, k), sum_k max(0, v_k), from prefix sums in O(n^2 k)."""
        # section 4: v_k = c_k s_k (d_kj^r_k - d_ki^r_k), d on the utility scale, the voter's own
        # r_k as in Scholz's program; `exponents` None means every r_k = 1
        n, k = self.n, self.k
        prefix = np.empty((n + 1, n, k))
        prefix[0] = 0.0
        utility = prefix[1:]
        if exponents is None:
            np.multiply(self.voter_distance, self.sorted_weights[:, None, :], out=utility)
        else:
            sorted_r = np.take_along_axis(exponents, self.order, axis=0)
            with np.errstate(divide="ignore"):
                np.log(self.voter_distance, out=utility)
            utility *= sorted_r[:, None, :]
            np.exp(utility, out=utility)
            utility *= self.sorted_weights[:, None, :]
        np.cumsum(utility, axis=0, out=utility)
        # voters left of the midpoint: sum w (d_kj - d_ki), from the prefix sums of target j and i
        left_sum = np.take(prefix.ravel(), self.flat)
        difference = left_sum - left_sum.transpose(1, 0, 2)
        # voters right of it, for x_i > x_j; where x_i = x_j both expressions are exactly 0
        totals = prefix[n]
        votes = totals[None, :, :] - totals[:, None, :]
        votes -= difference
        np.copyto(votes, difference, where=self.left)
        return np.maximum(votes, 0.0, out=votes)


def vote_support(
    positions: np.ndarray,
    weights: np.ndarray,
    scale: np.ndarray,
    exponents: np.ndarray | None = None,
) -> np.ndarray:
    """Capability x salience weighted votes for x_i over x_j (n, n, k), one pass (section 4)."""
    return _Votes(positions, weights, scale).support(exponents)


def probability_of_success(support: np.ndarray) -> np.ndarray:
    """P_ij (n, n, k): i's votes against j over all votes of all pairs, as Scholz's program."""
    # section 4: the denominator sum_ab sum_k |v_k(a, b)| = sum_ab (support_ab + support_ba)
    total = 2.0 * support.sum(axis=(0, 1))
    return support / np.where(total > 0, total, 1.0)


def basic_utilities(
    distance: np.ndarray, risk: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Utilities of success, failure (n, n, k) and status quo (n, k) to perceiver i (section 3)."""
    # 2 - 4 (0.5 -/+ 0.5 d_ij)^r_i and 2 - 4 (0.5)^r_i; `risk` None is every r_i = 1: 2d, -2d, 0
    if risk is None:
        success = 2.0 * distance
        return success, -success, np.zeros(distance.shape[1:])
    r = risk[:, None, :]
    success = np.power(0.5 - 0.5 * distance, r)
    success *= -4.0
    success += 2.0
    failure = np.power(0.5 + 0.5 * distance, r)
    failure *= -4.0
    failure += 2.0
    return success, failure, 2.0 - 4.0 * 0.5**risk


def change_utilities(
    distance: np.ndarray, to_median: np.ndarray, risk: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Utilities of an unforced improvement and deterioration (n, n, k) to perceiver i."""
    # section 3: 2 - 4 (0.5 -/+ 0.25 (|x_a - mu| + |x_a - x_b|))^r_i for challenger a, target b;
    # `to_median` is |x_a - mu| on the utility scale, broadcastable against `distance`
    shift = 0.25 * np.minimum(to_median + distance, 2.0)
    if risk is None:
        return 4.0 * shift, -4.0 * shift
    r = risk[:, None, :]
    return 2.0 - 4.0 * (0.5 - shift).clip(0.0) ** r, 2.0 - 4.0 * (0.5 + shift) ** r


def expected_utilities(
    distance: np.ndarray,
    saliences: np.ndarray,
    probability: np.ndarray,
    risk: np.ndarray | None,
    to_median: np.ndarray,
    params: ChallengeParameters,
    perceived: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """E^i(U_ij) and E^i(U_ji) (n, n, k), both as i sees them, with its own r_i (section 2.2)."""
    # s_b [P_ab U_s + (1 - P_ab) U_f] + (1 - s_b) U_s - Q U_sq - (1 - Q)[T U_b + (1 - T) U_w] for
    # challenger a and target b; `to_median` (n, k) is |x - mu| on the utility scale; without
    # `perceived` only E^i(U_ij) is computed (the security levels need no more)
    success, failure, status_quo = basic_utilities(distance, risk)
    gap = np.subtract(success, failure, out=failure)
    base = success
    if params.q:
        base -= params.q * status_quo[:, None, :]
    # i challenges j, who resists with probability s_j: U_s - s_j (1 - P_ij)(U_s - U_f)
    challenge = np.subtract(1.0, probability)
    challenge *= saliences[None, :, :]
    challenge *= gap
    np.subtract(base, challenge, out=challenge)
    challenged = None
    if perceived:  # j challenges i (P_ji: the transpose), i resisting with probability s_i
        challenged = np.subtract(1.0, probability.transpose(1, 0, 2))
        challenged *= saliences[:, None, :]
        challenged *= gap
        np.subtract(base, challenged, out=challenged)
    if params.q < 1.0:
        pairs = [(challenge, to_median[:, None, :])]
        if challenged is not None:
            pairs.append((challenged, to_median[None, :, :]))
        for array, challenger_gap in pairs:
            better, worse = change_utilities(distance, challenger_gap, risk)
            array -= (1.0 - params.q) * (params.t * better + (1.0 - params.t) * worse)
    return challenge, challenged


def risk_exponents(eu_neutral: np.ndarray) -> np.ndarray:
    """Risk exponents r_i (n, k) in [0.5, 2] from the actors' security levels (section 5)."""
    # danger_i = sum_{j != i} E^j(U_ji) at r = 1; R_i = (2 danger_i - max - min) / (max - min)
    # over the actors; r_i = (1 - R_i/3) / (1 + R_i/3): the most endangered accept risk
    danger = eu_neutral.sum(axis=0) - np.diagonal(eu_neutral).T
    high, low = danger.max(axis=0), danger.min(axis=0)
    spread = high - low
    acceptance = (2.0 * danger - high - low) / np.where(spread > 0, spread, 1.0)
    acceptance = np.where(spread > 0, acceptance, 0.0)
    return (1.0 - acceptance / 3.0) / (1.0 + acceptance / 3.0)


def classify_offers(
    eu_challenge: np.ndarray, eu_challenged: np.ndarray, can_offer: np.ndarray
) -> np.ndarray:
    """The offer j makes to i (n, n, k) int8, from i's expected utilities (section 6)."""
    # confrontation i loses: E_ji > E_ij > 0; compromise: E_ji > 0 > E_ij and E_ji > |E_ij|;
    # capitulation: E_ji > 0 > E_ij and E_ji < |E_ij|; none elsewhere and where not `can_offer`.
    # Boolean arithmetic, not masked assignment: several times faster on scattered masks
    ij, ji = eu_challenge, eu_challenged
    kind = ((ji > ij) & (ij > 0.0) & can_offer).view(np.int8).copy()
    pressed = (ji > 0.0) & (ij < 0.0) & can_offer
    balance = ji + ij  # its sign is exactly that of E_ji - |E_ij| (IEEE subtraction)
    kind += (pressed & (balance > 0.0)).view(np.int8) * np.int8(COMPROMISE)
    kind += (pressed & (balance < 0.0)).view(np.int8) * np.int8(CAPITULATION)
    return kind


def offered_positions(
    kind: np.ndarray, eu_challenge: np.ndarray, eu_challenged: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    """Where each offer would put i (n, n, k): x_j, x_i + (x_j - x_i)|E_ij/E_ji|, or x_i."""
    # section 6: x_j on confrontation and capitulation, the share on compromise, x_i without offer
    xi, xj = positions[:, None, :], positions[None, :, :]
    compromise = kind == COMPROMISE
    share = np.abs(eu_challenged)
    share += ~compromise  # keeps the unused shares finite (E_ji may be 0 there)
    np.divide(np.abs(eu_challenge), share, out=share)
    share *= compromise
    offered = xj - xi
    offered *= share
    offered += xi
    return np.where((kind == CONFRONTATION) | (kind == CAPITULATION), xj, offered)


def best_offers(
    kind: np.ndarray,
    offered: np.ndarray,
    eu_challenge: np.ndarray,
    eu_challenged: np.ndarray,
    positions: np.ndarray,
    median: np.ndarray,
    scale: np.ndarray,
    rule: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each actor's accepted offer: new positions, its kind and its sender (n, k), -1 if none."""
    # section 6: the best type (confrontation, compromise, capitulation), within it the smallest
    # move ("least_move"), or for compromises under "reference" the lowest weighted position
    # (|E_ij| x_i + |E_ji| x_j) / (|E_ij| + |E_ji|). Ties within rounding go to the larger
    # E^i(U_ji), then nearer the median (k,), then the lower position: no order of the actors,
    # and but for the last rule no direction of the scale, sways the choice
    rank = kind + (kind == NONE).view(np.int8) * np.int8(4)  # 1 < 2 < 3 < none (4)
    best_rank = rank.min(axis=1)
    xi = positions[:, None, :]
    key = np.abs(offered - xi)
    if rule == "reference":
        compromise = kind == COMPROMISE
        a, b = np.abs(eu_challenge), np.abs(eu_challenged)
        weighted = (a * xi + b * positions[None, :, :]) / (a + b + ~compromise)
        key = np.where(compromise, weighted, key)
    key += (rank != best_rank[:, None, :]) * _FAR  # out of the running
    candidates = key <= key.min(axis=1, keepdims=True) + TIE * scale
    partner = np.argmax(candidates, axis=1)
    moves = best_rank < 4
    several = moves & (candidates.sum(axis=1) > 1)
    if several.any():
        i, issue = np.nonzero(several)
        pick = candidates[i, :, issue]  # (m, n): the tied offers of each undecided actor
        criteria = (  # lower is better; each with its rounding tolerance
            (-eu_challenged[i, :, issue], TIE),
            (np.abs(offered[i, :, issue] - median[issue, None]), TIE * scale[issue, None]),
        )
        for value, tolerance in criteria:
            value = np.where(pick, value, np.inf)
            pick &= value <= value.min(axis=1, keepdims=True) + tolerance
        partner[i, issue] = np.argmin(np.where(pick, offered[i, :, issue], np.inf), axis=1)
    chosen = partner[:, None, :]
    new_positions = np.where(moves, np.take_along_axis(offered, chosen, axis=1)[:, 0], positions)
    accepted = np.where(moves, np.take_along_axis(kind, chosen, axis=1)[:, 0], NONE)
    return new_positions, accepted.astype(np.int8), np.where(moves, partner, -1)


def challenge_round(
    positions: np.ndarray,
    saliences: np.ndarray,
    capability: np.ndarray,
    params: ChallengeParameters,
    position_range: np.ndarray | None = None,
) -> tuple[np.ndarray, ChallengeOffers]:
    """One round of challenges on every issue (Appendix, steps 2-11): new positions and offers."""
    # `position_range` (k,) keeps |x_max - x_min| fixed across rounds (None: from `positions`)
    positions = np.asarray(positions, dtype=float)
    saliences = np.asarray(saliences, dtype=float)
    capability = np.asarray(capability, dtype=float)
    _check(positions, saliences, capability)
    scale = starting_range(positions, params) if position_range is None else position_range
    scale = np.broadcast_to(np.asarray(scale, dtype=float), positions.shape[1:])
    weights = _weights(saliences, capability)
    median = weighted_median(positions, weights)
    to_median = np.abs(positions - median) / scale
    distance = np.abs(positions[:, None, :] - positions[None, :, :])
    distance /= scale
    np.minimum(distance, 1.0, out=distance)
    votes = _Votes(positions, weights, scale)
    if params.risk:
        probability = probability_of_success(votes.support(None))
        eu_neutral, _ = expected_utilities(
            distance, saliences, probability, None, to_median, params, perceived=False
        )
        risk = risk_exponents(eu_neutral)
        probability = probability_of_success(votes.support(risk))
    else:
        risk = np.ones_like(positions)
        probability = probability_of_success(votes.support(None))
    eu_challenge, eu_challenged = expected_utilities(
        distance, saliences, probability, None if not params.risk else risk, to_median, params
    )
    assert eu_challenged is not None
    can_offer = (distance > SAME_POSITION) & (saliences[None, :, :] > 0)
    kind = classify_offers(eu_challenge, eu_challenged, can_offer)
    offered = offered_positions(kind, eu_challenge, eu_challenged, positions)
    new_positions, accepted, partner = best_offers(
        kind, offered, eu_challenge, eu_challenged, positions, median, scale, params.offer_rule
    )
    offers = ChallengeOffers(
        kind, offered, accepted, partner, eu_challenge, eu_challenged, risk, median
    )
    return new_positions, offers


def run_challenge(
    positions: np.ndarray,
    saliences: np.ndarray,
    capability: np.ndarray,
    params: ChallengeParameters,
    rounds: int,
) -> ChallengeTrajectory:
    """Several rounds from one |x_max - x_min|: weighted median, mean and positions each round."""
    positions = np.asarray(positions, dtype=float)
    saliences = np.asarray(saliences, dtype=float)
    capability = np.asarray(capability, dtype=float)
    _check(positions, saliences, capability)
    scale = starting_range(positions, params)
    path = [positions]
    for _ in range(rounds):
        positions, _ = challenge_round(positions, saliences, capability, params, scale)
        path.append(positions)
    trajectory = np.stack(path)
    weights = _weights(saliences, capability)
    medians = np.stack([weighted_median(x, weights) for x in trajectory])
    means = np.stack([weighted_mean(x, weights) for x in trajectory])
    return ChallengeTrajectory(medians, means, trajectory)


def _check(positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray) -> None:
    """Reject arrays of the wrong shape or domain before they give silent nonsense."""
    if positions.ndim != 2 or saliences.shape != positions.shape:
        raise ValueError(
            f"positions and saliences must be (n, k): {positions.shape}, {saliences.shape}"
        )
    if capability.shape != positions.shape[:1]:
        raise ValueError(f"capability must be (n,) = {positions.shape[:1]}: {capability.shape}")
    if not (np.isfinite(positions).all() and np.isfinite(saliences).all()):
        raise ValueError("positions and saliences must be finite")
    if (saliences < 0).any() or (saliences > 1).any():
        raise ValueError("saliences must lie in [0, 1]")
    if not (capability > 0).all():
        raise ValueError("capabilities must be positive")
