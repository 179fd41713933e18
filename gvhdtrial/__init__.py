"""gvhdtrial: software to run and analyse randomized trials for steroid-refractory acute GVHD.

Packages, named in the trial's own words:

- ``gvhdtrial.protocol``: the clinical rules (MAGIC staging, grading, steroid refractoriness,
  eligibility, response, treatment plan) as pure functions.
- ``gvhdtrial.stats``: the statistical methods of the analysis plan, validated against R.
"""

__version__ = "0.1.0"
