"""The prompt compiler, token counting and the budgeted diff."""
