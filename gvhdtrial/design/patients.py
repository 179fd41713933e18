"""Patient-level trial simulation, and sample size for a competing-risks endpoint.

**Competing risks** (e.g. chronic GVHD with death as a competing event, or non-relapse
mortality with relapse competing). The control arm's cumulative incidence of the event of
interest is F0(t) = p (1 - exp(-lambda t)), the experimental arm's follows the Fine-Gray
model with subdistribution hazard ratio ``shr``, F1(t) = 1 - (1 - F0(t))^shr (Fine & Gray,
JASA 1999;94:496-509, their simulation model); a patient without the event of interest has
the competing event at an exponential time (rate ``competing_rate``). Entry is uniform over
the accrual time, the analysis at its end plus the follow-up; drop-out is exponential.

:func:`sample_size_competing` is the Latouche-Porcher formula (Latouche, Porcher & Chevret,
J Clin Epidemiol 2004;57:1223-9; Latouche & Porcher, Stat Med 2007;26:5370-80): Schoenfeld's
number of events of interest for the log subdistribution hazard ratio,

    e = (z_{1 - alpha / 2} + z_{1 - beta})^2 / (q (1 - q) log(shr)^2),  q = r / (1 + r),

divided by psi, the probability that a patient's event of interest is observed before the
analysis (the cumulative incidences averaged over entry times, drop-out and arms). It is
checked by simulating trials at that size and testing them with Gray's test
(tests/design/test_patients.py).

**Patient-level trials** (:class:`PatientTrialScenario`): each patient has an arm, a
subgroup (gut involvement or not), baseline MAGIC organ stages, a day-28 assessment drawn
from the assumed response rates (a patient may die before day 28 or drop out), and the
competing-risks times above. Day-28 response is classified by the protocol engine
(:func:`gvhdtrial.protocol.assess_response`: death -> NR, CR, PD, PR, NR), and each trial
is analysed like a real one: ORR by :func:`gvhdtrial.stats.compare_proportions` (the
analysis plan's rule; each distinct table's p-value is computed once and remembered) and
the competing-risks endpoint by Gray's test. Trials are drawn and tested in batches
(:meth:`PatientTrialScenario.trials`): patients as trials x patients arrays, Gray's test by
:func:`gvhdtrial.stats.gray_test_batch`, which gives per trial what
:func:`gvhdtrial.stats.gray_test` gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy import integrate
from scipy.special import ndtri

from gvhdtrial.design.exact import sap_p_value
from gvhdtrial.protocol import OrganStages, Response, assess_response
from gvhdtrial.stats import gray_test_batch


@dataclass(frozen=True)
class CompetingRiskModel:
    """Event of interest (cause 1) and a competing event (cause 2), by arm (module doc)."""

    p: float = 0.4  # plateau of the control arm's cumulative incidence of cause 1
    rate: float = 1 / 6  # lambda, per month
    shr: float = 0.5  # subdistribution hazard ratio, experimental vs control
    competing_rate: float = 0.03  # cause 2 among those without cause 1, per month
    accrual_time: float = 24.0
    follow_up_time: float = 12.0
    dropout_rate: float = 0.0  # exponential, per month

    def cif(self, t, experimental: bool):
        f0 = self.p * (1 - np.exp(-self.rate * np.asarray(t, dtype=float)))
        return 1 - (1 - f0) ** self.shr if experimental else f0

    def draw(self, rng: np.random.Generator, experimental: np.ndarray):
        """(time, status) with status 0 censored, 1 event of interest, 2 competing event."""
        n = experimental.shape  # one trial (n,) or a batch of trials (trials, n)
        u = rng.random(n)
        plateau = np.where(experimental, 1 - (1 - self.p) ** self.shr, self.p)
        cause1 = u < plateau
        shr = np.where(experimental, self.shr, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = 1 - (1 - (1 - u) ** (1 / shr)) / self.p
            t1 = -np.log(np.where(cause1, inner, 1.0)) / self.rate
        t2 = rng.exponential(1 / self.competing_rate, n)
        time = np.where(cause1, t1, t2)
        status = np.where(cause1, 1, 2)
        entry = rng.uniform(0, self.accrual_time, n)
        censor = self.accrual_time + self.follow_up_time - entry
        if self.dropout_rate > 0:
            censor = np.minimum(censor, rng.exponential(1 / self.dropout_rate, n))
        observed = time <= censor
        return np.where(observed, time, censor), np.where(observed, status, 0)


@dataclass(frozen=True)
class CompetingSampleSize:
    events: float
    psi: float
    max_number_of_subjects: float
    shr: float
    alpha: float
    beta: float


def sample_size_competing(
    model: CompetingRiskModel,
    alpha: float = 0.05,
    beta: float = 0.2,
    allocation_ratio_planned: float = 1.0,
) -> CompetingSampleSize:
    """Latouche-Porcher sample size for Gray's test / Fine-Gray, two-sided alpha."""
    if not (model.shr > 0 and model.shr != 1):
        raise ValueError(f"shr must be > 0 and != 1, got {model.shr}")
    if not 0 < model.p <= 1:
        raise ValueError(f"p must be in (0, 1], got {model.p}")
    r = allocation_ratio_planned
    q = r / (1 + r)
    z = ndtri(1 - alpha / 2) + ndtri(1 - beta)
    events = z**2 / (q * (1 - q) * math.log(model.shr) ** 2)

    a, f, d = model.accrual_time, model.follow_up_time, model.dropout_rate

    def observed(experimental: bool) -> float:
        # P(cause 1 observed) = E over the censoring time C of F1(C) with drop-out folded in:
        # integral over t of f1(t) P(C > t); C = min(admin, drop-out)
        def p_censor_after(t):
            admin = np.clip((a + f - t) / a, 0.0, 1.0)
            return admin * math.exp(-d * t)

        def dens(t):  # d/dt of the cumulative incidence of cause 1
            f0 = model.p * (1 - math.exp(-model.rate * t))
            d0 = model.p * model.rate * math.exp(-model.rate * t)
            return model.shr * (1 - f0) ** (model.shr - 1) * d0 if experimental else d0

        val, _ = integrate.quad(lambda t: dens(t) * p_censor_after(t), 0, a + f, limit=200)
        return float(val)

    psi = q * observed(True) + (1 - q) * observed(False)
    return CompetingSampleSize(
        events=float(events),
        psi=psi,
        max_number_of_subjects=float(events / psi),
        shr=model.shr,
        alpha=alpha,
        beta=beta,
    )


# --- day-28 response through the protocol engine ------------------------------------------

_ORGAN_MAX = (4, 4, 1, 4)  # skin, liver, upper GI, lower GI (MAGIC)


@cache
def _protocol_response(baseline: tuple[int, ...], current: tuple[int, ...], died: bool) -> bool:
    """Responder (CR or PR) by the protocol engine's rule (paper definitions)."""
    res = assess_response(OrganStages(*baseline), OrganStages(*current), died=died)
    return res in (Response.CR, Response.PR)


_RADIX = np.array([100, 20, 10, 1])  # skin 0-4, liver 0-4 -> base-5/2/5 digits fit 0..499


def _stages_of(code: int) -> tuple[int, int, int, int]:
    return code // 100, (code // 20) % 5, (code // 10) % 2, code % 10


@cache
def _responder_by_code(code: int) -> bool:
    died = bool(code % 2)
    cur = (code // 2) % 500
    base = code // 1000
    return _protocol_response(_stages_of(base), _stages_of(cur), died)


@dataclass(frozen=True)
class PatientTrialScenario:
    """Assumptions for a patient-level trial (module docstring); runs in sweeps."""

    n_subjects: int = 120
    orr: tuple[tuple[float, float], tuple[float, float]] = ((0.333, 0.45), (0.667, 0.70))
    # orr[arm][subgroup]: arm 0 control, 1 experimental; subgroup 0 gut, 1 no gut
    p_gut: float = 0.6
    cr_fraction: float = 0.5  # among responders, the share with every organ at stage 0
    early_death: float = 0.08  # P(death before the day-28 assessment) -> NR
    competing: CompetingRiskModel = field(default_factory=CompetingRiskModel)
    alpha: float = 0.05
    label: str = ""
    block_size: int = 100

    def trial(self, rng: np.random.Generator) -> tuple[bool, bool, int]:
        """(ORR test rejects, Gray's test rejects, responders) for one simulated trial."""
        orr_reject, gray_reject, responders = self.trials(rng, 1)
        return bool(orr_reject[0]), bool(gray_reject[0]), int(responders[0])

    def trials(
        self, rng: np.random.Generator, size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ORR test rejects, Gray's test rejects and responders for ``size`` trials at once.

        Patients are drawn as trials x patients arrays; Gray's test runs on the whole batch
        (:func:`gvhdtrial.stats.gray_test_batch`, equal per trial to ``gray_test``).
        """
        x1, n1, x2, time, status, arm = self.draw_trials(rng, size)
        n = self.n_subjects
        # the analysis plan's rule (compare_proportions), each table computed once
        orr_reject = np.array(
            [
                sap_p_value(int(a), int(m), int(b), n - int(m)) <= self.alpha
                and a * (n - m) > b * m
                for a, m, b in zip(x1, n1, x2, strict=True)
            ],
            dtype=bool,
        )
        gray = gray_test_batch(time, status, arm)
        # a trial without any event of interest cannot reject (p-value NaN there)
        gray_reject = np.nan_to_num(gray.p_value, nan=1.0) <= self.alpha
        return orr_reject, gray_reject, x1 + x2

    def draw_trials(self, rng: np.random.Generator, size: int):
        """Responders and size of the experimental arm (x1, n1), control responders (x2),
        and the competing-risks (time, status) and arm (1 experimental) of ``size`` trials,
        as trials x patients arrays."""
        n, shape = self.n_subjects, (size, self.n_subjects)
        arm = rng.permuted(np.broadcast_to(np.arange(n) % 2, shape), axis=1)  # 1:1
        gut = rng.random(shape) < self.p_gut
        # baseline stages: gut patients have lower GI 1-4, others skin 1-4; some liver
        skin = np.where(gut, rng.integers(0, 4, shape), rng.integers(1, 5, shape))
        liver = np.where(rng.random(shape) < 0.2, rng.integers(1, 4, shape), 0)
        upper = (rng.random(shape) < 0.2).astype(int)
        lower = np.where(gut, rng.integers(1, 5, shape), 0)
        base = np.stack([skin, liver, upper, lower], axis=-1)
        p_resp = np.array(self.orr)[arm, np.where(gut, 0, 1)]
        died = rng.random(shape) < self.early_death
        latent = rng.random(shape) < np.minimum(p_resp / (1 - self.early_death), 1.0)
        cr = rng.random(shape) < self.cr_fraction
        # responders: every involved organ down by at least one stage (CR: all to 0);
        # the others: unchanged, or one organ a stage worse (progression) half of the time
        drop = rng.integers(1, 3, size=base.shape)
        improved = np.where(cr[..., None], 0, np.maximum(base - drop, 0))
        worse_organ = rng.integers(0, 4, shape)
        progress = rng.random(shape) < 0.5
        bump = progress[..., None] & (worse_organ[..., None] == np.arange(4))
        worse = np.minimum(base + bump, np.array(_ORGAN_MAX))
        current = np.where(latent[..., None], improved, worse)
        # each distinct (baseline, day 28, died) is classified once by the protocol engine
        code = (base @ _RADIX) * 1000 + (current @ _RADIX) * 2 + died
        uniq, inverse = np.unique(code, return_inverse=True)
        verdict = np.array([_responder_by_code(int(c)) for c in uniq], dtype=bool)
        responder = verdict[inverse.reshape(shape)]
        x1 = (responder & (arm == 1)).sum(axis=1)
        x2 = (responder & (arm == 0)).sum(axis=1)
        n1 = (arm == 1).sum(axis=1)
        time, status = self.competing.draw(rng, arm == 1)
        return x1, n1, x2, time, status, arm

    def block(self, size: int, seed: np.random.SeedSequence) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = np.zeros(2, dtype=np.int64)
        for start in range(0, size, _CHUNK):
            o, g, _r = self.trials(rng, min(_CHUNK, size - start))
            out += (o.sum(), g.sum())
        return out


_CHUNK = 500  # trials drawn and tested together (bounds the memory of one batch)


def simulate_patients(
    scenario: PatientTrialScenario, iterations: int, seed: int
) -> dict[str, float]:
    """Power of the ORR comparison and of Gray's test over ``iterations`` trials."""
    counts = scenario.block(iterations, np.random.SeedSequence(seed))
    return {"orr_power": counts[0] / iterations, "gray_power": counts[1] / iterations}
