"""Memory that stays small: the log rotated, decisions superseded, a budget for what applies."""
