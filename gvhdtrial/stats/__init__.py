"""Statistics engine of the analysis plan, validated against R (survival, cmprsk).

The public API is listed here; everything else in this package is private.
"""

__all__: list[str] = []
