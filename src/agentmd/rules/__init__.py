"""One set of rules for every agent host: what each host loads, building its files from
.agents/rules/, and importing its existing files into .agents/rules/."""
