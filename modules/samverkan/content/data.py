"""Data a learner works with in code cells (self-study notebooks).

``exempelregister()`` is the example register of collaborations in
``data/exempel_samverkansregister.csv``: invented example data for the pandas
exercise in the lesson "Från dialog till verkstad", never real organisations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from samverkan.content import paths
from samverkan.errors import SamverkanError

if TYPE_CHECKING:  # pandas is imported when the register is read, not with this module
    import pandas as pd

REGISTER_FILE = "exempel_samverkansregister.csv"
REGISTER_NOTE = "Exempeldata: påhittade uppgifter för en övning. Inga verkliga organisationer, beslut eller belopp."


def exempelregister(path: Path | str | None = None) -> pd.DataFrame:
    """The example register as a pandas DataFrame (``.attrs["note"]`` says it is example data)."""
    import pandas as pd

    path = Path(path) if path is not None else paths.data_dir() / REGISTER_FILE
    try:
        df = pd.read_csv(path, comment="#", encoding="utf-8", dtype={"bidragstyp": "string"})
    except FileNotFoundError:
        raise SamverkanError(f"Exempelregistret {path} finns inte.") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SamverkanError(f"Exempelregistret {path} kan inte läsas: {exc}") from None
    df.attrs["note"] = REGISTER_NOTE
    return df
