"""GitHub through the GitHub CLI (`gh`, logged in by the user; agentmd stores no token):
issues in as intents, status back as comments, pull requests instead of merges."""
