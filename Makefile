# multiperform: the README's two commands, and housekeeping.
.PHONY: all demo test bench fuzz clean

all: demo

demo:
	@bash examples/demo.sh

test:
	@bash tests/run.sh

clean:
	rm -rf build

# Speed, memory and size against libcurl, in one run (not part of make test).
bench:
	@bash bench/run.sh

# Fuzz every target for FUZZ_SECONDS each (not part of make test).
fuzz:
	@bash tests/fuzz/run.sh
