"""Planning the next trial: group-sequential designs, sample size, power and simulation.

Names are rpact's in snake_case, for arguments and result attributes alike.
"""

from gvhdtrial.design.exact import sap_power, sap_rejection_region
from gvhdtrial.design.group_sequential import TrialDesign, group_sequential
from gvhdtrial.design.rates import RatesPlan, power_rates, sample_size_rates
from gvhdtrial.design.simulation import (
    RatesSimulation,
    conditional_power,
    exact_rates,
    predictive_power,
    simulate_rates,
)
from gvhdtrial.design.survival import SurvivalPlan, sample_size_survival

__all__ = [
    "RatesPlan",
    "RatesSimulation",
    "SurvivalPlan",
    "TrialDesign",
    "conditional_power",
    "exact_rates",
    "group_sequential",
    "power_rates",
    "predictive_power",
    "sample_size_rates",
    "sample_size_survival",
    "sap_power",
    "sap_rejection_region",
    "simulate_rates",
]
