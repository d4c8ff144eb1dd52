"""Report: statistics, tables and figures made from the outcomes of a run."""
