"""Types of mapwright's native module (re-exported by ``mapwright``)."""

from os import PathLike
from typing import Any, Dict, Iterable, List, Literal, Mapping as _Mapping, Optional, Sequence, TypedDict, Union

_Path = Union[str, "PathLike[str]"]
_Format = Literal["ndjson", "jsonl", "json", "xml"]

# The dicts the module hands out (type names for checkers only: the module
# has no such classes, hence the underscores).
class _Diagnostic(TypedDict):
    """One finding in a mapping, schema or lookup file."""
    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    severity: Literal["error", "warning", "note"]
    code: str  # stable, listed in docs/diagnostics.md
    message: str
    help: Optional[str]

class _Error(TypedDict):
    """One reason a record was rejected, as in the CLI's rejects line."""
    rule: str
    path: str
    message: str

class MapwrightError(Exception):
    """Something mapwright could not do; the message says what."""

class MappingError(MapwrightError):
    """A mapping, schema or lookup file is wrong or cannot be read."""
    diagnostics: List[_Diagnostic]

class ParamsError(MapwrightError):
    """The params do not fit the mapping's ``params:``, or the params file is unreadable or not YAML.

    ``diagnostics`` gives a params file's findings at their place in it
    (codes ``unreadable``, ``yaml``, ``wrong-shape``), and each value that
    does not fit at the mapping's file, line 0, code ``params``. No secret
    value is shown."""
    problems: List[str]
    diagnostics: List[_Diagnostic]

class PayloadError(MapwrightError):
    """A payload given to render does not fit its route's target schema; secret values are hidden."""
    errors: List[_Error]

class Outcome:
    """What happened to one record."""
    status: Literal["accepted", "rejected", "skipped"]
    route: Optional[str]
    """The route that built the payload (accepted only)."""
    payload: Optional[Dict[str, Any]]
    """The CLI's NDJSON output line, parsed (accepted only)."""
    ndjson: Optional[bytes]
    """The CLI's NDJSON output line with its line end (accepted only)."""
    errors: Optional[List[_Error]]
    """Every error (rejected only)."""
    source: Optional[List[Any]]
    """The record as the CLI's rejects line holds it, secrets hidden (rejected only)."""
    reason: Optional[str]
    """Why the record was set aside (skipped only)."""
    def render(self, format: _Format = "ndjson") -> str:
        """The payload in ``format``, as ``Mapping.render`` writes it (and checks it)."""

class Mapping:
    """A compiled mapping with its params, safe to share between threads."""
    @staticmethod
    def from_path(
        path: _Path,
        params: Optional[_Mapping[str, Any]] = None,
        *,
        params_file: Optional[_Path] = None,
        schema_dirs: Optional[Sequence[_Path]] = None,
        root: Optional[_Path] = None,
    ) -> "Mapping":
        """Load the mapping at ``path``; raises MappingError or ParamsError.

        ``root`` is the project the files it pulls in must stay inside (the CLI's
        ``--root``); messages name ``params=`` and ``root=``, not the CLI's flags."""
    @staticmethod
    def from_str(
        text: str,
        path: _Path = "mapping.yaml",
        params: Optional[_Mapping[str, Any]] = None,
        *,
        params_file: Optional[_Path] = None,
        schema_dirs: Optional[Sequence[_Path]] = None,
        root: Optional[_Path] = None,
    ) -> "Mapping":
        """Compile mapping ``text``; ``path`` names it and anchors its lookups and schemas."""
    @property
    def name(self) -> str: ...
    @property
    def routes(self) -> List[str]: ...
    def transform(self, record: _Mapping[str, Any]) -> Outcome:
        """Transform one record (a dict, or any mapping)."""
    def transform_many(self, records: Iterable[_Mapping[str, Any]], threads: int = 1) -> List[Outcome]:
        """Transform records, in order, with the GIL released (threads 0: one per core).

        A record that is no JSON (a date, NaN) raises TypeError or ValueError
        before any record is transformed, naming its index in the batch. What
        the iterable itself raises (OSError, KeyboardInterrupt...) propagates
        unchanged. A dict is refused with TypeError (its keys are no records)."""
    def transform_ndjson(self, data: Union[bytes, bytearray], threads: int = 1) -> List[Outcome]:
        """Transform NDJSON bytes, one outcome per record, with the GIL released.

        A bytearray is copied first; anything else raises TypeError."""
    def render(self, payload: _Mapping[str, Any], format: _Format = "ndjson", route: Optional[str] = None) -> str:
        """A payload as ``mapwright convert --batch-size 1`` writes it.

        The payload is checked against the route's target schema first:
        one that does not fit raises PayloadError naming each field and rule.
        ``"jsonl"`` is another name of ``"ndjson"``. A payload that is no
        mapping raises TypeError; an unknown format or route, or no route
        named when the mapping has several, raises ValueError."""
