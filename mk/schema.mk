# The JSON Schema of --json's output (docs/schema/) checked with Debian's python3-jsonschema:
# the schemas valid, their flag and cause lists the .def files', every expected output and the
# README's examples valid under a strict pass (no undeclared field), mutated lines refused.
# Run by `make test` (TEST_EXTRA); a few seconds.
#   make schema-test
#   make schema-enums     rewrite the flag and cause lists from smtp/flags.def, pop3/flags.def
.PHONY: schema-test schema-enums

schema-test: test-deps build/smtpscope
	tests/schema.sh build/smtpscope

schema-enums:
	tools/schema-enums.py

TEST_EXTRA += schema-test
