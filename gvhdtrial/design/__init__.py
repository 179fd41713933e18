"""Planning the next trial: group-sequential designs, sample size, power and simulation.

Names are rpact's in snake_case, for arguments and result attributes alike.
"""

from gvhdtrial.design.group_sequential import TrialDesign, group_sequential

__all__ = ["TrialDesign", "group_sequential"]
