from ._mapwright import (
    Mapping as Mapping,
    MappingError as MappingError,
    MapwrightError as MapwrightError,
    Outcome as Outcome,
    ParamsError as ParamsError,
)

__all__ = ["Mapping", "Outcome", "MapwrightError", "MappingError", "ParamsError"]
