"""The outcome vocabulary, one place for all layers: how MC11 can end on an issue."""

from typing import Final

NO_AGREEMENT: Final = 0
PLURILATERAL: Final = 1
MULTILATERAL: Final = 2

OUTCOME_LABELS: Final = {MULTILATERAL: "multilateral", PLURILATERAL: "plurilateral",
                         NO_AGREEMENT: "none"}
OUTCOMES: Final = tuple(OUTCOME_LABELS.values())  # labels, from the best outcome to none
OUTCOME_CODES: Final = {label: code for code, label in OUTCOME_LABELS.items()}  # label -> code
NONE: Final = OUTCOME_LABELS[NO_AGREEMENT]
AGREEMENTS: Final = tuple(label for label in OUTCOMES if label != NONE)  # kinds of agreement
SHARE_COLUMNS: Final = {label: f"p_{label}" for label in OUTCOMES}  # the tables' outcome shares
